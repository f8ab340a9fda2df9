"""autograde.grading.tree.remove_tree: folders a learner's code filled go, however made."""

import os
import shutil
import sys

import pytest

from autograde.grading.tree import remove_tree


def _deep(root, levels):
    """``levels`` nested folders under ``root``, a file at the bottom, made as a learner's code
    would: one ``chdir`` down at a time (their full path grows past what a path may be)."""
    back = os.getcwd()
    try:
        os.chdir(root)
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        with open("f", "w") as f:
            f.write("x")
    finally:
        os.chdir(back)


def test_a_tree_deeper_than_python_s_recursion_is_removed(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        _deep(tmp_path / name, 3000)  # 15 F2: a learner's 3,000 nested folders
    if sys.version_info < (3, 12):  # the course's Python: shutil.rmtree recurses
        with pytest.raises(RecursionError):
            shutil.rmtree(tmp_path / "a", ignore_errors=True)
    remove_tree(tmp_path / "b")
    assert not (tmp_path / "b").exists()
    remove_tree(tmp_path / "a")  # (pytest's own clean-up of old temporary folders recurses too)
    assert not (tmp_path / "a").exists()


def test_read_only_folders_are_emptied_and_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("mine")
    tree = tmp_path / "tree"
    (tree / "sealed" / "inner").mkdir(parents=True)
    (tree / "sealed" / "inner" / "f").write_text("x")
    (tree / "sealed" / "link").symlink_to(outside, target_is_directory=True)
    os.chmod(tree / "sealed" / "inner", 0o555)
    os.chmod(tree / "sealed", 0o555)
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "keep").read_text() == "mine"


def test_a_missing_folder_is_no_error(tmp_path):
    remove_tree(tmp_path / "never made")
