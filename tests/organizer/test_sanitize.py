"""The mail HTML sanitiser on its own (no database, no browser; the browser proof is in
tests/browser/test_hostile_html.py)."""

import re

import pytest

from organizer.sanitize import clean_style, sanitize_mail_html, scheme_of


def clean(html, **options):
    return sanitize_mail_html(html, **options).html


def inline_url(content_id):
    return {"logo@mail": "/mail/1/inline/2/"}.get(content_id)


def test_formatting_and_tables_survive():
    html = (
        '<table border="1" cellpadding="4"><tr><td colspan="2" bgcolor="#eeeeee">'
        "<b>Summe</b> <i>netto</i></td></tr></table><p>Gruß<br>Mira</p><ul><li>eins</li></ul>"
    )
    out = clean(html)
    for piece in ('border="1"', 'colspan="2"', 'bgcolor="#eeeeee"', "<b>Summe</b>", "<br>"):
        assert piece in out
    assert "<li>eins</li>" in out


@pytest.mark.parametrize(
    "html",
    [
        "<script>window.x=1</script>",
        '<script src="https://evil.example/x.js"></script>',
        "<style>@import url(https://evil.example/x.css)</style>",
        '<iframe src="https://evil.example/"></iframe>',
        '<iframe srcdoc="&lt;script&gt;window.x=1&lt;/script&gt;"></iframe>',
        '<frameset><frame src="https://evil.example/"></frameset>',
        '<object data="https://evil.example/x.swf"></object>',
        '<embed src="https://evil.example/x.swf">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<base href="https://evil.example/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<link rel="import" href="https://evil.example/x.html">',
        '<form action="https://evil.example/"><input name="pw"><button>Go</button></form>',
        '<button formaction="https://evil.example/">Go</button>',
        '<svg onload="window.x=1"><circle r="1"/></svg>',
        '<math><mi xlink:href="javascript:window.x=1">x</mi></math>',
        "<template><img src=x onerror=window.x=1></template>",
        '<video poster="https://evil.example/p.gif"></video>',
        '<audio src="https://evil.example/a.mp3"></audio>',
    ],
)
def test_active_and_fetching_elements_are_removed(html):
    out = clean(html)
    assert re.search(r"<(script|style|iframe|frame|object|embed|meta|base|link|form|input|"
                     r"button|svg|math|template|video|audio)\b", out) is None  # fmt: skip
    assert "evil.example" not in out
    assert "window.x" not in out


@pytest.mark.parametrize(
    "attribute",
    [
        'onerror="window.x=1"',
        'onload="window.x=1"',
        'onmouseover="window.x=1"',
        'onfocus="window.x=1" autofocus',
        'ONCLICK="window.x=1"',
    ],
)
def test_event_handlers_are_removed(attribute):
    out = clean(
        f'<img src="cid:logo@mail" {attribute}><div {attribute}>t</div>', inline_url=inline_url
    )
    assert "window.x" not in out
    assert re.search(r"\son\w+=", out, re.I) is None


@pytest.mark.parametrize(
    "href",
    [
        "javascript:window.x=1",
        "JaVaScRiPt&#58;window.x=1",
        "java\tscript:window.x=1",
        "&#106;avascript:window.x=1",
        " javascript:window.x=1",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD53aW5kb3cueD0xPC9zY3JpcHQ+",
        "cid:logo@mail",
        "/relative/path",
        "//evil.example/protocol-relative",
        "#anchor",
    ],
)
def test_links_other_than_http_and_mailto_lose_their_target(href):
    out = clean(f'<a href="{href}">Rechnung</a>', inline_url=inline_url)
    assert "href" not in out
    assert ">Rechnung</a>" in out


def test_links_open_a_new_tab_without_opener_or_referrer():
    out = clean(
        '<a href="https://shop.example.org/a?b=1&amp;c=2" target="_self" rel="opener">x</a>'
    )
    assert 'href="https://shop.example.org/a?b=1&amp;c=2"' in out
    assert 'target="_blank"' in out
    assert 'rel="noopener noreferrer"' in out
    assert "_self" not in out
    assert clean('<a href="mailto:mira.albrecht@example.org">m</a>').count('href="mailto:') == 1


def test_cid_images_point_at_the_inline_part_url():
    out = clean('<img src="cid:logo@mail" alt="Logo">', inline_url=inline_url)
    assert 'src="/mail/1/inline/2/"' in out
    # RFC 2392: the cid URL is the percent-encoded Content-ID without its angle brackets.
    assert 'src="/mail/1/inline/2/"' in clean(
        '<img src="cid:%3Clogo@mail%3E">', inline_url=inline_url
    )


def test_unknown_cid_and_relative_images_are_dropped():
    out = clean('<img src="cid:nothing@mail"><img src="/mail/1/inline/2/">', inline_url=inline_url)
    assert "src=" not in out
    assert "src=" not in clean('<img src="cid:logo@mail">')  # no inline_url given


def test_remote_images_are_blocked_by_default_and_keep_their_address_aside():
    result = sanitize_mail_html(
        '<img src="https://track.example.de/p.gif?u=1" alt="pixel"><img src="cid:logo@mail">',
        inline_url=inline_url,
    )
    assert result.had_remote_content
    assert re.search(r'\ssrc="https', result.html) is None
    imgs = re.findall(r"<img[^>]*>", result.html)
    assert 'data-remote-src="https://track.example.de/p.gif?u=1"' in imgs[0]
    assert "data-remote-src" not in imgs[1]
    assert 'src="/mail/1/inline/2/"' in imgs[1]


def test_remote_images_load_when_allowed_without_referrer():
    result = sanitize_mail_html('<img src="http://img.example.de/a.png">', allow_remote=True)
    assert result.had_remote_content
    assert 'src="http://img.example.de/a.png"' in result.html
    assert 'referrerpolicy="no-referrer"' in result.html
    assert "data-remote-src" not in result.html


def test_a_mail_without_remote_images_says_so():
    assert not sanitize_mail_html("<p>Hallo</p>").had_remote_content


def test_a_mails_own_remote_source_attribute_is_ignored():
    out = clean(
        '<img data-remote-src="https://evil.example/" src="cid:logo@mail">', inline_url=inline_url
    )
    assert "evil.example" not in out


def test_data_images_only_of_raster_types():
    png = "data:image/png;base64,iVBORw0KGgo="
    assert f'src="{png}"' in clean(f'<img src="{png}">')
    for bad in [
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "data:text/html;base64,PHNjcmlwdD48L3NjcmlwdD4=",
        "data:image/png,<svg onload=x>",
    ]:
        assert "src=" not in clean(f'<img src="{bad}">')


def test_fixed_overlays_and_dangerous_css_are_removed():
    out = clean(
        '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:#fff;'
        'z-index:9999">Bitte neu anmelden</div>'
    )
    assert "position" not in out and "z-index" not in out and "top" not in out
    assert "width:100%" in out.replace(" ", "")
    assert "Bitte neu anmelden" in out


@pytest.mark.parametrize(
    "style",
    [
        "background:url(https://track.example.de/css.gif)",
        "background-image:url(javascript:window.x=1)",
        "width:expression(window.x=1)",
        "color:re\\64;background:u\\72l(https://track.example.de/x)",
        "-moz-binding:url(https://evil.example/x.xml#x)",
        "behavior:url(x.htc)",
        "background:/**/url(https://track.example.de/x)",
        "list-style-image:url(https://track.example.de/x)",
        "cursor:url(https://track.example.de/x),auto",
        "position:absolute;top:0",
        "font-family:'@import'",
    ],
)
def test_styles_that_fetch_run_or_overlay_are_removed(style):
    out = clean(f'<p style="{style}">t</p>')
    for word in ("url", "expression", "binding", "behavior", "position", "import", "\\"):
        assert word not in out


def test_plain_styles_are_kept():
    assert clean_style(
        "color: #333; font: 12px/1.4 'Segoe UI', Arial; border: 1px solid rgb(0,0,0)"
    ) == ("color: #333; font: 12px/1.4 'Segoe UI', Arial; border: 1px solid rgb(0,0,0)")
    assert clean_style("color: red !important") == "color: red !important"
    assert clean_style("position: fixed; color: red") == "color: red"
    assert clean_style("") is None


def test_comments_and_conditional_comments_are_removed():
    out = clean("<!--[if mso]><script>window.x=1</script><![endif]--><p>t</p><!-- <img src=x> -->")
    assert out == "<p>t</p>"


@pytest.mark.parametrize(
    "html",
    [
        "<math><mtext><table><mglyph><style><img src=x onerror=window.x=1></style></mglyph>"
        "</table></mtext></math>",
        '<noscript><p title="</noscript><img src=x onerror=window.x=1>"></noscript>',
        '<title><img src=x onerror="window.x=1"></title>',
        '<textarea><img src=x onerror="window.x=1"></textarea>',
        '<style><img src=x onerror="window.x=1"></style>',
        '<svg><style><img src=x onerror="window.x=1"></style></svg>',
        '<form><math><mtext></form><form><mglyph><style></math><img src onerror="window.x=1">',
        '<svg></p><style><a id="</style><img src=1 onerror=window.x=1>">',
        "<xmp><img src=x onerror=window.x=1></xmp>",
    ],
)
def test_mutation_xss_patterns_end_up_inert(html):
    out = clean(html)
    assert re.search(r"\son\w+=", out, re.I) is None
    assert not re.search(r"<(style|svg|math|noscript|title|textarea|xmp)\b", out)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("https://x", "https"),
        (" JAVA\nSCRIPT:x", "javascript"),
        ("\x01javascript:x", "javascript"),
        ("/a:b", ""),
        ("a/b:c", ""),
    ],
)
def test_scheme_is_read_the_way_browsers_read_it(url, scheme):
    assert scheme_of(url) == scheme


def test_empty_and_missing_html():
    assert sanitize_mail_html("").html == ""
    assert sanitize_mail_html(None).html == ""
