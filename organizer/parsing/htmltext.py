"""Readable plain text from an HTML body, for mail that has no text/plain alternative.

A small scanner instead of html.parser: Python 3.11's HTMLParser takes quadratic time on
unclosed comments and similar junk, which a hostile mail can exploit. This one walks the text
once (every search starts where the last one ended), turns block elements into line breaks,
drops script/style/head content and comments, and unescapes entities.
"""

import html
import re

SKIPPED = {"script", "style", "head", "title", "template", "noscript", "object", "svg", "math"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
CELLS = {"td", "th"}
TAG = re.compile(r"<(/?)([A-Za-z][^\s/<>]*+)[^<>]*+>")
ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_closers = {}


def _closer(tag):
    if tag not in _closers:
        _closers[tag] = re.compile(rf"</{tag}\s*>", re.I)
    return _closers[tag]


def html_to_text(markup):
    if not markup:
        return ""
    parts = []
    position, end = 0, len(markup)
    last_close = markup.rfind(">")
    while position < end:
        start = markup.find("<", position)
        if start < 0:
            parts.append(markup[position:])
            break
        parts.append(markup[position:start])
        if markup.startswith("<!--", start):
            close = markup.find("-->", start + 4)
            position = end if close < 0 else close + 3
            continue
        if markup.startswith(("<!", "<?"), start):
            close = markup.find(">", start)
            position = end if close < 0 else close + 1
            continue
        match = TAG.match(markup, start)
        if match is None:
            if start > last_close:  # no tag can follow: the rest is text
                parts.append(markup[start:])
                break
            parts.append("<")
            position = start + 1
            continue
        position = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name in SKIPPED and not closing:
            close = _closer(name).search(markup, position)
            position = end if close is None else close.end()
        elif name in BLOCKS:
            parts.append("\n- " if name == "li" and not closing else "\n")
        elif name in CELLS:
            parts.append(" ")
        elif name == "img":
            alt = ALT.search(match.group(0))
            if alt:
                parts.append(next(g for g in alt.groups() if g is not None))
    text = html.unescape("".join(parts))
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
