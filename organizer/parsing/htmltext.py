"""Readable plain text from an HTML body, for mail that has no text/plain alternative.

Deliberately simple: the standard library's tolerant HTMLParser, block elements as line breaks,
script/style/head content dropped. Very large documents fall back to stripping tags by pattern,
which is linear and cannot get stuck.
"""

import html
import re
from html.parser import HTMLParser

SKIPPED = {"script", "style", "head", "title", "template", "noscript", "object", "svg", "math"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
CELLS = {"td", "th"}
PARSER_LIMIT = 2_000_000
BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
TAG = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.I | re.S)


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag in CELLS:
            self.parts.append("\t")
        elif tag == "img" and not self.skipping:
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_startendtag(self, tag, attrs):
        if tag not in SKIPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup):
    if not markup:
        return ""
    text = None
    if len(markup) <= PARSER_LIMIT:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            parser.close()
            text = "".join(parser.parts)
        except Exception:  # noqa: BLE001 - fall back to the pattern below
            text = None
    if text is None:
        text = html.unescape(TAG.sub(" ", markup))
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
