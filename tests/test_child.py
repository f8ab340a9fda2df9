"""The trusted step's learner process (autograde.grading.child): what its shell does to set-up cells."""

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import sys
    from autograde.grading import child

    shell = child.make_shell()
    for source in sys.argv[1:]:
        error = child.run_cell(shell, source)
        loaded = "matplotlib.figure" in sys.modules
        print(f"{error} {loaded}", file=sys.__stderr__)
""")


def run_cells(*sources):
    """``[(error, pyplot loaded)]`` after each cell, in a fresh process as the trusted step runs."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *sources], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [tuple(line.split(" ", 1)) for line in proc.stderr.splitlines()]


def test_a_set_up_cell_does_not_load_pyplot_until_it_is_used():
    states = run_cells("%matplotlib inline\nimport matplotlib.pyplot as plt",
                       "from matplotlib import pyplot\nassert pyplot is plt",
                       "fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.close(fig)")
    assert states == [("None", "False"), ("None", "False"), ("None", "True")]


def test_matplotlib_itself_loads_on_first_use_and_is_the_real_one():
    states = run_cells("import matplotlib as mpl\nimport matplotlib.pyplot as plt",
                       "from matplotlib.colors import Normalize\nassert Normalize(0, 2)(1) == 0.5",
                       "assert mpl.rcParams['lines.linewidth'] > 0\nassert plt.gcf() is not None")
    assert states == [("None", "False"), ("None", "False"), ("None", "True")]
