"""Everything an instructor's grader runs: nbgrader preprocessors, the sandbox, the learner-side
child process, batch grading, feedback and the CSV. Learner code never imports this package."""
