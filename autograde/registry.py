"""Every graded function of the course: how its cases are built and how an outcome is judged.

The in-kernel checks (``check_<function>``) and the trusted grading step
(:mod:`autograde.grading.trusted`) both decide through this table, so that for honest
work the feedback a learner sees and the score the instructor records agree.

>>> from autograde.registry import GRADED
>>> GRADED["calc_delta"].title
'calc_delta'
"""

from dataclasses import dataclass

from .checks import cases as _cases
from .checks import clipping as _clipping
from .checks import gated as _gated
from .checks import hints as _hints
from .checks import layer as _layer
from .checks import truncated as _truncated
from .checks.gated_judge import judge_gated as _judge_gated
from .checks.judge import judge as _judge
from .checks.judge import run_check
from .checks.memo import built


@dataclass(frozen=True)
class Graded:
    """One graded function.

    Attributes
    ----------
    function : str
        Its name in the notebooks (``answer_<function>``, ``test_<function>``, ``hidden_<function>``).
    build : callable
        ``build(hidden, seed) -> list of Case``; hidden cases are a superset of the visible ones.
    hint_fn : callable or None
        The hint function of the numerical-reference judge (:func:`autograde.checks.judge.judge`).
    judge_fn : callable or None
        A property judge ``(case, outcome) -> (passed, lines)`` (clipping); replaces the
        numerical-reference judge when given.
    """

    function: str
    build: object
    hint_fn: object = None
    judge_fn: object = None

    @property
    def title(self):
        return self.function

    def cases(self, hidden=False, seed=0):
        """The cases of a check, built by the checker (never from the learner's code)."""
        return self.build(hidden, seed)

    def judge(self, case, outcome):
        """``(passed, lines)`` for one case: the same decision the in-kernel check makes."""
        if self.judge_fn is not None:
            return self.judge_fn(case, outcome)
        return _judge(case, outcome, self.hint_fn)

    def check(self, fn, *, hidden=False, seed=0):
        """What ``check_<function>(fn, hidden=hidden, seed=seed)`` does, in this process.

        The cases are built once per process (:func:`cached_cases`): a learner who runs a
        test cell again waits only for their own function. The function is called on
        read-only copies of the inputs, so nothing it does changes a later check's cases.
        """
        return run_check(self.title, fn, cached_cases(self.function, hidden, seed), self.hint_fn,
                         judge_fn=self.judge_fn)


GRADED = {g.function: g for g in [
    Graded("step_jacobian", _cases.step_jacobian_cases, _hints.hints_step_jacobian),
    Graded("calc_delta", _cases.calc_delta_cases, _hints.hints_calc_delta),
    Graded("calc_gradient", _cases.calc_gradient_cases, _hints.hints_calc_gradient),
    Graded("truncated_bptt", _truncated.truncated_bptt_cases, _truncated.hints_truncated_bptt),
    Graded("tbptt_k1k2", _truncated.tbptt_k1k2_cases, _truncated.hints_tbptt_k1k2),
    Graded("clip_grad_norm", _clipping.clip_grad_norm_cases,
           judge_fn=_clipping.judge_clip_grad_norm),
    Graded("clip_grad_value", _clipping.clip_grad_value_cases,
           judge_fn=_clipping.judge_clip_grad_value),
    Graded("rnn_layer_forward", _layer.rnn_layer_forward_cases, judge_fn=_layer.judge_layer),
    Graded("rnn_layer_backward", _layer.rnn_layer_backward_cases, judge_fn=_layer.judge_layer),
    Graded("rnn_stack_backward", _layer.rnn_stack_backward_cases, judge_fn=_layer.judge_layer),
    Graded("lstm_step_backward", _gated.lstm_step_backward_cases, judge_fn=_judge_gated),
    Graded("lstm_backward", _gated.lstm_backward_cases, judge_fn=_judge_gated),
    Graded("gru_step_backward", _gated.gru_step_backward_cases, judge_fn=_judge_gated),
]}


def cached_cases(function, hidden, seed):
    """The cases of ``function`` built once per process (a batch grades many learners), the
    same tuple the in-kernel check of this process uses (:func:`autograde.checks.memo.built`).

    The judges keep hint candidates in ``case.info``, which only speeds up later judging.
    """
    return built(GRADED[function].build, hidden, seed)
