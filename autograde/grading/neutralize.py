"""Nothing a learner wrote or their kernel displayed is active in the feedback HTML or Formgrader.

:class:`NeutralizeActiveContent` rewrites the autograded notebook itself (Formgrader renders it
at the instructor's Jupyter origin, ``generate_feedback`` turns it into the learner's HTML):

- a markdown cell whose source is not, to the letter, one of the instructor's: raw HTML shows
  as text (``<`` escaped) and no link or image forms at all (an invisible character after
  every ``]`` that could open a link destination or a reference definition); character
  references and backslash escapes cannot rebuild a URL then. The cell is rendered once with
  nbconvert's own markdown renderer; if anything but plain formatting, heading anchors and
  ``http(s)``/``mailto`` autolinks came out, the whole cell is shown as code instead;
- a raw cell (nbconvert writes raw cells into the page as HTML) becomes its text as code;
- a code cell keeps plain text and PNG/JPEG figures (base64 only), with at most a numeric
  width and height as output metadata (nbconvert's templates write them unquoted);
  stream names, error texts and execution counts are reduced to what the templates expect;
  cell metadata keeps nbgrader's and plain word-like tags only.
"""

import base64
import binascii
import math
import re
from html.parser import HTMLParser

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from .program import source_of

SAFE_MIME = ("text/plain", "image/png", "image/jpeg")  # what a graded notebook may display
IMAGES = ("image/png", "image/jpeg")
_LINK_OPENER = re.compile(r"\](?=[(:\[])")  # "](", "]:" (a definition), "][" (a reference)
_INERT = "]\u200b"  # a zero-width space: no parser reads "]\u200b(" as a link
_FORMATTING = {"p", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
               "h1", "h2", "h3", "h4", "h5", "h6", "del", "table", "thead", "tbody", "tr", "th",
               "td", "a", "span", "div", "input"}
_SAFE_HREF = re.compile(r"(#|https?://|mailto:)", re.IGNORECASE)
_TAG = re.compile(r"[\w-]{1,64}")
_ALIGN = re.compile(r"text-align:\s*(left|right|center);?")


class _Audit(HTMLParser):
    """Everything in rendered learner markdown that is more than formatting (a list of reasons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.active = []

    def handle_starttag(self, tag, attrs):
        if tag not in _FORMATTING:
            self.active.append(tag)
        for name, value in attrs:
            value = value or ""
            if not (name in ("id", "class")
                    or (name == "href" and tag == "a" and _SAFE_HREF.match(value))
                    or (name == "style" and tag in ("th", "td") and _ALIGN.fullmatch(value))
                    or (tag == "input" and name in ("checked", "disabled"))
                    or (tag == "input" and name == "type" and value == "checkbox")):
                self.active.append(f"{tag} {name}={value[:40]!r}")

    handle_startendtag = handle_starttag


def active_parts(html):
    """The tags and attributes of ``html`` that are more than plain formatting (empty: none)."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.active


def as_code(text):
    """Markdown showing ``text`` verbatim as a code block, whatever backticks it holds."""
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


def inert_markdown(source):
    """A learner's markdown with raw HTML shown as text and no link or image."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    safe = _LINK_OPENER.sub(_INERT, source.replace("<", "&lt;"))
    if active_parts(markdown2html_mistune(safe)):
        return as_code(source)
    return safe


def _plain_number(value):
    """A finite positive number as an int (an image's width or height), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not 0 < value < 100_000:
        return None
    return int(value)


def _text(value):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value if isinstance(value, str) else None


def _base64(value):
    text = _text(value)
    if text is None:
        return None
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return "".join(text.split())


def safe_output(out):
    """``out`` (a code cell's output) reduced to what the course shows, or None to drop it."""
    kind = out.get("output_type")
    if kind == "stream":
        text = _text(out.get("text"))
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return None if text is None else nbformat.v4.new_output("stream", name=name, text=text)
    if kind == "error":
        trace = out.get("traceback")
        trace = [t for t in trace if isinstance(t, str)] if isinstance(trace, list) else []
        return nbformat.v4.new_output("error", ename=_text(out.get("ename")) or "Error",
                                      evalue=_text(out.get("evalue")) or "", traceback=trace)
    if kind not in ("display_data", "execute_result"):
        return None
    data, metadata = {}, {}
    given = out.get("data") if isinstance(out.get("data"), dict) else {}
    for mime in SAFE_MIME:
        value = (_base64 if mime in IMAGES else _text)(given.get(mime))
        if value is None:
            continue
        data[mime] = value
        size = (out.get("metadata") or {}).get(mime) if mime in IMAGES else None
        size = {k: _plain_number(size.get(k)) for k in ("width", "height")} \
            if isinstance(size, dict) else {}
        if any(v is not None for v in size.values()):
            metadata[mime] = {k: v for k, v in size.items() if v is not None}
    if not data:
        return None
    if kind == "display_data":
        return nbformat.v4.new_output(kind, data=data, metadata=metadata)
    return nbformat.v4.new_output(kind, data=data, metadata=metadata,
                                  execution_count=_count(out.get("execution_count")))


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class NeutralizeActiveContent(NbGraderPreprocessor):
    """Nothing a learner wrote or their kernel displayed runs in a browser (module docstring)."""

    def preprocess(self, nb, resources):
        instructors = _instructors_of(self.config, resources)
        for i, cell in enumerate(nb.cells):
            nb.cells[i] = neutralize_cell(cell, instructors)
        return nb, resources


def _instructors_of(config, resources):
    from .preprocessors import instructor_notebook

    return {source_of(c) for c in instructor_notebook(config, resources)["cells"]
            if c.get("cell_type") == "markdown"}


def neutralize_cell(cell, instructors=frozenset()):
    """``cell`` with nothing active; ``instructors``: the instructor's markdown sources (kept)."""
    given = cell.get("metadata", {})
    keep = {"nbgrader": given["nbgrader"]} if "nbgrader" in given else {}
    tags = given.get("tags")  # e.g. raises-exception on visible tests; written escaped into classes
    if isinstance(tags, list) and tags and all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags):
        keep["tags"] = list(tags)
    if cell.cell_type == "markdown":
        if cell.source in instructors:
            return cell
        new = nbformat.v4.new_markdown_cell(inert_markdown(cell.source), metadata=keep)
    elif cell.cell_type == "code":
        new = nbformat.v4.new_code_cell(cell.source, metadata=keep,
                                        execution_count=_count(cell.get("execution_count")))
        new.outputs = [o for o in map(safe_output, cell.get("outputs", [])) if o is not None]
    else:  # raw, or anything else: its text, shown as code
        new = nbformat.v4.new_markdown_cell(as_code(cell.get("source", "")), metadata=keep)
    if "id" in cell:
        new.id = cell.id
    else:  # a notebook older than nbformat 4.5 has no cell ids
        new.pop("id", None)
    return new
