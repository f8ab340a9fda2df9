"""The feedback pages' exporter writes nbconvert's page, alt text included, without re-parsing it."""

import base64
import html
import re
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from autograde.grading.feedback_html import ALT, FeedbackHTMLExporter, with_alt_text

ROOT = Path(__file__).resolve().parent.parent
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()


def _notebook():
    plot = new_code_cell("plot()", outputs=[new_output(
        "display_data", data={"image/png": PNG, "text/plain": "<Figure>"})])
    return new_notebook(cells=[
        new_markdown_cell("# Title\n\nSome $x^\\top W$ and ![a diagram](data:image/png;base64,"
                          f"{PNG})\n\n`<img src=x>` as code, not a tag"),
        new_code_cell("x = 1  # <img src=y>", outputs=[new_output(
            "stream", name="stdout", text="<img src=z> printed\n")]),
        plot])


def _page_text(page):
    """What a reader sees: no tags, styles or scripts; entities decoded (BeautifulSoup writes
    ``&#182;`` as the character itself)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _img_tags(page):
    return re.findall(r"<img\b[^>]*>", page)


def test_alt_text_is_added_only_to_image_tags_without_one():
    page = ('<p><img src="data:image/png;base64,AAAA" width=3></p><IMG SRC="b.png">'
            '<img alt="mine" src="c.png"><pre>&lt;img src=x&gt;</pre>')
    out = with_alt_text(page)
    assert out.count(ALT) == 2
    assert '<img alt="mine" src="c.png">' in out and "&lt;img src=x&gt;" in out
    assert with_alt_text(out) == out  # a second pass adds nothing
    data = '<img src="data:image/png;base64,iVBO/alt=">'  # base64 may end so: not an attribute
    assert with_alt_text(data).count(ALT) == 1


def test_the_page_is_nbconverts_own_with_its_alt_text():
    config = Config()
    config.HTMLExporter.template_name = "classic"  # feedback's template extends it
    nb = _notebook()
    theirs, _ = HTMLExporter(config=config).from_notebook_node(nbformat.from_dict(nb))
    ours, _ = FeedbackHTMLExporter(config=config).from_notebook_node(nbformat.from_dict(nb))
    assert _page_text(ours) == _page_text(theirs)
    assert len(_img_tags(ours)) == len(_img_tags(theirs)) == 2  # the diagram and the figure
    assert all("alt=" in tag for tag in _img_tags(ours))
    assert 'alt="a diagram"' in ours and ours.count(ALT) == 1  # only the figure had none
    assert "<img src=z>" not in ours and "&lt;img src=z&gt;" in ours  # printed text stays text


def test_nbgrader_feedback_uses_it():
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    assert re.search(r'^c\.GenerateFeedback\.exporter_class = '
                     r'"autograde\.grading\.feedback_html\.FeedbackHTMLExporter"$', config, re.M)
