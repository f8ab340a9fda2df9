"""The course's command line, ``bptt``.

    bptt check NOTEBOOK [NOTEBOOK ...]   self-check: every exercise's visible and hidden cases
    bptt release [--check]               regenerate notebooks/bptt/ from solutions/bptt/
    bptt demo [--dir DIR]                grade example submissions with nbgrader, show grades
    bptt grade SUBMISSIONS [--dir DIR]   grade a class's submissions (trusted step, in parallel)
    bptt merge OUT DIR [DIR ...]         join the folders of `bptt grade` run on several machines
    bptt lms SOURCE --lms canvas|moodle  grades for an LMS (from `bptt grade` or a gradebook)
    bptt gradescope [--out ZIP]          build a Gradescope autograder.zip
"""

import argparse
import contextlib
import errno
import os
import sys
import time
from pathlib import Path

from ..startup import skip_iri_grammar

skip_iri_grammar()  # before anything imports nbformat: every `bptt` command starts 2-3 s sooner

from ..grading.course import CourseError, check_root, find_root, keep_out_of_home  # noqa: E402


def _root(args):
    return check_root(args.root) if args.root else find_root()


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached ``bptt check``: unwind, so that its ``finally`` blocks stop
    the learner's processes (``timeout(1)``, a closed terminal, a CI job's time limit)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, _frame):
    raise Stopped(signum)


def cmd_check(args):
    import signal

    from ..grading.selfcheck import check_notebooks

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    return check_notebooks(args.notebooks, timeout=args.timeout, all_cells=args.all_cells)


def cmd_release(args):
    from ..grading.course import release

    root = _root(args)
    changed = release(root, check=args.check)
    if args.check:
        if changed:
            print("notebooks/ differs from what `nbgrader generate_assignment` makes of "
                  "solutions/; run `bptt release` and commit the result:")
            for rel in changed:
                print(f"  {rel}")
            return 1
        print("notebooks/ matches solutions/ (regenerated with nbgrader generate_assignment)")
    return 0


def cmd_demo(args):
    from ..grading.demo import load_students, report, run_demo, solutions_student

    root = _root(args)
    examples = Path(args.examples) if args.examples else root / "examples" / "submissions"
    students = load_students(examples)
    if args.include_solutions:
        students.append(solutions_student(root))
    dest = Path(args.dir) if args.dir else root / "build" / "demo-course"
    t0 = time.perf_counter()
    result = run_demo(root, dest, students)
    report(result)
    print(f"demo finished in {time.perf_counter() - t0:.0f} s")
    return 0


def cmd_grade(args):
    from ..grading.batch import grade_batch
    from ..grading.sandbox import UNSAFE_ENV, SandboxUnavailable
    from .platforms import read_seed, share, write_lms

    root = _root(args)
    dest = Path(args.dir) if args.dir else root / "build" / "grading"
    if args.unsafe_no_sandbox:
        os.environ[UNSAFE_ENV] = "1"
    try:
        results, failures = grade_batch(
            root, Path(args.submissions), dest, workers=args.workers,
            scores_only=args.scores_only, student_seconds=args.student_seconds,
            seed=read_seed(args.seed_file) if args.seed_file else None,
            share=share(args.share) if args.share else None)
    except SandboxUnavailable as exc:
        raise CourseError(str(exc)) from None
    if args.lms:
        write_lms(args, results, dest)
    return 1 if failures else 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="bptt", description="The BPTT course: self-check, release, demo, grade, and "
                         "grading elsewhere (merge, lms, gradescope).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="self-check notebooks: visible and hidden cases of every "
                                     "exercise, without an nbgrader course")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    from ..grading.selfcheck import CELL_TIMEOUT
    p.add_argument("--all-cells", action="store_true",
                   help="run every cell in a Jupyter kernel, as you do, then the hidden cases "
                        "(default: only the set-up and answer cells, then every check, as "
                        "grading decides scores: seconds per notebook)")
    p.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds a cell may run (default {CELL_TIMEOUT}); without "
                        "--all-cells, the cells before each function in all")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", help="regenerate notebooks/bptt/ from solutions/bptt/ with "
                                       "nbgrader generate_assignment")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 and name the files when notebooks/ is stale")
    p.add_argument("--root", help="the course repository (default: found from here)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("demo", help="release the course into a fresh folder, grade example "
                                    "submissions with nbgrader, print the grades")
    p.add_argument("--dir", help="the demo's course folder (default: build/demo-course); "
                                 "replaced when an earlier demo made it")
    p.add_argument("--examples", help="folder of <student>.py answers files "
                                      "(default: examples/submissions)")
    p.add_argument("--include-solutions", action="store_true",
                   help="also grade the instructor's solutions as student 'solutions'")
    p.add_argument("--root", help="the course repository (default: found from here)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("grade", help="grade a folder of submissions (<student>/bptt/*.ipynb) "
                                     "with nbgrader and the trusted grading step, in parallel")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--dir", help="output folder: feedback/, grades.csv, results/ "
                                 "(default: build/grading); a rerun grades only what is missing")
    p.add_argument("--workers", type=int, default=None,
                   help="students graded at once (default: the number of cores)")
    p.add_argument("--scores-only", action="store_true",
                   help="decide every score with the trusted step only, without running the "
                        "notebooks in a kernel (faster; feedback has each check's text, no figures)")
    p.add_argument("--student-seconds", type=float, default=600,
                   help="wall-clock budget of one student's intake, grading and feedback "
                        "(default 600; an honest whole-course submission takes about a minute); "
                        "grading past it: 0 with the reason")
    p.add_argument("--share", metavar="K/N",
                   help="grade only the K-th of N shares of the students (one machine's part; "
                        "join the parts with `bptt merge`)")
    p.add_argument("--seed-file", help="grade with this hidden seed (every machine the same: "
                                       "copy DIR/course/.bptt-hidden-seed of the first)")
    from .platforms import add_commands, lms_options
    lms_options(p)
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="DANGEROUS: run learner code without the bubblewrap sandbox, with your "
                        "rights (only where bubblewrap cannot run, on a machine you can lose)")
    p.add_argument("--root", help="the course repository (default: found from here)")
    p.set_defaults(func=cmd_grade)
    add_commands(sub)
    return parser


def main(argv=None):
    """Entry point of the ``bptt`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    keep_out_of_home()
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, where a failed write is reported, not at the exit
        return status
    except CourseError as exc:
        print(f"bptt {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bptt {args.command}: interrupted", file=sys.stderr)
        return 130
    except Stopped as exc:
        print(f"bptt {args.command}: stopped by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:  # `bptt check ... | head`: the reader has what it wanted
        _stdout_to_devnull()
        return 1
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise
        _stdout_to_devnull()
        where = f" ({exc.filename})" if exc.filename else " (the output)"
        print(f"bptt {args.command}: cannot write{where}: {exc.strerror}", file=sys.stderr)
        return 1


def _stdout_to_devnull():
    """Nothing more goes to a standard output that cannot take it (not even Python's last flush)."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
