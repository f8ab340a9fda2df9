"""``bptt merge OUT DIR...``: join the grading folders of several machines into one.

Each machine runs ``bptt grade SUBMISSIONS --share K/N --seed-file SEED --dir DIR`` on its
share of the class; ``merge`` copies every student's results, graded notebooks and feedback
into ``OUT`` and writes its ``grades.csv``. It changes nothing unless every part agrees:

- every folder was made by ``bptt grade`` and graded with the same hidden seed;
- a student found in several folders (a share graded twice, a merge run again) has the same
  grades there (cells, points, notes); different grades for one student are an error that
  names the student and the folders, and nothing is written.

Merging the same folders again, or a folder already merged, changes nothing (idempotent).
"""

import json
from pathlib import Path

from .batch import MARKER, _replace_tree, load_results, write_csv
from .course import CourseError
from .preprocessors import SEED_FILE

MERGED = ".bptt-merged-folder"


def _grades(result):
    """What must agree between two copies of one student's result (not times or workers)."""
    return json.dumps({k: result.get(k) for k in ("cells", "score", "max_score", "notes",
                                                  "stopped")}, sort_keys=True)


def _seed(folder):
    for path in (folder / "course" / SEED_FILE, folder / SEED_FILE):
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    return None


def merge(dest, sources, out=print):
    """Merge the ``bptt grade`` folders ``sources`` into ``dest``; ``{student: result}``."""
    dest = Path(dest).resolve()
    sources = [Path(s).resolve() for s in sources]
    if dest.exists() and any(dest.iterdir()) and not (dest / MERGED).exists():
        raise CourseError(f"{dest} is not empty and was not made by `bptt merge`")
    seeds = {}
    for src in sources:
        if src == dest:
            raise CourseError(f"{src} is the output folder")
        if not (src / MARKER).is_file() and not (src / MERGED).is_file():
            raise CourseError(f"{src} was not made by `bptt grade` (no {MARKER})")
        seeds[src] = _seed(src)
    if dest.exists():
        seeds[dest] = _seed(dest)
    if len({s for s in seeds.values() if s is not None}) > 1:
        raise CourseError("the folders were graded with different hidden seeds, so their hidden "
                          "cases differ: grade every share with the same --seed-file")
    merged = {s: (r, dest) for s, r in (load_results(dest) if dest.exists() else {}).items()}
    conflicts = []
    for src in sources:
        for student, r in load_results(src).items():
            if student in merged and _grades(merged[student][0]) != _grades(r):
                first, where = merged[student]
                conflicts.append(f"{student}: {first['score']:g}/{first['max_score']:g} in "
                                 f"{where}, {r['score']:g}/{r['max_score']:g} in {src}")
            elif student not in merged:
                merged[student] = (r, src)
    if conflicts:
        raise CourseError("conflicting grades for the same student; nothing was merged. Decide "
                          "which folder is right, remove the student's results/<student>.json "
                          "from the other, and merge again:\n  " + "\n  ".join(conflicts))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MERGED).touch()
    seed = next((s for s in seeds.values() if s is not None), None)
    if seed is not None and not (dest / SEED_FILE).is_file():
        (dest / SEED_FILE).touch(mode=0o600)
        (dest / SEED_FILE).write_text(seed + "\n", encoding="utf-8")
    for sub in ("results", "autograded", "feedback"):
        (dest / sub).mkdir(exist_ok=True)
    copied = 0
    for student, (r, src) in sorted(merged.items()):
        if src == dest:
            continue
        for sub in ("autograded", "feedback"):
            _replace_tree(src / sub / student, dest / sub / student)
        tmp = dest / "results" / f".{student}.json.tmp"
        tmp.write_text(json.dumps(r, indent=1), encoding="utf-8")
        tmp.replace(dest / "results" / f"{student}.json")
        copied += 1
    results = load_results(dest)
    path = write_csv(dest, results)
    out(f"merged {len(sources)} folder(s): {len(results)} student(s), {copied} copied now; "
        f"grades CSV: {path}")
    return results
