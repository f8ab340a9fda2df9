"""Gradescope's ``results.json`` from one graded submission (see :mod:`.gradescope`).

One test per graded check of every notebook the learner submitted: its score and maximum
from the gradebook (the trusted step's verdict), its output the course's feedback as the
test cell printed it in the autograded notebook (the first wrong time step, the catalogued
mistake's hint; never the hidden test's source). Visible checks are ``visible``; hidden
checks get the configured visibility (``after_due_date`` by default). The submission's
``output`` says what was graded, what was not and why.
"""

import json
from pathlib import Path

from .program import meta, source_of, test_cell_of

STUDENT = "submission"  # the one student of the batch a Gradescope run grades
FORMAT = "text"  # Gradescope shows the output as preformatted text (the checks align columns)


def _feedback(autograded):
    """``{grade_id: printed text}`` of the test cells of a graded notebook (``{}`` if missing)."""
    if not Path(autograded).is_file():
        return {}
    nb = json.loads(Path(autograded).read_text(encoding="utf-8"))
    texts = {}
    for cell in nb.get("cells", []):
        gid = meta(cell).get("grade_id")
        if gid and meta(cell).get("grade") and cell.get("cell_type") == "code":
            texts[gid] = "".join(source_of({"source": o.get("text", "")})
                                 for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return texts


def _lines(title, items):
    return [title, *(f"  - {i}" for i in items)] if items else []


def results(source_nbs, found, ignored, result, autograded_dir, hidden_visibility):
    """The ``results.json`` dict of a graded submission.

    Parameters
    ----------
    source_nbs : list of Path
        The instructor's notebooks, in course order.
    found : dict of str -> str
        ``{released notebook name: where it was in the submission}``.
    ignored : list of str
        Other files of the submission.
    result : dict
        The student's ``results/<student>.json`` of ``bptt grade`` (``cells``, ``notes``, ...).
    autograded_dir : Path
        The graded notebooks (``autograded/<student>/bptt``).
    hidden_visibility : str
        Gradescope visibility of the hidden checks.
    """
    tests, written, no_checks, missing = [], [], [], []
    for k, nb in enumerate(source_nbs, 1):
        src = json.loads(nb.read_text(encoding="utf-8"))
        checks = [t for t in (test_cell_of(c) for c in src["cells"]) if t is not None]
        hand = [meta(c)["grade_id"] for c in src["cells"]
                if meta(c).get("grade") and meta(c).get("solution")]
        if nb.name not in found:
            if checks:
                missing.append(nb.name)
            continue
        written += [f"{nb.stem}: {gid}" for gid in hand]
        if not checks:
            no_checks.append(nb.name)
        texts = _feedback(Path(autograded_dir) / nb.name)
        for i, t in enumerate(checks, 1):
            score, max_score = result["cells"].get(f"{nb.stem}:{t.grade_id}", [0.0, t.points])
            score = float(score or 0.0)
            why = texts.get(t.grade_id, "").strip() or (
                "Not graded: " + ("; ".join(result.get("notes", [])) or "no feedback was made"))
            tests.append({
                "name": f"{nb.stem}: {t.function} ({'hidden' if t.hidden else 'visible'} cases)",
                "number": f"{k}.{i}", "score": round(score, 6), "max_score": float(max_score),
                "status": "passed" if score >= float(max_score) else "failed",
                "output": why, "output_format": FORMAT, "tags": [nb.stem],
                "visibility": hidden_visibility if t.hidden else "visible"})
    total = sum(t["score"] for t in tests)
    lines = _lines("Graded (autograded checks below):",
                   [f"{n} (from {found[n]})" for n in found if n not in no_checks])
    lines += _lines("Submitted, nothing to autograde in it:", no_checks)
    lines += _lines("Not in your submission, so not graded here (upload it to have it graded):",
                    missing)
    lines += _lines("Written answers: graded by your instructor, not by this autograder:", written)
    lines += _lines("Files that are not notebooks of the course (ignored):", ignored[:20])
    lines += _lines("Notes:", result.get("notes", []))
    lines.append(f"Autograded points: {total:g} of {sum(t['max_score'] for t in tests):g}.")
    return {"score": round(total, 6), "output": "\n".join(lines), "output_format": FORMAT,
            "test_output_format": FORMAT, "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"graded_notebooks": sorted(found), "not_submitted": missing}}


def failed(names, found, ignored, exc):
    """``results.json`` when nothing could be graded: 0 points and why, in words."""
    if not found:
        text = ("No notebook of the course was found in your submission. Upload your notebooks "
                "with their original names, for example " + ", ".join(names[:3]) + ".")
        if ignored:
            text += "\nFiles received: " + ", ".join(ignored[:20])
    else:
        print(f"grading failed: {type(exc).__name__}: {exc}")  # the instructor's log (stdout)
        text = ("The autograder could not grade your submission because of a problem on the "
                "course's side, not in your code. Please tell your instructor; your files "
                "were received: " + ", ".join(sorted(found)) + ".")
    return {"score": 0.0, "output": text, "output_format": FORMAT,
            "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"graded_notebooks": [], "error": type(exc).__name__}}
