"""Text from outside made safe to show: in a terminal, a log line or a one-line message."""

import unicodedata

# Bidirectional embedding, override and isolate controls: they can make shown text read
# differently from what it is (a file name that ends in "gpj.exe" shown as "exe.jpg").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escaped(ch: str) -> str:
    """One character as the escape Python writes for it: ``\\x1b``, ``\\u202e``."""
    return ch.encode("unicode_escape").decode("ascii")


def printable(text: str, limit: int = 2000) -> str:
    """One line of text with every control character written as an escape (``\\x1b``),
    so that an upstream's answer can neither drive a terminal nor forge a line."""
    out = []
    for ch in str(text)[:limit]:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch != "\t"):
            out.append(escaped(ch))
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(str(text)) > limit else "")


def error_message(exc: BaseException, limit: int = 1000) -> str:
    """An unexpected error for the analyst: its type and first line (database errors
    carry the SQL on later lines, which is no use to them), made printable."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return printable(f"{type(exc).__name__}: {first_line}".rstrip(": "), limit)
