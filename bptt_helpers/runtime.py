"""Where the learner's code is running: at the keyboard, or under the course's grading.

The grading sandbox sets ``BPTT_GRADING=1`` (``autograde/grading/sandbox.py``). Under grading
the notebooks' demonstrations that matter only to a learner at the keyboard (long training
runs, timing sweeps) do less work; what a learner sees interactively never changes.
"""

import os

TRAINING_UPDATES_WHEN_GRADING = 100  # sequences one training run uses under grading
CHUNKS_WHEN_GRADING = 4  # updates one stream-training run makes under grading (notebook 8)
CHARS_WHEN_GRADING = 2000  # characters a measurement over a text reads under grading (notebook 8)


def under_grading():
    """True inside the course's grading sandbox."""
    return os.environ.get("BPTT_GRADING") == "1"
