"""autograde.grading.exchange_collect: nbgrader's collect takes no link out of a submission."""

import os

import pytest

from autograde.grading.exchange_collect import (
    MAX_DEPTH,
    LinklessCollect,
    TooLarge,
    copy_without_links,
)


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
    copy_without_links(_submission(tmp_path), tmp_path / "copy", warned.append, 1 << 20)
    assert _files(tmp_path / "copy") == ["02.ipynb", "notes", "notes/mine.txt"]
    assert (tmp_path / "copy" / "02.ipynb").read_text() == "my answers"
    assert len(warned) == 5 and all("skipped" in w for w in warned), warned


def test_a_submission_that_is_itself_a_link_gives_nothing(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "gradebook.db").write_text("every grade")
    (tmp_path / "link").symlink_to(tmp_path / "course", target_is_directory=True)
    warned = []
    copy_without_links(tmp_path / "link", tmp_path / "copy", warned.append, 1 << 20)
    assert _files(tmp_path / "copy") == [] and "symbolic link" in warned[0]


def test_the_course_s_config_names_it():
    from traitlets.config.loader import PyFileConfigLoader

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    assert config.ExchangeFactory.collect == (f"{LinklessCollect.__module__}."
                                              f"{LinklessCollect.__name__}")


def test_the_bytes_copied_count_against_the_limit(tmp_path):
    # 16 F3: a file grown after a look at its size was copied whole, past any limit
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.bin").write_bytes(b"x" * 5000)
    with pytest.raises(TooLarge):
        copy_without_links(tmp_path / "sub", tmp_path / "copy", print, max_bytes=4096)


def test_folders_deeper_than_the_limit_are_left_out(tmp_path):
    # 16 F4: 1,200 nested folders made nbgrader's own size check raise RecursionError
    here = tmp_path / "sub"
    for _ in range(MAX_DEPTH + 5):
        here = here / "d"
    here.mkdir(parents=True)
    (here / "f").write_text("deep")
    warned = []
    copy_without_links(tmp_path / "sub", tmp_path / "copy", warned.append, max_bytes=1 << 20)
    depth = max(len(p.relative_to(tmp_path / "copy").parts) for p in (tmp_path / "copy").rglob("*"))
    assert depth == MAX_DEPTH and any("levels deep" in w for w in warned)


def test_a_submission_that_cannot_be_copied_is_left_out_and_collect_goes_on(tmp_path):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.bin").write_bytes(b"x" * 5000)
    coursedir = CourseDirectory(root=str(tmp_path), max_dir_size=4)  # 4 kB
    collect = LinklessCollect(coursedir=coursedir, authenticator=Authenticator())
    errors = []
    collect.log.error = lambda *args: errors.append(args[0] % args[1:])
    collect.do_copy(str(tmp_path / "sub"), str(tmp_path / "dest"))  # no exception
    assert not (tmp_path / "dest").exists()
    assert "was not collected" in errors[0] and "larger than 4000 bytes" in errors[0]


def test_folders_count_against_the_entry_limit(tmp_path, monkeypatch):
    # 16 F6: empty folders were not counted (and a folder moved mid-walk was copied again)
    from autograde.grading import exchange_collect

    monkeypatch.setattr(exchange_collect, "MAX_FILES", 50)
    for i in range(60):
        (tmp_path / "sub" / f"t{i}").mkdir(parents=True)
    with pytest.raises(TooLarge):
        copy_without_links(tmp_path / "sub", tmp_path / "copy", print, max_bytes=1 << 20)


BAD_TIMES = {"text": "not a time", "padded": "2020-01-01 00:00:00" + "\n" * 200 + "junk",
             "zone_file": "2020-01-01 00:00:00 /proc/kmsg", "no_date": "2026-13-45 09:33:43 UTC"}


@pytest.mark.parametrize("kind", ["folder", "time", *BAD_TIMES])
def test_only_a_timestamp_nbgrader_can_read_is_collected(tmp_path, kind):
    # 16 F7: "not a time", a folder named timestamp.txt, junk after the time or a zone naming a
    # file stopped a later collect --update
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "02.ipynb").write_text("my answers")
    if kind == "folder":
        (sub / "timestamp.txt").mkdir()
    else:
        (sub / "timestamp.txt").write_text(BAD_TIMES.get(kind, "2026-12-02 09:33:43.064660 UTC"))
    collect = LinklessCollect(coursedir=CourseDirectory(root=str(tmp_path)),
                              authenticator=Authenticator())
    collect.do_copy(str(sub), str(tmp_path / "dest"))
    assert (tmp_path / "dest" / "02.ipynb").is_file()
    assert (tmp_path / "dest" / "timestamp.txt").is_file() == (kind in ("time", "padded"))
    if kind == "padded":  # rewritten to the time alone: nbgrader reads the whole file
        assert (tmp_path / "dest" / "timestamp.txt").read_text() == "2020-01-01 00:00:00"
