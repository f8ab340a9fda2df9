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
# Seconds per cell in the learner's kernel. Scores never depend on it: the trusted step decides
# every test cell in its own process with per-case limits. The kernel run gives the feedback its
# figures, so a cell past this limit only stops the figures after it (a demonstration cell that
# calls learner code that never returns waits this long). Under grading the slowest honest cell
# takes about 2 s (notebook 6 trains on 100 sequences there, bptt_helpers/runtime.py): 30 s
# leaves room for a machine 10x slower.
c.Execute.timeout = 30
# A learner's code that swallows KeyboardInterrupt leaves the kernel silent after a timeout;
# without this the whole submission fails instead of that one cell.
c.Execute.raise_on_iopub_timeout = False
# A test cell a learner deleted is put back (otherwise it would score 0 without a word).
c.OverwriteCells.add_missing_cells = True
# Every piece of learner code runs in a bubblewrap sandbox (autograde/grading/sandbox.py):
# the kernel (below) and the trusted step's process. Without bubblewrap grading refuses, unless
# BPTT_UNSAFE_NO_SANDBOX=1 is set (learner code then runs with your rights).
c.GuardedExecute.kernel_manager_class = "autograde.grading.kernel.SandboxedKernelManager"
# nbgrader's exchange: collect takes files and folders out of a learner's submission, never a
# symbolic link (a link to the course folder copied the solutions into it: 16 F1).
c.ExchangeFactory.collect = "autograde.grading.exchange_collect.LinklessCollect"
# Scores-only mode (large classes): set to False; no kernel runs, the trusted step decides and
# explains every score, feedback has no figures.
c.GuardedExecute.run_notebook = True
# The trusted grading step (autograde/grading/trusted.py, docs/grading_integrity.md): every
# test cell's score is decided again in a fresh sandboxed process that returns only arrays,
# judged here with the instructor's installed `autograde`. Hidden cases come from the course's
# secret seed (made once in .bptt-hidden-seed; or set c.TrustedGrades.hidden_seed).
# nbgrader 0.9.6's default list is Execute, IgnorePattern, ClearMetadataPreprocessor,
# LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata (converters/autograde.py).
c.Autograde.sanitize_preprocessors = [  # 0.9.6's list, with RestoreCells first
    "autograde.grading.preprocessors.RestoreCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograde.grading.preprocessors.GuardedExecute",
    "autograde.grading.preprocessors.TrustedGrades",
    "autograde.grading.preprocessors.NeutralizeActiveContent",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- feedback -------------------------------------------------------------------------------
# Learners see the output of hidden tests (the checks' feedback) but not their source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograde.grading.preprocessors.SafeClearHiddenTests",
]
# nbconvert's HTML exporter re-parses every page in pure Python to add alt text to images; this
# one writes the same page and alt text without that pass (autograde/grading/feedback_html.py).
c.GenerateFeedback.exporter_class = "autograde.grading.feedback_html.FeedbackHTMLExporter"
