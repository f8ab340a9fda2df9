"""Autograder of the BPTT course: one ``check_<function>`` per graded function.

>>> from autograde import check_calc_delta
>>> check_calc_delta(calc_delta)            # visible cases, prints feedback  # doctest: +SKIP
1.0
"""

import functools as _functools

from bptt_helpers.runtime import under_grading as _under_grading

from .checks.clipping import check_clip_grad_norm, check_clip_grad_value
from .checks.gated import check_gru_step_backward, check_lstm_backward, check_lstm_step_backward
from .checks.judge import check_calc_delta, check_calc_gradient, check_step_jacobian
from .checks.layer import (
    check_rnn_layer_backward,
    check_rnn_layer_forward,
    check_rnn_stack_backward,
)
from .checks.summary import last_feedback, recorded
from .checks.truncated import check_tbptt_k1k2, check_truncated_bptt

__version__ = "0.1.0"

try:  # in a notebook released with another autograde version: say so (stdout), once per import
    from .version import warn_in_notebook as _warn_in_notebook

    _warn_in_notebook()
except Exception:  # noqa: BLE001, S110 - a version notice must never break an import
    pass

__all__ = ["check_step_jacobian", "check_calc_delta", "check_calc_gradient",
           "check_truncated_bptt", "check_tbptt_k1k2", "check_clip_grad_norm",
           "check_clip_grad_value", "check_rnn_layer_forward", "check_rnn_layer_backward",
           "check_rnn_stack_backward", "check_lstm_step_backward", "check_lstm_backward",
           "check_gru_step_backward", "last_feedback", "__version__"]


def _decided_outside_when_grading(check):
    """``check`` for the notebooks: inside the grading sandbox it does no work and scores 0.

    There the trusted grading step decides and explains every test cell and replaces the
    kernel's output, so running the cases in the kernel too would only double the cost.
    Outside grading (a learner at the keyboard, ``bptt check``) it is ``check`` itself.
    """
    @_functools.wraps(check)
    def check_in_notebook(fn, *, hidden=False, seed=0):
        if _under_grading():
            return recorded(_decided_outside, check.__name__.removeprefix("check_"))
        return recorded(check, fn, hidden=hidden, seed=seed)
    return check_in_notebook


def _decided_outside(function):
    print(f"{function}: decided by the trusted grading step")
    return 0.0


for _name in __all__[:-2]:
    globals()[_name] = _decided_outside_when_grading(globals()[_name])
