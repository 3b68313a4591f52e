"""What a crawler or a link preview reads of a page: its <head> and structured data, parsed
with html.parser (not searched with regular expressions)."""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageHead:
    title: str = ""
    meta: dict[str, list[str]] = field(default_factory=dict)  # name or property -> contents
    links: dict[str, list[str]] = field(default_factory=dict)  # rel -> hrefs
    json_ld: list = field(default_factory=list)  # each block, parsed

    def one(self, name: str) -> str:
        """The content of the one <meta> with this name or property (fails on none or two)."""
        (content,) = self.meta.get(name, [])
        return content

    @property
    def canonical(self) -> str | None:
        hrefs = self.links.get("canonical", [])
        assert len(hrefs) <= 1, hrefs
        return hrefs[0] if hrefs else None

    @property
    def noindex(self) -> bool:
        robots = self.meta.get("robots", [])
        assert len(robots) <= 1, robots
        return bool(robots) and "noindex" in robots[0]

    def structured(self, type_: str) -> list[dict]:
        """Every JSON-LD object of this @type (blocks may hold a list)."""
        found = []
        for block in self.json_ld:
            for item in block if isinstance(block, list) else [block]:
                if item.get("@type") == type_:
                    found.append(item)
        return found


class _HeadParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.head = PageHead()
        self._in = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            name = attrs.get("name") or attrs.get("property")
            if name:
                self.head.meta.setdefault(name, []).append(attrs.get("content", ""))
        elif tag == "link" and attrs.get("rel"):
            self.head.links.setdefault(attrs["rel"], []).append(attrs.get("href", ""))
        elif tag == "title" or (tag == "script" and attrs.get("type") == "application/ld+json"):
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag != self._in:
            return
        text = "".join(self._text)
        if tag == "title":
            self.head.title = text
        else:
            self.head.json_ld.append(json.loads(text))
        self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def page_head(response) -> PageHead:
    parser = _HeadParser()
    parser.feed(response.content.decode())
    return parser.head
