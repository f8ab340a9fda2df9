"""Autograder of the BPTT course: one ``check_<function>`` per graded function.

>>> from autograde import check_calc_delta
>>> check_calc_delta(calc_delta)            # visible cases, prints feedback  # doctest: +SKIP
1.0
"""

from .checks.clipping import check_clip_grad_norm, check_clip_grad_value
from .checks.judge import check_calc_delta, check_calc_gradient, check_step_jacobian
from .checks.truncated import check_tbptt_k1k2, check_truncated_bptt

__version__ = "0.1.0"

try:  # in a notebook released with another autograde version: say so (stdout), once per import
    from .version import warn_in_notebook as _warn_in_notebook

    _warn_in_notebook()
except Exception:  # noqa: BLE001, S110 - a version notice must never break an import
    pass

__all__ = ["check_step_jacobian", "check_calc_delta", "check_calc_gradient",
           "check_truncated_bptt", "check_tbptt_k1k2", "check_clip_grad_norm",
           "check_clip_grad_value", "__version__"]
