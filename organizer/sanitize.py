"""Sanitising the HTML body of a mail for display (nh3, i.e. Rust's ammonia, with an allow-list).

The output is meant for a document of its own, served with a strict CSP inside a sandboxed
iframe (see organizer.mailview); the sanitiser alone must still make it inert, because the
sandbox and the CSP are only a second line. What survives:

- formatting and table markup mail clients produce, with a few presentational attributes;
- inline styles of an allow-listed set of properties whose values are plain keywords, lengths
  and colours: no ``url(``, ``expression(``, escapes, comments or ``position`` (no overlays);
- links to http(s) and mailto only, opening a new tab with ``rel="noopener noreferrer"``;
- images from the mail itself (``cid:``, rewritten to the inline-part URL the caller gives),
  base64 ``data:`` images of raster types (they cannot run code or fetch anything, and some
  mail clients embed signatures that way), and remote http(s) images only when the caller
  allows remote content; otherwise the address moves to ``data-remote-src`` and nothing loads.

``<style>`` elements are dropped with their content: CSS in a style sheet cannot be filtered
property by property, and it is the usual carrier of remote fonts, backgrounds and tracking.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li",
        "main", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
        "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

# Removed together with everything inside them (the others not in TAGS keep their text).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "title", "head", "noscript", "template", "textarea", "select",
        "option", "iframe", "frame", "frameset", "noframes", "object", "embed", "applet",
        "svg", "math", "xmp", "noembed", "plaintext", "canvas", "audio", "video", "button",
    }
)  # fmt: skip

ATTRIBUTES = {
    "*": {"style", "title", "lang", "dir", "align", "valign", "width", "height", "bgcolor"},
    "a": {"href"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "frame", "rules"},
    "td": {"colspan", "rowspan", "nowrap", "abbr", "scope"},
    "th": {"colspan", "rowspan", "nowrap", "abbr", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "time": {"datetime"},
    "details": {"open"},
    "hr": {"size", "noshade", "color"},
}

# Where a blocked remote image keeps its address (nothing loads it).
REMOTE_SOURCE = "data-remote-src"

SET_ATTRIBUTES = {
    "a": {"target": "_blank"},
    # With remote images allowed, the sender's server still learns nothing about the page.
    "img": {"referrerpolicy": "no-referrer", "loading": "lazy", REMOTE_SOURCE: ""},
}

STYLE_PROPERTIES = frozenset(
    {
        "background", "background-color", "border", "border-bottom", "border-bottom-color",
        "border-bottom-style", "border-bottom-width", "border-collapse", "border-color",
        "border-left", "border-left-color", "border-left-style", "border-left-width",
        "border-radius", "border-right", "border-right-color", "border-right-style",
        "border-right-width", "border-spacing", "border-style", "border-top", "border-top-color",
        "border-top-style", "border-top-width", "border-width", "caption-side", "clear", "color",
        "direction", "display", "empty-cells", "float", "font", "font-family", "font-size",
        "font-style", "font-variant", "font-weight", "height", "letter-spacing", "line-height",
        "list-style-position", "list-style-type", "margin", "margin-bottom", "margin-left",
        "margin-right", "margin-top", "max-height", "max-width", "min-height", "min-width",
        "overflow-wrap", "padding", "padding-bottom", "padding-left", "padding-right",
        "padding-top", "table-layout", "text-align", "text-decoration", "text-indent",
        "text-transform", "vertical-align", "white-space", "width", "word-break",
        "word-spacing", "word-wrap",
    }
)  # fmt: skip

# A declaration value made of keywords, numbers, lengths, #colours, quoted font names and the
# colour functions. No backslash (CSS escapes would hide "url(" from this check and nh3 decodes
# them), no other function, no comment, no "@", "<" or ";".
_PLAIN = r"[\w\s#%.,'\"!+/-]"
_COLOUR_FUNCTION = r"(?:rgba?|hsla?)\([\d\s.,%/+-]*\)"
STYLE_VALUE = re.compile(rf"^(?:{_PLAIN}|{_COLOUR_FUNCTION})*$", re.ASCII)
DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]+$", re.I)
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
LINK_SCHEMES = ("http", "https", "mailto")
IMAGE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SanitizedHtml:
    html: str
    # Whether the mail wanted remote images: blocked ones, or loaded ones when allowed.
    had_remote_content: bool


def sanitize_mail_html(html, *, inline_url=None, allow_remote=False):
    """The mail's HTML made safe to show, and whether it asked for remote content.

    `inline_url(content_id)` returns the URL that serves the mail's part with that Content-ID
    (a relative URL of the caller's own), or None when the mail has no such image; without
    it, ``cid:`` images are dropped.
    """
    state = _State(inline_url, allow_remote)
    cleaner = nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=state.filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values=SET_ATTRIBUTES,
        # Checked before the filter runs; the filter then narrows them per attribute.
        url_schemes={"http", "https", "mailto", "data", "cid"},
        # Relative URLs of the mail are dropped by the filter; only the inline-part URLs it
        # writes itself are relative.
        url_relative=state.relative_url,
        filter_style_properties=set(STYLE_PROPERTIES),
    )
    cleaned = cleaner.clean(html or "")
    return SanitizedHtml(cleaned, state.had_remote)


class _State:
    def __init__(self, inline_url, allow_remote):
        self.inline_url = inline_url
        self.allow_remote = allow_remote
        self.had_remote = False
        self.written = set()  # the relative URLs this filter produced
        # The address of the remote image just blocked: nh3 filters an element's own
        # attributes first, then the ones it sets, so REMOTE_SOURCE of the same <img> follows.
        self.blocked_source = None

    def filter(self, tag, attribute, value):
        if attribute == "style":
            return clean_style(value)
        if tag == "a" and attribute == "href":
            return value if scheme_of(value) in LINK_SCHEMES else None
        if tag == "img" and attribute == "src":
            return self.image_source(value)
        if tag == "img" and attribute == REMOTE_SOURCE:
            # Set on every <img> by nh3 after its own attributes (a mail's own attribute of that
            # name is dropped before); it stays only on the image just blocked.
            source, self.blocked_source = self.blocked_source, None
            return source
        return value

    def image_source(self, value):
        value = value.strip()
        scheme = scheme_of(value)
        self.blocked_source = None
        if scheme == "cid":
            url = self.inline_url(unquote(value[4:]).strip("<>")) if self.inline_url else None
            if url:
                self.written.add(url)
            return url
        if scheme == "data":
            return value if DATA_IMAGE.match(value) else None
        if scheme in IMAGE_SCHEMES:
            self.had_remote = True
            if self.allow_remote:
                return value
            self.blocked_source = value
            return None
        return None

    def relative_url(self, url):
        return url if url in self.written else None


def scheme_of(url):
    """The lower-cased scheme of a URL as a browser reads it, or "" for a relative one."""
    # Browsers drop ASCII whitespace and control characters inside a scheme ("java\tscript:").
    compact = re.sub(r"[\x00-\x20]", "", url or "")
    match = SCHEME.match(compact)
    return match.group(1).lower() if match else ""


def clean_style(value):
    """The declarations of a style attribute that are on the allow-list and plain; or None."""
    kept = []
    for declaration in (value or "").split(";"):
        name, colon, css_value = declaration.partition(":")
        name, css_value = name.strip().lower(), css_value.strip()
        if not colon or name not in STYLE_PROPERTIES or not css_value:
            continue
        if "/*" in css_value or not STYLE_VALUE.match(css_value):
            continue
        kept.append(f"{name}: {css_value}")
    return "; ".join(kept) or None
