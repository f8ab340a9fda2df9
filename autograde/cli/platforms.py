"""``bptt gradescope``, ``bptt merge``, ``bptt lms`` and the LMS and scale options of ``bptt grade``."""

import re
from pathlib import Path

from ..grading.course import CourseError

LMS_HELP = ("also write grades-<FORMAT>.csv for an LMS: canvas (with Canvas's 'Points "
            "Possible' row) or moodle (maxima in the headers)")


def share(text):
    """``K/N`` -> ``(K, N)`` with 1 <= K <= N."""
    m = re.fullmatch(r"(\d+)/(\d+)", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise CourseError(f"--share takes K/N with 1 <= K <= N (e.g. 2/3), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def read_seed(path):
    try:
        return int(Path(path).read_text(encoding="utf-8").strip())
    except (OSError, ValueError) as exc:
        raise CourseError(f"cannot read a hidden seed (one integer) from {path}: {exc}") from None


def write_lms(args, results, dest, csv_path=None):
    """The LMS CSV of ``bptt grade --lms`` / ``bptt lms`` (default ``dest/grades-<FMT>.csv``)."""
    from ..grading import lms

    ids = lms.read_ids(args.ids) if args.ids else None
    path = Path(csv_path or Path(dest) / f"grades-{args.lms}.csv")
    unmapped = lms.write(path, results, id_column=args.id_column, fmt=args.lms, ids=ids,
                         written=args.written)
    print(f"LMS grades ({args.lms}, students by {args.id_column!r}): {path}")
    if unmapped:
        print(f"no LMS id in {args.ids} for {len(unmapped)} student(s), kept as their nbgrader "
              f"id: {', '.join(unmapped[:10])}")
    return path


def cmd_gradescope(args):
    from ..grading import gradescope
    from . import _root

    root = _root(args)
    out = Path(args.out) if args.out else root / "build" / "autograder.zip"
    path = gradescope.build(root, out, seed=read_seed(args.seed_file) if args.seed_file else None,
                            notebooks=args.notebooks, hidden_visibility=args.hidden_visibility,
                            scores_only=not args.run_notebooks,
                            student_seconds=args.student_seconds)
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment. "
          "It contains the solutions and the hidden seed: never hand it out.")
    return 0


def cmd_merge(args):
    from ..grading.merge import merge

    results = merge(args.out, args.folders)
    if args.lms:
        write_lms(args, results, args.out)
    return 0


def cmd_lms(args):
    from ..grading.batch import load_results
    from ..grading.lms import gradebook_results

    src = Path(args.source)
    if (src / "gradebook.db").is_file():
        results = gradebook_results(src)
    elif (src / "results").is_dir():
        results = load_results(src)
    else:
        raise CourseError(f"{src} is neither an nbgrader course (gradebook.db) nor a folder of "
                          "`bptt grade` (results/)")
    if not results:
        raise CourseError(f"no grades in {src}")
    write_lms(args, results, src, args.out)
    return 0


def lms_options(p, required=False):
    p.add_argument("--lms", choices=["canvas", "moodle"], required=required,
                   default="canvas" if required else None, help=LMS_HELP)
    p.add_argument("--id-column", default="SIS Login ID",
                   help="the LMS column that holds the student ids (default 'SIS Login ID'; "
                        "Canvas: Student, ID, SIS User ID, SIS Login ID or Section)")
    p.add_argument("--ids", help="CSV with columns nbgrader_id,lms_id mapping nbgrader's "
                                 "student ids to the LMS's (default: the same)")
    p.add_argument("--written", action="store_true",
                   help="count the written answers too (graded by hand in Formgrader)")


def add_commands(sub):
    """Add ``gradescope``, ``merge`` and ``lms`` to the ``bptt`` parser."""
    p = sub.add_parser("gradescope", help="build autograder.zip for Gradescope (the course's "
                                          "grading, sandboxed, results.json per submission)")
    p.add_argument("--out", help="the zip to write (default: build/autograder.zip)")
    p.add_argument("--hidden-visibility", default="after_due_date",
                   choices=["hidden", "after_due_date", "after_published", "visible"],
                   help="when learners see the hidden checks (default after_due_date)")
    p.add_argument("--run-notebooks", action="store_true",
                   help="also run each notebook in a kernel (slower; Gradescope shows no figures)")
    p.add_argument("--student-seconds", type=float, default=600,
                   help="wall-clock budget of one submission (default 600)")
    p.add_argument("--seed-file", help="the hidden cases' seed (default: a new random one)")
    p.add_argument("--notebooks", nargs="+", metavar="PREFIX",
                   help="only these notebooks, e.g. --notebooks 02 03 (an assignment of two "
                        "notebooks; default: all)")
    p.add_argument("--root", help="the course repository (default: found from here)")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("merge", help="merge the output folders of `bptt grade` run on several "
                                     "machines (each on its --share) into one")
    p.add_argument("out", metavar="OUT")
    p.add_argument("folders", nargs="+", metavar="DIR")
    lms_options(p)
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("lms", help="write grades for Canvas or Moodle from a `bptt grade` "
                                   "folder or an nbgrader course's gradebook.db")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--out", help="the CSV to write (default: SOURCE/grades-<FORMAT>.csv)")
    lms_options(p, required=True)
    p.set_defaults(func=cmd_lms)
