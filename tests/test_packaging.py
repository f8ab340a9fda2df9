"""pyproject.toml and environment.yml install the same dependencies."""

import re
import tomllib


def _name(requirement):
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _conda_dependencies(text):
    """The conda packages of environment.yml (a tiny reader: the file is plain, no PyYAML needed)."""
    deps, in_deps, in_pip = [], False, False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_deps = line.startswith("dependencies:")
            continue
        if not in_deps:
            continue
        item = line.strip()
        if item.startswith("- pip:"):
            in_pip = True
            continue
        if in_pip and line.startswith("      "):
            continue
        in_pip = False
        deps.append(item.removeprefix("- ").strip())
    return deps


def test_environment_matches_pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    env_text = (root / "environment.yml").read_text()
    conda = {_name(d): d for d in _conda_dependencies(env_text)}
    conda.pop("python")
    conda.pop("pip")
    pip_names = {_name(d): d for d in project["dependencies"]}
    assert set(conda) == set(pip_names)
    for name, req in pip_names.items():  # same version bounds too
        assert conda[name].replace(" ", "") == req.replace(" ", ""), name
    assert "- -e ." in env_text, "environment.yml must install the course itself with pip"


def test_environment_python_matches(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    env = _conda_dependencies((root / "environment.yml").read_text())
    assert "python=3.11" in env
    assert project["requires-python"] == ">=3.11"
