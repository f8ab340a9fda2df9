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
# Seconds per cell. A test cell whose learner code never returns costs about 4 s (each case is
# stopped after 2 s, and after 2 such cases the rest are not run); a demonstration cell that
# calls such code directly has no limit of its own and waits for this one. 120 s leaves room
# for the slowest honest cells (notebook 6 trains for about 12 s) on a slow machine.
c.Execute.timeout = 120
# A learner's code that swallows KeyboardInterrupt leaves the kernel silent after a timeout;
# without this the whole submission fails instead of that one cell.
c.Execute.raise_on_iopub_timeout = False
# A test cell a learner deleted is put back (otherwise it would score 0 without a word).
c.OverwriteCells.add_missing_cells = True
# The trusted grading step (autograde/trusted.py, docs/grading_integrity.md): after the
# learner's kernel ran the notebook, every test cell's score is decided again in a fresh,
# resource-limited process that returns only arrays, judged here with the instructor's
# installed `autograde`. `GuardedExecute` is nbgrader's Execute surviving a killed kernel.
# nbgrader 0.9.6's default list is Execute, IgnorePattern, ClearMetadataPreprocessor,
# LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata (converters/autograde.py).
c.Autograde.sanitize_preprocessors = [  # 0.9.6's list, with DropUnknownCells before OverwriteCells
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograde.grading.trusted.DropUnknownCells",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograde.grading.trusted.GuardedExecute",
    "autograde.grading.trusted.TrustedGrades",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# To run the learner's process as an unprivileged user (recommended; see the docs):
# c.TrustedGrades.runner = ["setpriv", "--reuid=bptt-learner", "--regid=bptt-learner",
#                           "--clear-groups", "--"]

# --- feedback -------------------------------------------------------------------------------
# Learners see the output of hidden tests (the checks' feedback) but not their source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
