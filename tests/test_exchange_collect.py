"""autograde.grading.exchange_collect: nbgrader's collect takes no link out of a submission."""

import os

from autograde.grading.exchange_collect import LinklessCollect, copy_without_links


def _submission(tmp_path):
    """A learner's inbound folder: their notebook, and links to the course beside it (16 F1)."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "solutions" / "02.ipynb").write_text("hidden tests")
    (course / "gradebook.db").write_text("every grade")
    inbound = tmp_path / "inbound" / "mallory+bptt+2026"
    (inbound / "notes").mkdir(parents=True)
    (inbound / "02.ipynb").write_text("my answers")
    (inbound / "notes" / "mine.txt").write_text("mine")
    (inbound / "leak_solutions").symlink_to(course / "solutions", target_is_directory=True)
    (inbound / "leak_gradebook.db").symlink_to(course / "gradebook.db")
    (inbound / "loop").symlink_to(inbound, target_is_directory=True)  # 16 F2
    (inbound / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(inbound / "fifo")
    return inbound


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_only_files_and_folders_are_copied(tmp_path):
    warned = []
    copy_without_links(_submission(tmp_path), tmp_path / "copy", warned.append)
    assert _files(tmp_path / "copy") == ["02.ipynb", "notes", "notes/mine.txt"]
    assert (tmp_path / "copy" / "02.ipynb").read_text() == "my answers"
    assert len(warned) == 5 and all("skipped" in w for w in warned), warned


def test_a_submission_that_is_itself_a_link_gives_nothing(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "gradebook.db").write_text("every grade")
    (tmp_path / "link").symlink_to(tmp_path / "course", target_is_directory=True)
    warned = []
    copy_without_links(tmp_path / "link", tmp_path / "copy", warned.append)
    assert _files(tmp_path / "copy") == [] and "symbolic link" in warned[0]


def test_the_course_s_config_names_it():
    from traitlets.config.loader import PyFileConfigLoader

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    assert config.ExchangeFactory.collect == (f"{LinklessCollect.__module__}."
                                              f"{LinklessCollect.__name__}")
