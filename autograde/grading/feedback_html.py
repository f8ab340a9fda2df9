"""The feedback pages' exporter: nbconvert's ``HTMLExporter`` without its BeautifulSoup pass.

``HTMLExporter.from_notebook_node`` (nbconvert 7) renders the template, then parses the whole
page with BeautifulSoup's pure-Python ``html.parser`` to add two things and prints it again:
``alt`` text on images that have none, and ``tabindex`` on JupyterLab-template cells. Feedback
pages use nbgrader's feedback template (on nbconvert's classic one, no JupyterLab cells), and
the parse and print were half of their cost: measured on the 9 notebooks of a whole-course
submission, 6.6 s of 12.9 s in the profiler. :class:`FeedbackHTMLExporter` renders the same
template and adds the same ``alt`` text to the images the template writes.

``nbgrader_config.py`` names it (``c.GenerateFeedback.exporter_class``); as a subclass of
``HTMLExporter`` it takes every ``c.HTMLExporter`` setting nbgrader makes for feedback.
"""

import re

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

# nbconvert's own words for an image without a description
ALT = ' alt="No description has been provided for this image"'
NO_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)", re.IGNORECASE)  # an attribute, not data


def with_alt_text(html):
    """``html`` with :data:`ALT` added to every ``<img`` tag that has no ``alt`` attribute."""
    return NO_ALT.sub(lambda m: m.group(0) + ALT, html)


class FeedbackHTMLExporter(HTMLExporter):
    """``HTMLExporter``'s page, ``alt`` text included, without re-parsing it."""

    def from_notebook_node(self, nb, resources=None, **kw):
        # HTMLExporter.from_notebook_node up to its template, as nbconvert 7 writes it
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code",
                                          Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return with_alt_text(html), resources
