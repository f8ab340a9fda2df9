"""What a learner's kernel displays is bounded in the grader as it arrives (attacks/05).

nbclient's hooks of :class:`GuardedExecute` are fed Jupyter messages directly (no kernel):
300 outputs of 1 MB would be 300 MB in the grader's memory; with the bounds a cell keeps at
most ``cell_output_mb`` and one note in words, and the notebook at most ``notebook_output_mb``.
"""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograde.grading.bounded import MB, message_bytes
from autograde.grading.preprocessors import GuardedExecute


def message(kind, content, display_id=None):
    if display_id:
        content = dict(content, transient={"display_id": display_id})
    return {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {"msg_id": "run"},
            "content": content, "metadata": {}}


def display(text, display_id=None):
    return message("display_data", {"data": {"text/plain": text}, "metadata": {}}, display_id)


def client(cells=3):
    nb = new_notebook(cells=[new_code_cell("show()") for _ in range(cells)])
    execute = GuardedExecute(cell_output_mb=2, notebook_output_mb=5)
    execute.nb = nb
    execute.reset_execution_trackers()
    execute.clear_before_next_output = False  # nbclient sets it as each cell starts
    return execute, nb


def kept(cell):
    return sum(message_bytes(o) for o in cell.outputs)


def test_a_cell_keeps_its_budget_and_a_note_in_words():
    execute, nb = client()
    for i in range(300):  # 300 MB sent
        execute.process_message(display(f"{i}" + "x" * MB), nb.cells[0], 0)
    outs = nb.cells[0].outputs
    assert len(outs) == 2 and kept(nb.cells[0]) < 2 * MB + 1000
    assert outs[-1].text.startswith("output cut: this cell displayed more than 2 MB")
    execute.process_message(display("small"), nb.cells[1], 1)  # the next cell is not cut
    assert nb.cells[1].outputs[0].data["text/plain"] == "small"


def test_the_notebook_keeps_its_budget():
    execute, nb = client(cells=6)
    for index, cell in enumerate(nb.cells):
        for _ in range(3):
            execute.process_message(display("x" * (MB // 2)), cell, index)
    sizes = [kept(c) for c in nb.cells]
    assert sum(sizes) < 5 * MB + 6000, sizes
    assert "more than 5 MB" in nb.cells[-1].outputs[-1].text


def test_cleared_outputs_free_their_budget_and_updates_count():
    execute, nb = client()
    cell = nb.cells[0]
    for _ in range(10):  # an animation: clear, then show again (10 x 1.5 MB in all, 1.5 MB kept)
        execute.process_message(message("clear_output", {"wait": True}), cell, 0)
        execute.process_message(display("x" * (3 * MB // 2)), cell, 0)
    assert len(cell.outputs) == 1 and kept(cell) > MB
    execute.process_message(display("tiny", display_id="d"), nb.cells[1], 1)
    for _ in range(10):  # updates of a tiny display with 1 MB each: past 2 MB they are dropped
        execute.process_message(message("update_display_data", {
            "data": {"text/plain": "u" * MB}, "metadata": {}, "transient": {"display_id": "d"}}),
            nb.cells[2], 2)
    assert kept(nb.cells[1]) <= MB + 1000 and nb.cells[2].outputs == []


def test_widget_messages_are_not_kept():
    execute, nb = client()
    state = {"state": {"value": "x" * MB}, "buffer_paths": []}
    execute.process_message(message("comm_open", {"comm_id": "c", "target_name": "jupyter.widget",
                                                  "data": state}), nb.cells[0], 0)
    assert execute.widget_state == {} and nbformat.validate(nb) is None


def test_a_kernel_message_too_large_never_reaches_the_grader(tmp_path, sandbox_ready):
    """A real sandboxed kernel sends one 200 MB display: the client's socket refuses the frame.

    (ZMQ then drops the kernel's output connection: later cells of that notebook show no output;
    the trusted step still grades every function.)
    """
    import resource

    from autograde.grading.kernel import SandboxedKernelManager

    nb = new_notebook(cells=[
        new_code_cell("from IPython.display import display\n"
                      "display({'text/plain': 'y' * (200 * 1024**2)}, raw=True)"),
        new_code_cell("print('not shown')")])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    execute = GuardedExecute(kernel_manager_class=SandboxedKernelManager, timeout=60,
                             iopub_timeout=2, raise_on_iopub_timeout=False)
    execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert nb.cells[0].execution_count == 1  # it ran
    assert nb.cells[0].outputs == [] and grown < 100, grown  # MiB
