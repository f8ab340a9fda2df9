"""``python -m autograde.grading.nbgrader_cli ARGS``: nbgrader's own command line, ``nbgrader ARGS``,
started without jsonschema's slow IRI grammar (:mod:`autograde.startup`)."""

from autograde.startup import skip_iri_grammar

if __name__ == "__main__":
    skip_iri_grammar()
    from nbgrader.apps.nbgraderapp import main

    main()
