"""The checks the notebooks' test cells call, and the machinery they share.

``check_<function>(fn, *, hidden=False, seed=0)`` calls ``fn`` on cases built by the
checker (:mod:`.cases`, :mod:`.truncated`, :mod:`.clipping`), judges each outcome
(:mod:`.judge`, :mod:`.hints`) and prints feedback. Nothing here imports nbgrader,
nbformat or the grading package: a learner's kernel imports only this.
"""
