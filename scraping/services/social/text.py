"""Turning scraped HTML (Mastodon bios and posts) into plain text and links.

The HTML is never rendered or kept as markup in the graph: script and style content is
dropped, tags become spacing, and links are collected with the class that says whether
they are a mention, a hashtag or an ordinary link.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "br", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED = {"script", "style", "template", "iframe", "object", "noscript"}
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


@dataclass
class Link:
    href: str
    classes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_mention(self) -> bool:
        return "mention" in self.classes and "hashtag" not in self.classes

    @property
    def is_hashtag(self) -> bool:
        return "hashtag" in self.classes


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[Link] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "a":
            values = dict(attrs)
            href = (values.get("href") or "").strip()
            if href.lower().startswith(("http://", "https://")):
                classes = frozenset((values.get("class") or "").split())
                self.links.append(Link(href, classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, list[Link]]:
    """The visible text of an HTML fragment and its links."""
    reader = _Reader()
    reader.feed(html or "")
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    text = "\n".join(line for line in lines if line)
    return text, reader.links


def urls_in_text(text: str) -> list[str]:
    """Web addresses written out in plain text (a Bluesky bio)."""
    return [match.rstrip(_TRAILING) for match in _URL.findall(text or "")]
