"""Nothing a learner wrote or their kernel displayed is active in the feedback HTML or Formgrader.

A small notebook holds the attacks of attacks/03 and attacks/11 (character-reference and
backslash-escaped ``javascript:`` links, reference definitions, raw cells, remote images, an
image whose width opens an ``onerror`` attribute, ...). After :func:`neutralize_cell` it is
rendered with nbconvert's HTMLExporter and nbgrader's two templates (``feedback``, what
``generate_feedback`` writes; ``formgrade``, what Formgrader serves), and the page must hold
nothing active that the same template does not put into a page without learner cells. One
headless Chromium then opens the feedback page (skipped with the reason if it is missing).
"""

import os
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from autograde.grading import neutralize
from autograde.grading.neutralize import active_parts, inert_markdown, neutralize_cell

INSTRUCTORS = "## Exercise 2\nUse [the course notes](https://example.org/notes)."
WRITTEN = """Because f'(net) = s(1 - s): see [my derivation](&#106;avascript:alert('md-1')).
Also [two](&#x6A;ava&#x73;cript:alert('md-2')), [three](javascript&#58;alert('md-3')),
[four](javascript\\:alert('md-4')), [five](<javascript:alert('md-5')>), [six][def],
$\\href{&#106;avascript:alert('md-7')}{a formula link}$, $x_{[t]} < y$ and **my math**.

[def]: javascript:alert('md-6')

![tracker](https://attacker.example/pixel.png?who=md) <img src=x onerror=alert('md-8')>
<svg onload=alert('md-9')></svg><iframe src="javascript:alert('md-10')"></iframe>"""
HOSTILE_OUTPUTS = [
    new_output("display_data", data={"image/png": "AAAA"},  # attacks/11: a zero-click onerror
               metadata={"image/png": {"width": "1 onerror=alert('img-1')", "height": "2"}}),
    new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"},
               metadata={"filenames": {"image/png": "https://attacker.example/out.png"},
                         "image/png": {"unconfined": "x onload=alert('img-2')", "width": 40}}),
    new_output("display_data", data={"image/jpeg": '" onerror="alert(3)'}),
    new_output("display_data", data={"text/html": "<b onmouseover=alert('html')>",
                                      "image/svg+xml": "<svg onload=alert('svg')/>",
                                      "application/javascript": "alert('js')"}),
    new_output("stream", name="stdout\" onclick=\"alert('stream')", text="printed <b>text</b>\n"),
    new_output("error", ename="ValueError", evalue="<img src=x onerror=alert('err')>",
               traceback=["\x1b[31m<script>alert('tb')</script>\x1b[0m"]),
]


def hostile_notebook():
    cells = [new_markdown_cell(INSTRUCTORS), new_markdown_cell(WRITTEN),
             new_raw_cell("<script>alert('raw-1')</script><b id=raw-b>raw html</b>",
                          metadata={"raw_mimetype": "text/html"}),
             new_raw_cell("<img src=x onerror=alert('raw-2')> ![t](https://attacker.example/r.png)",
                          metadata={"format": "text/html"}),
             new_code_cell("show()", outputs=HOSTILE_OUTPUTS, execution_count=3)]
    return new_notebook(cells=cells)


class _Live(HTMLParser):
    """The active parts of a page: scripts, event handlers, URLs with a scheme, frames, SVG."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = set()

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "svg", "object", "embed", "base", "form", "meta"):
            self.parts.add((tag, tuple(sorted(a for a in attrs if a[0] != "id"))))
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", unescape(value or ""))
            if name.startswith("on") or (name in ("href", "src", "action", "formaction", "xlink:href")
                                         and not url.startswith(("#", "data:image/png",
                                                                 "data:image/jpeg"))):
                self.parts.add((tag, name, url))

    handle_startendtag = handle_starttag


def live_parts(html):
    parser = _Live()
    parser.feed(html)
    return parser.parts


def render(nb, template):
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions import formgrader

    here = Path(formgrader.__file__).parent  # as generate_feedback and Formgrader configure it
    css = here / "static" / "node_modules" / "bootstrap" / "dist" / "css"
    exporter = HTMLExporter(template_name=template, extra_template_basedirs=[str(here / "templates")],
                            extra_template_paths=[str(css)])
    resources = {"nbgrader": {"notebook": "02", "score": 8, "max_score": 8, "late_penalty": 0},
                 "assignment_id": "bptt", "notebook_id": "02", "student": "s", "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "", "notebook_path": "02.ipynb",
                 "first_name": "A", "last_name": "B"}
    return exporter.from_notebook_node(nbformat.from_dict(nb), resources=resources)[0]


def neutralized(nb):
    nb.cells = [neutralize_cell(c, {INSTRUCTORS}) for c in nb.cells]
    nbformat.validate(nb)
    return nb


def test_the_unprotected_page_would_be_live():  # the check below sees these attacks
    html = render(hostile_notebook(), "feedback")
    parts = live_parts(html) - live_parts(render(new_notebook(), "feedback"))
    assert len([p for p in parts if p[1] == "href" and p[2].startswith("javascript:")]) == 6
    assert ("img", "onerror", "alert('img-1')") in parts
    assert ("img", "src", "https://attacker.example/pixel.png?who=md") in parts


@pytest.mark.parametrize("template", ["feedback", "formgrade"])
def test_nothing_the_learner_wrote_or_displayed_is_live(template):
    html = render(neutralized(hostile_notebook()), template)
    assert live_parts(html) == live_parts(render(new_notebook(), template)) | {
        ("a", "href", "https://example.org/notes"),  # the instructor's link
        ("a", "href", "https://attacker.example/pixel.png?who=md")}  # a plain https URL: a link
    for shown in ("my derivation", "raw html", "printed", "my math"):
        assert shown in html, shown  # the learner's text is still there, as text


def test_images_keep_only_a_numeric_size():
    cell = neutralize_cell(hostile_notebook().cells[-1])
    metas = [o.get("metadata") for o in cell.outputs if o.output_type == "display_data"]
    assert metas == [{}, {"image/png": {"width": 40}}]
    assert [o.get("name") for o in cell.outputs if o.output_type == "stream"] == ["stdout"]
    assert cell.execution_count == 3
    tagged = new_code_cell("x", metadata={"tags": ["raises-exception"], "jupyter": {"x": 1}})
    assert neutralize_cell(tagged).metadata == {"tags": ["raises-exception"]}
    tagged.metadata.tags.append('x" onclick="alert(1)')
    assert neutralize_cell(tagged).metadata == {}


def test_rendered_markdown_with_more_than_formatting_is_shown_as_code(monkeypatch):
    assert active_parts('<p><a href="javascript:alert(1)">x</a></p>') == ["a href='javascript:alert(1)'"]
    assert active_parts('<p><img src="x" /></p>') == ["img", "img src='x'"]
    assert active_parts('<h1 id="A">A<a class="anchor-link" href="#A">#</a></h1>') == []
    assert inert_markdown("<b>x</b> [a](javascript:1)") == "&lt;b>x&lt;/b> [a]\u200b(javascript:1)"
    # a link that got past the first rule (here: the rule switched off) is caught by the audit
    monkeypatch.setattr(neutralize, "_INERT", "]")
    assert inert_markdown("[a](javascript:1) `x`") == "```\n[a](javascript:1) `x`\n```"


def test_no_dialog_and_no_remote_fetch_in_chromium(tmp_path):
    from browser_lab import CHROMIUM, CHROMIUM_ARGS, missing_browser

    reason = missing_browser()
    if reason:
        if os.environ.get("BPTT_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(f"browser check skipped: {reason}")
    from playwright.sync_api import sync_playwright

    page_file = Path(tmp_path) / "feedback.html"
    page_file.write_text(render(neutralized(hostile_notebook()), "feedback"), encoding="utf-8")
    dialogs, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.route("http*://**", lambda route: route.abort())  # offline
        page.goto(page_file.as_uri(), wait_until="load")
        # The browser's own URL parser: every link and source in the page, with its scheme.
        odd = page.evaluate("""() => [...document.querySelectorAll('[href],[src]')]
            .map(e => e.href || e.src).filter(u => !/^(https?:|mailto:|data:image|file:)/.test(u))""")
        for link in page.query_selector_all("a[href]"):
            if not link.get_attribute("href").startswith("http"):
                link.dispatch_event("click")
        page.wait_for_timeout(300)
        browser.close()
    assert dialogs == [] and odd == []
    assert not [u for u in requests if "attacker.example" in u], requests
