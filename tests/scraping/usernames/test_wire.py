"""HTTP/1.1 on the wire: answers read as their bytes arrive, requests written out."""

import gzip
import tracemalloc
import zlib

import pytest

from scraping.usernames.wire import (
    MAX_HEAD_BYTES,
    MAX_INTERIM,
    AnswerReader,
    BadAnswer,
    header_lines,
    request_bytes,
)


def fed(data: bytes, *, head_only: bool = False, limit: int = 1000):
    """The answer once ``data`` has arrived, the connection still open (None: not whole)."""
    return AnswerReader(head_only=head_only, limit=limit).feed(data)


def closed_after(data: bytes, *, limit: int = 1000):
    """The answer once ``data`` has arrived and the site closed the connection."""
    reader = AnswerReader(head_only=False, limit=limit)
    return reader.feed(data) or reader.end()


def byte_by_byte(data: bytes, *, limit: int = 1000):
    """As ``closed_after``, the bytes arriving one at a time."""
    reader = AnswerReader(head_only=False, limit=limit)
    for offset in range(len(data)):
        answer = reader.feed(data[offset : offset + 1])
        if answer is not None:
            return answer
    return reader.end()


def chunked(*pieces: bytes, trailer: bytes = b"") -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailer + b"\r\n"


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def with_length(head: bytes, body: bytes) -> bytes:
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


OK = b"HTTP/1.1 200 OK\r\n"
PAGE = b"<html>" + b"profile of alice " * 20 + b"</html>"


# -- framing --------------------------------------------------------------------------------


def test_a_body_framed_by_content_length_ends_there_and_the_connection_stays_usable():
    answer = fed(OK + b"Content-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")

    assert (answer.status, answer.body, answer.truncated, answer.reusable) == (
        200,
        b"hello",
        False,
        True,
    )
    assert answer.headers == {"content-length": "5", "content-type": "text/plain"}


def test_a_body_framed_by_content_length_is_not_whole_before_its_last_byte():
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.feed(OK + b"Content-Length: 5\r\n\r\nhell") is None
    assert reader.feed(b"o").body == b"hello"


def test_a_chunked_body_is_joined_past_its_extensions_and_trailer_fields():
    body = (
        b"4;name=value\r\nWiki\r\n"
        + b"5\r\npedia\r\n"
        + b"E ; spaced\r\n in\r\n\r\nchunks.\r\n"
        + b"0\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n"
    )

    answer = fed(OK + b"Transfer-Encoding: chunked\r\n\r\n" + body)

    assert answer.body == b"Wikipedia in\r\n\r\nchunks."
    assert answer.reusable is True
    assert "expires" not in answer.headers  # trailer fields are read past, not kept


def test_a_chunked_body_is_not_whole_before_its_last_chunk_and_the_line_after_it():
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.feed(OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n") is None
    assert reader.feed(b"\r\n").body == b"hello"


def test_transfer_encoding_overrides_content_length():
    answer = fed(
        OK + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"hello")
    )

    assert answer.body == b"hello"


def test_a_transfer_coding_that_does_not_end_in_chunked_runs_to_the_close():
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.feed(OK + b"Transfer-Encoding: chunked, identity\r\n\r\nhello") is None
    answer = reader.end()

    assert (answer.body, answer.reusable) == (b"hello", False)


def test_a_body_without_length_runs_until_the_site_closes_and_the_connection_is_spent():
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.feed(OK + b"Content-Type: text/html\r\n\r\n<html>") is None
    assert reader.feed(b"</html>") is None
    answer = reader.end()

    assert (answer.status, answer.body, answer.reusable) == (200, b"<html></html>", False)


@pytest.mark.parametrize(
    "answer",
    [OK + b"Content-Length: 10\r\n\r\nhello", OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel"],
    ids=["length", "chunked"],
)
def test_a_framed_body_cut_short_by_the_close_is_no_answer(answer):
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.feed(answer) is None
    assert reader.end() is None
    assert reader.started is True


def test_a_connection_closed_before_the_head_ended_is_no_answer():
    reader = AnswerReader(head_only=False, limit=1000)

    assert reader.started is False
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-") is None
    assert reader.end() is None


@pytest.mark.parametrize(
    ("status_line", "head_only"),
    [
        (b"HTTP/1.1 200 OK\r\n", True),
        (b"HTTP/1.1 204 No Content\r\n", False),
        (b"HTTP/1.1 304 Not Modified\r\n", False),
    ],
    ids=["HEAD", "204", "304"],
)
def test_answers_that_have_no_body_end_with_their_head_whatever_their_length_says(
    status_line, head_only
):
    answer = fed(
        status_line + b"Content-Length: 1234\r\nContent-Encoding: gzip\r\n\r\n", head_only=head_only
    )

    assert (answer.body, answer.truncated, answer.reusable) == (b"", False, True)
    assert answer.headers["content-length"] == "1234"


def test_a_body_sent_after_an_answer_that_has_none_spends_the_connection():
    answer = fed(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello")

    assert (answer.status, answer.body, answer.reusable) == (204, b"", False)


def test_bytes_after_a_whole_answer_spend_the_connection():
    answer = fed(OK + b"Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")

    assert (answer.body, answer.reusable) == (b"ok", False)


def test_a_switch_of_protocols_ends_the_answer_and_the_connection():
    answer = fed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")

    assert (answer.status, answer.body, answer.reusable) == (101, b"", False)


# -- interim answers --------------------------------------------------------------------------


def test_interim_answers_before_the_answer_are_skipped():
    interim = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        + b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    )

    answer = fed(interim + OK + b"Content-Length: 2\r\n\r\nok")

    assert (answer.status, answer.body) == (200, b"ok")
    assert "link" not in answer.headers


def test_as_many_interim_answers_as_allowed_are_skipped_and_one_more_is_refused():
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    final = OK + b"Content-Length: 2\r\n\r\nok"

    assert fed(interim * MAX_INTERIM + final).body == b"ok"
    with pytest.raises(BadAnswer, match="interim"):
        fed(interim * (MAX_INTERIM + 1) + final)


# -- content codings and the limit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw"],
)
def test_a_coded_body_is_decoded(coding, encode):
    head = OK + f"Content-Encoding: {coding}\r\n".encode()

    answer = fed(with_length(head, encode(PAGE)), limit=10_000)

    assert answer.body == PAGE
    assert answer.headers["content-encoding"] == coding


def test_a_gzip_body_in_chunks_is_decoded_across_them():
    packed = gzip.compress(PAGE)
    pieces = [packed[n : n + 7] for n in range(0, len(packed), 7)]

    answer = fed(
        OK + b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(*pieces),
        limit=10_000,
    )

    assert answer.body == PAGE


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_body_whose_coding_is_broken_is_a_bad_answer(coding):
    head = OK + f"Content-Encoding: {coding}\r\n".encode()

    with pytest.raises(BadAnswer, match=f"{coding} coding is broken"):
        fed(with_length(head, b"\x1f\x8b this is not what it says"))


def test_a_gzip_body_broken_after_a_good_start_is_a_bad_answer():
    packed = bytearray(gzip.compress(PAGE))
    packed[20:30] = b"\xff" * 10

    with pytest.raises(BadAnswer, match="gzip coding is broken"):
        fed(with_length(OK + b"Content-Encoding: gzip\r\n", bytes(packed)), limit=10_000)


def test_an_unknown_coding_is_kept_as_it_came():
    answer = fed(with_length(OK + b"Content-Encoding: br\r\n", b"\x8b\x02\x80hello\x03"))

    assert answer.body == b"\x8b\x02\x80hello\x03"


@pytest.mark.parametrize(
    ("coding", "encode"),
    [(b"", lambda body: body), (b"gzip", gzip.compress), (b"deflate", zlib.compress)],
    ids=["plain", "gzip", "deflate"],
)
@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_a_body_at_the_limit_is_whole_and_one_byte_more_is_truncated(coding, encode, framing):
    head = OK + (b"Content-Encoding: %s\r\n" % coding if coding else b"")

    def answer_with(body):
        data = encode(body)
        if framing == "length":
            return closed_after(with_length(head, data), limit=100)
        if framing == "chunked":
            framed = b"Transfer-Encoding: chunked\r\n\r\n" + chunked(data)
            return closed_after(head + framed, limit=100)
        return closed_after(head + b"\r\n" + data, limit=100)

    at_limit = answer_with(bytes(range(100)))
    over = answer_with(bytes(range(101)))

    assert (at_limit.body, at_limit.truncated) == (bytes(range(100)), False)
    assert at_limit.reusable is (framing != "close")
    assert (over.body, over.truncated, over.reusable) == (bytes(range(100)), True, False)


def test_a_body_over_the_limit_is_answered_without_waiting_for_the_rest():
    reader = AnswerReader(head_only=False, limit=10)

    answer = reader.feed(OK + b"Content-Length: 1000000\r\n\r\n" + b"a" * 11)

    assert (answer.body, answer.truncated, answer.reusable) == (b"a" * 10, True, False)


def test_a_gzip_bomb_is_decoded_no_further_than_the_limit():
    """A few tens of kilobytes that inflate to 64 MiB: the reader must stop inflating at
    the limit, or one hostile site costs the worker its memory."""
    limit = 64 * 1024
    bomb = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
    data = with_length(OK + b"Content-Encoding: gzip\r\n", bomb)

    tracemalloc.start()
    try:
        answer = fed(data, limit=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (len(answer.body), answer.truncated) == (limit, True)
    # The input, the kept body and a copy of each: far below the 64 MiB inflated.
    assert peak < 2 * len(data) + 4 * limit


@pytest.mark.parametrize(
    "answer",
    [
        OK + b"Content-Length: 5\r\n\r\nhello",
        OK
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + chunked(b"Wiki", b"pedia", trailer=b"X: 1\r\n"),
        OK + b"Content-Type: text/plain\r\n\r\nruns to the close",
        b"HTTP/1.1 100 Continue\r\n\r\n"
        + OK
        + b"X-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok",
        OK.replace(b"\r\n", b"\n") + b"Content-Length: 2\n\nok",
        with_length(OK + b"Content-Encoding: gzip\r\n", gzip.compress(PAGE)),
        with_length(OK + b"Content-Encoding: deflate\r\n", zlib.compress(PAGE)),
        with_length(OK + b"Content-Encoding: deflate\r\n", raw_deflate(PAGE)),
        OK + b"Content-Length: 2000\r\n\r\n" + b"a" * 2000,
    ],
    ids=[
        "length",
        "chunked",
        "close",
        "interim-folded",
        "bare-newlines",
        "gzip",
        "deflate-zlib",
        "deflate-raw",
        "truncated",
    ],
)
def test_an_answer_arriving_one_byte_at_a_time_reads_as_when_it_arrives_whole(answer):
    assert byte_by_byte(answer) == closed_after(answer)


# -- the head ---------------------------------------------------------------------------------


def test_a_folded_header_line_continues_the_field_before_it():
    answer = fed(OK + b"X-Note: first\r\n  second\r\n\tthird\r\nContent-Length: 0\r\n\r\n")

    assert answer.headers["x-note"] == "first second third"


def test_a_folded_line_with_no_field_before_it_is_a_bad_answer():
    with pytest.raises(BadAnswer, match="folded"):
        fed(OK + b" folded\r\nContent-Length: 0\r\n\r\n")


def test_repeated_fields_are_joined_in_order_whatever_the_case_of_their_name():
    answer = fed(
        OK + b"Set-Cookie: a=1\r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\n\r\n", head_only=True
    )

    assert answer.headers["set-cookie"] == "a=1, b=2, c=3"


def test_lines_with_no_name_or_colon_are_left_out_and_space_before_the_colon_dropped():
    answer = fed(OK + b"no colon here\r\n: no name\r\nX-Spaced : yes\r\n\r\n", head_only=True)

    assert answer.headers == {"x-spaced": "yes"}


@pytest.mark.parametrize(
    "fields",
    [b"Content-Length: 5, 5\r\n", b"Content-Length: 5\r\nContent-Length: 5\r\n"],
    ids=["one-field", "two-fields"],
)
def test_a_content_length_repeated_with_the_same_number_is_read(fields):
    assert fed(OK + fields + b"\r\nhello").body == b"hello"


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length: 5, 6\r\n",
        b"Content-Length: 5\r\nContent-Length: 6\r\n",
        b"Content-Length: -5\r\n",
        b"Content-Length: +5\r\n",
        b"Content-Length: 5 bytes\r\n",
        b"Content-Length: \r\n",
        b"Content-Length: 0x5\r\n",
    ],
)
def test_an_unreadable_content_length_is_a_bad_answer(fields):
    with pytest.raises(BadAnswer, match="Content-Length"):
        fed(OK + fields + b"\r\nhello")


@pytest.mark.parametrize(
    "digits",
    ["\u00b2", "\u0665", "\uff15"],
    ids=["superscript-two", "arabic-indic-five", "fullwidth-five"],
)
def test_a_content_length_in_digits_other_than_ascii_is_a_bad_answer(digits):
    """Content-Length is ASCII digits only (RFC 9112, 6.2). Read with str.isdigit and
    int(), other scripts' digits pass as numbers, or fail with a plain ValueError that
    the connection does not handle as a bad answer."""
    with pytest.raises(BadAnswer, match="Content-Length"):
        fed(OK + b"Content-Length: " + digits.encode() + b"\r\n\r\nhello")


@pytest.mark.parametrize(
    "line",
    [
        b"HTTP/2 200 OK",
        b"HTTP/1.2 200 OK",
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 2000 OK",
        b"HTTP/1.1  200 OK",
        b"ICY 200 OK",
        b"http/1.1 200 OK",
        b"<html>hello</html>",
        b"",
    ],
)
def test_a_status_line_that_is_not_http_1_is_a_bad_answer(line):
    with pytest.raises(BadAnswer, match="status line"):
        fed(line + b"\r\nContent-Length: 0\r\n\r\n")


@pytest.mark.parametrize("line", [b"HTTP/1.1 200", b"HTTP/1.0 404 Not Found", b"HTTP/1.1 599 "])
def test_a_status_line_is_read_with_or_without_its_reason(line):
    answer = fed(line + b"\r\nContent-Length: 0\r\n\r\n")

    assert answer.status == int(line.split()[1])


def test_a_head_near_the_bound_is_read_and_one_over_it_is_a_bad_answer_even_when_whole():
    padding = b"X-Pad: " + b"a" * (MAX_HEAD_BYTES - 200) + b"\r\n"

    assert fed(OK + padding + b"Content-Length: 0\r\n\r\n").headers["x-pad"].startswith("aaa")
    with pytest.raises(BadAnswer, match="header block is over"):
        fed(OK + padding + b"X-More: " + b"b" * 300 + b"\r\n\r\n")


def test_a_head_that_never_ends_is_refused_once_it_passes_the_bound_in_pieces():
    reader = AnswerReader(head_only=False, limit=1000)
    reader.feed(OK)
    piece = b"X-Pad: " + b"a" * 1000 + b"\r\n"

    with pytest.raises(BadAnswer, match="header block is over"):
        for _ in range(MAX_HEAD_BYTES // len(piece) + 2):
            reader.feed(piece)


def test_undecodable_bytes_in_a_header_value_are_kept_as_escapes_and_never_raise():
    value = b"caf\xe9 \xff\xfe\x80 na\xc3\xafve"

    answer = fed(OK + b"X-Odd: " + value + b"\r\nContent-Length: 0\r\n\r\n")

    assert answer.headers["x-odd"].encode("utf-8", "surrogateescape") == value
    assert answer.headers["x-odd"].endswith("naïve")


# -- chunk lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [b"zz", b"-5", b"", b"1" * 17, b"5 5"],
    ids=["not-hex", "negative", "empty", "seventeen-digits", "two-numbers"],
)
def test_an_unreadable_chunk_size_is_a_bad_answer(size):
    with pytest.raises(BadAnswer, match="chunk size"):
        fed(OK + b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize(
    "size",
    [b"0x5", b"+5", b"0_5"],
    ids=["hex-prefix", "plus-sign", "underscore"],
)
def test_a_chunk_size_that_is_more_than_hex_digits_is_a_bad_answer(size):
    """chunk-size is 1*HEXDIG (RFC 9112, 7.1); int(size, 16) also takes a 0x prefix, a
    sign and underscores, so a site and this reader could frame a body differently."""
    with pytest.raises(BadAnswer, match="chunk size"):
        fed(OK + b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n")


def test_a_chunk_longer_than_its_size_line_says_is_a_bad_answer():
    with pytest.raises(BadAnswer, match="longer than its size"):
        fed(OK + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n")


def test_a_chunk_line_over_the_bound_is_a_bad_answer():
    line = b"5;" + b"x" * 5000

    with pytest.raises(BadAnswer, match="chunk line is over"):
        fed(OK + b"Transfer-Encoding: chunked\r\n\r\n" + line)


# -- keeping the connection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "connection", "reusable"),
    [
        (b"1.1", b"", True),
        (b"1.1", b"Connection: keep-alive\r\n", True),
        (b"1.1", b"Connection: close\r\n", False),
        (b"1.1", b"Connection: Upgrade, Close\r\n", False),
        (b"1.0", b"", False),
        (b"1.0", b"Connection: Keep-Alive\r\n", True),
        (b"1.0", b"Connection: close\r\n", False),
    ],
)
def test_whether_the_connection_may_carry_another_request(version, connection, reusable):
    answer = fed(b"HTTP/" + version + b" 200 OK\r\n" + connection + b"Content-Length: 2\r\n\r\nok")

    assert (answer.body, answer.reusable) == (b"ok", reusable)


def test_an_http_1_0_keep_alive_answer_without_length_still_spends_the_connection():
    reader = AnswerReader(head_only=False, limit=1000)
    reader.feed(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nhello")

    assert reader.end().reusable is False


def test_an_http_1_0_answer_with_transfer_encoding_spends_the_connection():
    """RFC 9112, 6.1: a Transfer-Encoding in an HTTP/1.0 message is faulty framing, and
    the connection is closed after it, keep-alive or not."""
    answer = fed(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(b"hello")
    )

    assert (answer.body, answer.reusable) == (b"hello", False)


# -- requests ---------------------------------------------------------------------------------


def test_a_request_is_written_with_its_fields_fixed_lines_and_no_length_without_a_body():
    data = request_bytes(
        "GET", "/u/alice?x=1", {"Host": "site.example"}, None, fixed=b"User-Agent: t/1\r\n"
    )

    assert data == b"GET /u/alice?x=1 HTTP/1.1\r\nHost: site.example\r\nUser-Agent: t/1\r\n\r\n"


@pytest.mark.parametrize("body", [b"", b'{"username": "alice"}'])
def test_a_request_with_a_body_says_its_length(body):
    data = request_bytes("POST", "/api", {"Host": "site.example"}, body)

    head, _, sent = data.partition(b"\r\n\r\n")
    assert sent == body
    assert head.split(b"\r\n")[1:] == [
        b"Host: site.example",
        b"Content-Length: %d" % len(body),
    ]


def test_a_content_length_given_by_the_caller_never_travels_beside_the_real_one():
    """Two Content-Length fields that differ make a request servers must refuse, or that
    one reads as two (request smuggling); the body's own length must be the only one."""
    data = request_bytes("POST", "/api", {"Host": "a.example", "Content-Length": "99"}, b"abc")

    head = data.partition(b"\r\n\r\n")[0].lower()
    assert head.count(b"content-length:") == 1
    assert b"content-length: 3" in head


def test_header_values_are_sent_as_utf8_and_values_that_are_not_text_as_their_text():
    data = request_bytes("GET", "/", {"X-Name": "Zoë", "X-Count": 3}, None)

    assert b"X-Name: Zo\xc3\xab\r\nX-Count: 3\r\n" in data


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
def test_a_header_value_with_a_line_break_or_nul_is_refused(value):
    with pytest.raises(ValueError, match="line break"):
        request_bytes("GET", "/", {"X-Value": value}, None)


@pytest.mark.parametrize("value", ["a\r\nb", "a\x00b"])
def test_fixed_header_values_are_checked_as_well(value):
    with pytest.raises(ValueError, match="line break"):
        header_lines({"User-Agent": value})


@pytest.mark.parametrize("name", ["X Name", "X:Name", "", "X-Name\r\n", "Näme", "X(1)", "X\x00"])
def test_a_header_name_that_is_not_a_token_is_refused(name):
    with pytest.raises(ValueError, match="header name"):
        request_bytes("GET", "/", {name: "v"}, None)


@pytest.mark.parametrize("method", ["GE T", "", "GET\r\n", "GET /x HTTP/1.1\r\nX", "GÉT", "G:T"])
def test_a_method_that_is_not_a_token_is_refused(method):
    with pytest.raises(ValueError, match="method"):
        request_bytes(method, "/", {}, None)


@pytest.mark.parametrize(
    "target",
    ["", "/a b", "/a\r\nX-Injected: 1", "/a\nb", "/a\rb", "/a\x00b"],
    ids=["empty", "space", "crlf", "lf", "cr", "nul"],
)
def test_a_target_that_is_empty_or_holds_a_space_or_a_line_break_is_refused(target):
    with pytest.raises(ValueError, match="target"):
        request_bytes("GET", target, {}, None)


def test_a_target_holding_a_tab_is_refused():
    """Servers may split a request line on any whitespace (RFC 9112, 3), a tab included:
    ``/a<TAB>HTTP/1.0`` would then end the target early and change the request."""
    with pytest.raises(ValueError, match="target"):
        request_bytes("GET", "/a\tHTTP/1.0", {}, None)
