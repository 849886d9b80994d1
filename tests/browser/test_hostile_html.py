"""Issue 5's hostile-HTML set in real Chromium: no script runs, nothing is fetched.

Twice: the sanitiser's output in an ordinary page where scripts DO run (so the sanitiser alone
must make every payload inert), and the mail through the real message view (sandboxed iframe,
its own CSP). A control renders the raw payloads in the same harness to show that it notices.
"""

import pytest
from django.urls import reverse

from organizer.sanitize import sanitize_mail_html
from tests.archiving.filed_mail_data import file_raw_mail, html_mail
from tests.browser.conftest import script_runs, window_flags
from tests.browser.hostile_html import PAYLOADS, hostile_document, with_attacker
from tests.factories import make_contact

pytestmark = pytest.mark.browser

# Raw payloads that must visibly fire in the harness (what it then reports).
CONTROL = {
    "script": "f30_script",
    "img onerror": "f30_img",
    "onmouseover": "f30_hover",
    "javascript link": "f30_href",
    "css url": "/css-bg.gif",
    "iframe": "element iframe",
}

# What must not exist in the rendered mail (in its body; anywhere for the worst), handlers,
# fetching attributes, positioned elements, and links other than http(s)/mailto.
INSPECT = """() => {
  const found = [];
  const banned = "script,style,iframe,frame,object,embed,form,input,button,textarea,select," +
    "meta,base,link,svg,math,template,noscript,video,audio,source,title";
  for (const el of document.body.querySelectorAll(banned)) {
    found.push("element " + el.localName);
  }
  // The frame document's own head holds a charset, a viewport and a style element: nothing else.
  for (const el of document.querySelectorAll("script, base, link, meta[http-equiv], iframe")) {
    found.push("element " + el.localName);
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) { found.push("handler " + attr.name); }
      if (["srcset", "ping", "background", "formaction", "action", "srcdoc", "poster"]
          .includes(attr.name)) { found.push("attribute " + attr.name); }
    }
    if (["fixed", "absolute", "sticky"].includes(getComputedStyle(el).position)) {
      found.push("positioned " + el.localName);
    }
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!/^(https?|mailto):/.test(a.href)) { found.push("link " + a.href); }
  }
  return found;
}"""


def provoke(frame, page):
    """Hover, focus and click whatever a payload might wait for."""
    for element in frame.query_selector_all("body *")[:400]:
        if element.is_visible():
            element.hover(timeout=2000, force=True)
    for _ in range(5):
        page.keyboard.press("Tab")
    for link in frame.query_selector_all("a"):
        href = link.get_attribute("href") or ""
        if not href.startswith(("http:", "https:", "mailto:")) and link.is_visible():
            link.click(timeout=2000, force=True)


def settle(page):
    """Two animation frames: style and layout done, so every fetch they cause has started."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def block_all_requests(page, blocked):
    def handle(route):
        blocked.append(route.request.url)
        route.abort()

    page.route("**/*", handle)


def observe_in_plain_page(page, html, blocked):
    """Renders `html` in a fresh document of an ordinary page (scripts allowed), provokes it and
    returns what went wrong: banned markup, flags, hook records, fetches, navigation."""
    page.goto("about:blank")  # a new window: nothing carries over from the last payload
    blocked.clear()
    page.set_content(f"<!doctype html><html><body><p>before</p>{html}</body></html>")
    provoke(page.main_frame, page)
    settle(page)
    found = page.evaluate(INSPECT) + window_flags(page.main_frame) + script_runs(page)
    found += [f"request {url}" for url in blocked]
    if page.url != "about:blank":
        found.append(f"navigated to {page.url}")
    return found


def test_sanitised_payloads_are_inert_in_a_page_that_runs_scripts(page, attacker, requests_seen):
    blocked = []
    block_all_requests(page, blocked)
    problems = {}
    for name, html in [*PAYLOADS, ("all at once", hostile_document("ATTACKER"))]:
        clean = sanitize_mail_html(with_attacker(html, attacker.url)).html
        found = observe_in_plain_page(page, clean, blocked)
        if found:
            problems[name] = found
    assert problems == {}
    assert [url for url in requests_seen.urls if url != "about:blank"] == []
    assert attacker.paths == []


def test_control_the_raw_payloads_are_noticed_by_the_same_harness(page, attacker):
    blocked = []
    block_all_requests(page, blocked)
    missed = {}
    for name, evidence in CONTROL.items():
        html = with_attacker(dict(PAYLOADS)[name], attacker.url)
        found = observe_in_plain_page(page, html, blocked)
        if evidence not in " ".join(map(str, found)):
            missed[name] = found
    assert missed == {}


@pytest.mark.django_db(transaction=True)
def test_hostile_mail_in_the_message_view_runs_nothing_and_fetches_only_from_us(
    live_server, page, login, requests_seen, attacker, owner
):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    raw = html_mail(
        hostile_document(attacker.url),
        subject='Rechnung <script>window.f30_subject=1</script> "offen"',
    )
    mail = file_raw_mail(raw, contact, user=owner)
    login(owner)

    page.goto(live_server.url + reverse("archiving:filed_mail", kwargs={"pk": mail.pk}))
    frame = page.wait_for_selector("iframe.mail-html").content_frame()
    frame.wait_for_load_state("load")
    assert "Sehr geehrte Frau Vogt" in frame.inner_text("body")
    provoke(frame, page)
    page.mouse.move(400, 500)
    page.wait_for_load_state("networkidle")

    assert frame.evaluate(INSPECT) == []
    assert window_flags(frame) == []
    assert window_flags(page.main_frame) == []
    assert script_runs(page) == []
    assert requests_seen.outside(live_server.url) == []
    assert attacker.paths == []
    assert page.title().startswith('Rechnung <script>window.f30_subject=1</script> "offen"')
    assert len(page.frames) == 2  # the page and the mail: no frame of the mail's own
