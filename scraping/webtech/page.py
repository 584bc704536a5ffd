"""What a fetched page shows to fingerprints: title, meta tags, scripts, cookies.

Pages are hostile: the parser is the standard library's forgiving HTMLParser, fed a
bounded amount of text; nothing is executed, and every kept value is cut to a length.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie

# Limits on what one page may give: the HTML searched by patterns, each inline script,
# and how many scripts and meta tags are kept.
MAX_HTML_CHARS = 512 * 1024
MAX_SCRIPT_CHARS = 64 * 1024
MAX_ITEMS = 200
MAX_VALUE_CHARS = 2048


@dataclass
class PageFacts:
    url: str
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case names
    cookies: dict[str, str] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-case names
    script_src: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    html: str = ""
    title: str = ""
    cert_issuer: str = ""


class _Reader(HTMLParser):
    def __init__(self, facts: PageFacts):
        super().__init__(convert_charrefs=True)
        self.facts = facts
        self._in_title = False
        self._in_script = False
        self._script: list[str] = []
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "title" and not self.facts.title:
            self._in_title = True
        elif tag == "meta":
            name = values.get("name") or values.get("property") or values.get("http-equiv")
            if name and "content" in values and len(self.facts.meta) < MAX_ITEMS:
                contents = self.facts.meta.setdefault(name.lower()[:100], [])
                contents.append(values["content"][:MAX_VALUE_CHARS])
        elif tag == "script":
            if values.get("src") and len(self.facts.script_src) < MAX_ITEMS:
                self.facts.script_src.append(values["src"][:MAX_VALUE_CHARS])
            self._in_script, self._script = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.facts.title = " ".join("".join(self._title).split())[:500]
        elif tag == "script" and self._in_script:
            self._in_script = False
            text = "".join(self._script)[:MAX_SCRIPT_CHARS]
            if text.strip() and len(self.facts.scripts) < MAX_ITEMS:
                self.facts.scripts.append(text)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif self._in_script:
            self._script.append(data)


def cookies_from(headers: list[tuple[str, str]]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        jar = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            # A cookie the strict parser refuses still has a name before its "=".
            first = value.split(";", 1)[0]
            if "=" in first:
                key, _, content = first.partition("=")
                cookies[key.strip()[:200]] = content.strip()[:MAX_VALUE_CHARS]
            continue
        for key, morsel in jar.items():
            cookies[key[:200]] = morsel.value[:MAX_VALUE_CHARS]
    return cookies


def read_page(
    url: str, headers: list[tuple[str, str]], text: str, cert_issuer: str = ""
) -> PageFacts:
    facts = PageFacts(url=url, cert_issuer=cert_issuer)
    for name, value in headers:
        facts.headers.setdefault(name.lower(), []).append(value[:MAX_VALUE_CHARS])
    facts.cookies = cookies_from(headers)
    facts.html = text[:MAX_HTML_CHARS]
    reader = _Reader(facts)
    try:
        reader.feed(facts.html)
        reader.close()
    except (AssertionError, ValueError):
        pass  # what was read before the parser gave up is kept
    return facts
