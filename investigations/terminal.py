"""Text from outside (upstream answers, names, inputs) made safe to print on a terminal.

An upstream error or a name can carry escape sequences that set the terminal's title,
clear the screen or move the cursor, a carriage return or newline that makes a forged
line, or bytes that are not UTF-8 (lone surrogates, which cannot even be written). Each
such character is printed as a visible escape instead: ``\\x1b``, ``\\n``, ``\\udcff``.
"""

import re

# Characters json.dumps leaves raw: DEL, C1 controls, lone surrogates (the undecodable
# bytes of an argument or file name), the Unicode line and paragraph separators, and the
# direction overrides and isolates that make a line read as another.
_RAW_IN_JSON = r"\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_JSON = re.compile(f"[{_RAW_IN_JSON}]")
# ...and in plain text, the C0 controls too, all but tab.
_UNSAFE_TEXT = re.compile(rf"[\x00-\x08\x0a-\x1f{_RAW_IN_JSON}]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """One line of text, every control character shown as an escape."""
    return _UNSAFE_TEXT.sub(_visible, str(text))


def json_terminal_safe(document: str) -> str:
    """A JSON text with the characters json.dumps leaves raw written as ``\\uXXXX``
    escapes: the same document once parsed, harmless on a terminal."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
