"""The shop's own wording for a customer service page: a little plain-text markup staff can
type in admin (no HTML), and the standard text written in it for them to start from.

    ## A heading
    A paragraph. A blank line starts the next one; a single line break stays one.
    - an item of a list
    1. an item of a numbered list
    [Write to us](/service/contact/) is a link (to a page of the shop, https:// or mailto:)
    **bold**

Everything is escaped first: nothing typed becomes HTML of its own.
"""

import re
from html.parser import HTMLParser

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"#{2,3} +(.+)")
_BULLET = re.compile(r"[-*] +(.+)")
_NUMBERED = re.compile(r"\d{1,3}[.)] +(.+)")
# in the escaped text: [label](/path), [label](https://...), [label](mailto:...)
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(((?:/(?!/)|https://|mailto:)[^()\s]{0,500})\)")


def _bold(escaped: str) -> str:
    """**bold**: the text between two markers, when it neither starts nor ends with a space.
    One pass over the markers (a backtracking pattern took ~1 s for a long line of "**a")."""
    parts = escaped.split("**")
    out = [parts[0]]
    i = 1
    while i < len(parts):
        inner = parts[i]
        if i + 1 < len(parts) and inner and not inner[0].isspace() and not inner[-1].isspace():
            out.append(f"<strong>{inner}</strong>{parts[i + 1]}")
            i += 2
        else:
            out.append("**" + inner)
            i += 1
    return "".join(out)


def _inline(escaped_line: str) -> str:
    # Links stand in as <0>, <1>... (no "<" is left in escaped text) while the bold is found:
    # "**" in a link's address must not become <strong> inside its href, and bold may still
    # go around a whole link.
    links: list[str] = []

    def link(match: re.Match) -> str:
        links.append(f'<a href="{match.group(2)}">{_bold(match.group(1))}</a>')
        return f"<{len(links) - 1}>"

    line = _bold(_LINK.sub(link, escaped_line))
    return re.sub(r"<(\d+)>", lambda match: links[int(match.group(1))], line) if links else line


def render_service_text(text: str) -> SafeString:
    """``text`` (the markup above) as HTML."""
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        escaped = [_inline(escape(line)) for line in lines]
        if len(lines) == 1 and _HEADING.fullmatch(escaped[0]):
            blocks.append(f"<h2>{_HEADING.fullmatch(escaped[0]).group(1)}</h2>")
        elif all(_BULLET.fullmatch(line) for line in escaped):
            items = "".join(f"<li>{_BULLET.fullmatch(line).group(1)}</li>" for line in escaped)
            blocks.append(f"<ul>{items}</ul>")
        elif all(_NUMBERED.fullmatch(line) for line in escaped):
            items = "".join(f"<li>{_NUMBERED.fullmatch(line).group(1)}</li>" for line in escaped)
            blocks.append(f"<ol>{items}</ol>")
        else:
            blocks.append(f"<p>{'<br>'.join(escaped)}</p>")
    return mark_safe("\n".join(blocks))  # noqa: S308  # nosec B308 B703: escaped text only


class _ToMarkup(HTMLParser):
    """The standard text's HTML (headings, paragraphs, lists, links, bold) in the markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.text: list[str] = []
        self.lists: list[list] = []  # [kind, number] of the lists we are in
        self.href: str | None = None

    def _flush(self, prefix: str = "") -> None:
        line = " ".join("".join(self.text).split())
        self.text = []
        if line:
            self.blocks.append(prefix + line)

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3", "p", "li", "dt", "dd"):
            self._flush()
        if tag in ("ul", "ol"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.text.append("[")
        elif tag in ("strong", "b"):
            self.text.append("**")

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._flush("## ")
            self.blocks.append("")
        elif tag == "li" and self.lists:
            kind = self.lists[-1]
            kind[1] += 1
            self._flush("- " if kind[0] == "ul" else f"{kind[1]}. ")
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.pop()
            self.blocks.append("")
        elif tag in ("p", "dd", "dt"):
            self._flush()
            self.blocks.append("")
        elif tag == "a":
            self.text.append(f"]({self.href})" if self.href else "]")
            self.href = None
        elif tag in ("strong", "b"):
            self.text.append("**")

    def handle_data(self, data):
        self.text.append(data)


def html_to_service_text(html: str) -> str:
    """The standard text (HTML) as the markup staff edit, so they start from it."""
    parser = _ToMarkup()
    parser.feed(html)
    parser.close()
    parser._flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(parser.blocks)).strip() + "\n"
