# ruff: noqa
"""An honest learner's quirks: a copy-pasted answer cell and hidden-test markers.

Right code. The answer cell of calc_delta was copy-pasted in JupyterLab (same metadata,
same grade_id): the first copy still holds the released stub, the last one the learner's
code (tests/test_hostile.py, NOTEBOOK_EDITS); a cell with an empty `nbgrader: {}` was added
too. Both answer cells hold nbgrader's hidden-test markers in comments, one of them
unbalanced. The learner also displays HTML with a script and adds a markdown cell with raw
HTML and a javascript: link: none of it is active in anyone's feedback. Full marks, and
feedback for everyone.
"""

import numpy as np  # noqa: F401


# %% answer_step_jacobian
from IPython.display import HTML, display
display(HTML("<script>document.title = 'owned'</script><b id=quirks-html>html</b>"))
### BEGIN HIDDEN TESTS
# @RIGHT_step_jacobian@ (the instructor's code, put in by tests/test_hostile.py)
### END HIDDEN TESTS


# %% answer_calc_delta
# @RIGHT_calc_delta@ (the instructor's code, put in by tests/test_hostile.py)

# my notes: ### BEGIN HIDDEN TESTS is what the instructor's cells say
