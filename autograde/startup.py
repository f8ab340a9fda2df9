"""Process start-up: read notebooks without jsonschema's slow IRI grammar.

nbformat validates notebooks with jsonschema, and jsonschema imports ``rfc3987_syntax`` when it
is installed (Jupyter's ``jsonschema[format-nongpl]`` installs it). That package compiles a
grammar when imported: 2 to 3 s of every process that reads a notebook, more than a quick
self-check of one (jsonschema issue #1428). Only the ``iri`` and ``iri-reference`` formats use
it, and the notebook schema has neither, so the course's own processes (``bptt``, grading
workers, the nbgrader they start, a Gradescope run, the tests) leave it out: jsonschema then skips those formats.
"""

import sys


def skip_iri_grammar():
    """Leave ``rfc3987_syntax`` out of this process (before anything imports jsonschema)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails
