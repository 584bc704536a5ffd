"""A plain reader of WHOIS text as labelled values, for what python-whois misses.

It knows the layouts registries use, not their labels:
- ``Key: value``, ``Key.......: value``, ``Key<TAB>value`` and JPRS's ``[Key]  value``;
- blocks: a label line (``Name servers:`` or a bare ``Registrant``) followed by indented
  lines, or at the left margin up to the next blank line (.uk, .eu, .be, .ch, .nl, .it);
  a ``Key: value`` line inside a block is also read as ``block/key``; a line without a
  key below a ``Key: value`` line continues that value;
- RPSL-style objects separated by blank lines, looked up by their handle (``nic-hdl``).

Keys are folded to lower case with dots, brackets and trailing counters removed, so
``Name Server 1`` and ``NS 2`` read as ``name server`` and ``ns``.
"""

import re
from dataclasses import dataclass, field

_JPRS = re.compile(r"^\s*(?:[a-z]\.\s*)?\[([^\]]{1,60})\]\s*(.*)$", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^(\s*)([^:\t]{1,60}?)[\s.]*(?::|\t)\s*(.*)$")
_LABEL = re.compile(r"^(\s*)([A-Za-z][\w ()'/,&-]{1,60}?)\s*:?\s*$")
_COMMENT = ("%", "#", ">>>", "--", "==", "**")
# A line that starts with a host name is a value (``ns1.example.ch  [2001:db8::1]``),
# whatever colons or tabs follow it.
_HOSTNAME_FIRST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+\.?(?:\s|$)", re.IGNORECASE)
_RULE = re.compile(r"^\s*[-=_*]{3,}\s*$")


_HANDLE_KEYS = frozenset({"nic-hdl", "nic-hdl-br", "contact-id"})


def fold_key(key: str) -> str:
    key = re.sub(r"[\[\].]+", " ", key.lower())
    key = re.sub(r"\s+\d+$", "", " ".join(key.split()))
    return key.strip(" :")


@dataclass
class WhoisFields:
    pairs: list[tuple[str, str]] = field(default_factory=list)
    objects: list[dict[str, list[str]]] = field(default_factory=list)

    def get(self, *keys: str) -> list[str]:
        """Every value of the first of ``keys`` that has any, in the order written."""
        for key in keys:
            values = [v for k, v in self.pairs if k == key and v]
            if values:
                return values
        return []

    def first(self, *keys: str) -> str:
        values = self.get(*keys)
        return values[0] if values else ""

    def object_with_handle(self, handle: str) -> dict[str, list[str]]:
        for obj in self.objects:
            handles = [v.upper() for key in _HANDLE_KEYS for v in obj.get(key, [])]
            if handle and handle.upper() in handles:
                return obj
        return {}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@dataclass
class _Block:
    indent: int
    label: str
    content_indent: int | None = None  # set by its first line

    def holds(self, indent: int) -> bool:
        """Whether a line at this indent still belongs to the block. A block written at
        the margin (.ch) ends only at a blank line; an indented one at the first line
        that is not indented more than its label."""
        if self.content_indent is None or self.content_indent <= self.indent:
            return True
        return indent > self.indent


def read_fields(text: str) -> WhoisFields:
    fields = WhoisFields()
    block: _Block | None = None
    last_key: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if block is None or block.content_indent is not None:
                block, last_key = None, None  # a blank line right after a label does not end it
            continue
        if stripped.startswith(_COMMENT) or _RULE.match(line):
            continue
        indent = _indent(line)
        if block and not block.holds(indent):
            block, last_key = None, None
        jprs = _JPRS.match(line)
        if jprs:
            last_key = fold_key(jprs.group(1))
            fields.pairs.append((last_key, jprs.group(2).strip()))
            continue
        pair = None if _HOSTNAME_FIRST.match(stripped) else _KEY_VALUE.match(line)
        if pair and pair.group(3).strip() and "http" not in pair.group(2):
            key, value = fold_key(pair.group(2)), pair.group(3).strip()
            if block:
                if block.content_indent is None:
                    block.content_indent = indent
                fields.pairs.append((f"{block.label}/{key}", value))
            fields.pairs.append((key, value))
            last_key = f"{block.label}/{key}" if block else key
            continue
        label = _LABEL.match(line)
        if label and (stripped.endswith(":") or block is None):
            block, last_key = _Block(indent, fold_key(label.group(2))), None
            continue
        if block is None and last_key is None:
            continue
        if block and block.content_indent is None:
            block.content_indent = indent
        if last_key and (block is None or last_key.startswith(block.label + "/")):
            fields.pairs.append((last_key, stripped))  # a value continued on this line
        elif block:
            fields.pairs.append((block.label, stripped))
    fields.objects = _objects(text)
    return fields


def _objects(text: str) -> list[dict[str, list[str]]]:
    objects = []
    for chunk in re.split(r"\n\s*\n", text):
        obj: dict[str, list[str]] = {}
        for line in chunk.splitlines():
            match = re.match(r"^([a-z][a-z0-9-]{1,30}):\s*(.*)$", line.strip(), re.IGNORECASE)
            if match and match.group(2).strip():
                obj.setdefault(match.group(1).lower(), []).append(match.group(2).strip())
        if obj.keys() & _HANDLE_KEYS:
            objects.append(obj)
    return objects
