"""The checks the notebooks' test cells call, and the machinery they share.

``check_<function>(fn, *, hidden=False, seed=0)`` calls ``fn`` on cases built by the
checker (:mod:`.cases`, :mod:`.truncated`, :mod:`.clipping`), each call within its time
limit (:mod:`.limits`), judges each outcome (:mod:`.judge`, :mod:`.hints`), prints feedback
(:mod:`.report`) and scores the check (:mod:`.scoring`). Nothing here imports nbgrader,
nbformat or the grading package: a learner's kernel imports only this.
"""
