"""nbgrader configuration of the BPTT course (nbgrader 0.9.6).

The repository root can be used as an nbgrader course folder: the instructor
notebooks live in ``solutions/bptt/`` and the student notebooks in
``notebooks/bptt/``. All notebooks form one assignment, ``bptt``. ``bptt release``
and ``bptt demo`` copy this file into a temporary course folder and run nbgrader
there, so nbgrader's working files (gradebook.db, submitted/, ...) never land in
the repository.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# --- where things are -----------------------------------------------------------------------
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# One assignment, `bptt`, holds every notebook: solutions/bptt/*.ipynb. Name it on the command
# line (`nbgrader autograde bptt`); setting CourseDirectory.assignment_id here as well would make
# nbgrader 0.9.6 refuse the argument ("cannot both be specified in config and as an argument").

# --- autograding ----------------------------------------------------------------------------
# Seconds per cell. The worst cell is a hidden test whose learner code never returns: the
# check stops each case after 2 s, and a hidden check has up to ~20 cases (about 40 s), plus
# building the cases' numerical references. 120 s leaves room for a slow machine.
c.Execute.timeout = 120
# A learner's code that swallows KeyboardInterrupt leaves the kernel silent after a timeout;
# without this the whole submission fails instead of that one cell.
c.Execute.raise_on_iopub_timeout = False
# A test cell a learner deleted is put back (otherwise it would score 0 without a word).
c.OverwriteCells.add_missing_cells = True

# --- feedback -------------------------------------------------------------------------------
# Learners see the output of hidden tests (the checks' feedback) but not their source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
