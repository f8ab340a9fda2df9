"""`bptt grade`'s files: whom it finds to grade, and output folders replaced without touching
anyone else's."""

from autograde.grading.batch import _replace_tree, find_submissions


def test_every_entry_that_is_not_graded_is_named_with_the_reason(tmp_path):
    for name in ("alice", ".hidden", ".ipynb_checkpoints", "bad id!"):
        (tmp_path / name / "bptt").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("x")
    found, skipped = find_submissions(tmp_path)
    assert list(found) == ["alice"]
    assert sorted(skipped) == [".hidden", "bad id!", "notes.txt"]  # checkpoints: no word
    assert "starts with a dot" in skipped[".hidden"] and "student id" in skipped["bad id!"]


def test_a_student_called_like_a_scratch_folder_keeps_their_files(tmp_path):
    # Re-attack a2: grading "alice" again once used "alice.tmp" as its scratch folder and
    # deleted it first, although it may be another student's folder.
    out = tmp_path / "autograded"
    (out / "alice.tmp").mkdir(parents=True)
    (out / "alice.tmp" / "02.ipynb").write_text("alice.tmp's graded notebook")
    new = tmp_path / "worker" / "alice"
    new.mkdir(parents=True)
    (new / "02.ipynb").write_text("alice, graded again")
    _replace_tree(new, out / "alice")
    _replace_tree(new, out / "alice")  # a rerun replaces it again
    assert (out / "alice.tmp" / "02.ipynb").read_text() == "alice.tmp's graded notebook"
    assert (out / "alice" / "02.ipynb").read_text() == "alice, graded again"
    assert sorted(p.name for p in out.iterdir()) == ["alice", "alice.tmp"]  # no scratch left


def test_a_missing_source_changes_nothing(tmp_path):
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "kept").write_text("x")
    _replace_tree(tmp_path / "missing", tmp_path / "dst")
    assert (tmp_path / "dst" / "kept").read_text() == "x"
