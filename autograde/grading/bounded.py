"""Bounds on what a learner's kernel may leave in the grader's memory while a notebook runs.

:class:`BoundedOutputs` is mixed into :class:`~autograde.grading.preprocessors.GuardedExecute`
(nbclient's ``NotebookClient``). nbclient keeps every output the kernel sends in the notebook,
in the grader's process; here each output is measured as it arrives, and past
``cell_output_mb`` per cell or ``notebook_output_mb`` per notebook the rest of that cell's
outputs is dropped and replaced by one short note. Display updates count too; widget (comm)
messages are ignored (the feedback shows no widgets). One Jupyter message is bounded by the
kernel client's sockets (:mod:`autograde.grading.kernel`), so the grader's memory stays bounded
whatever the kernel sends.
"""

import nbformat
from nbclient import NotebookClient
from traitlets import Float

MB = 1024 * 1024
CUT = ("output cut: this cell displayed more than {mb:g} MB; the feedback keeps only what came "
       "before (print less, or show a summary instead of whole arrays)\n")


def message_bytes(content):
    """About how many bytes the strings of a message's content hold (keys and values)."""
    total, stack = 0, [content]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(k) for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            total += 8
    return total


class BoundedOutputs(NotebookClient):
    """nbclient's output hooks with a byte budget per cell and per notebook (module docstring)."""

    cell_output_mb = Float(4, help=(
        "MB of outputs one cell may keep (text and figures); the rest is cut with a note")
    ).tag(config=True)
    notebook_output_mb = Float(20, help=(
        "MB of outputs one notebook may keep in all; past it every further output is cut")
    ).tag(config=True)

    def _kept(self):
        """cell index -> bytes of outputs kept (made per notebook run)."""
        if getattr(self, "_kept_nb", None) is not self.nb:
            self._kept_nb, self._kept_bytes, self._cut = self.nb, {}, set()
        return self._kept_bytes

    def _over(self, kept, cell_index, size):
        """The limit (MB) that ``size`` more bytes in cell ``cell_index`` would pass, or None."""
        if kept.get(cell_index, 0) + size > self.cell_output_mb * MB:
            return self.cell_output_mb
        if sum(kept.values()) + size > self.notebook_output_mb * MB:
            return self.notebook_output_mb
        return None

    def output(self, outs, msg, display_id, cell_index):
        kept = self._kept()
        if not outs or self.clear_before_next_output:  # the cell's outputs are (about to be) gone
            kept[cell_index] = 0
            self._cut.discard(cell_index)
        size = message_bytes(msg.get("content"))
        limit = self._over(kept, cell_index, size)
        if limit is None:
            kept[cell_index] = kept.get(cell_index, 0) + size
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._cut:
            self._cut.add(cell_index)
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=CUT.format(mb=limit)))
            self.log.warning("cell %s: outputs past %g MB cut", cell_index, limit)
        return None

    def _update_display_id(self, display_id, msg):
        kept, size = self._kept(), message_bytes(msg.get("content"))
        targets = {c: len(i) for c, i in self._display_id_map.get(display_id, {}).items() if i}
        if any(self._over(kept, c, size * n) for c, n in targets.items()) or \
                sum(kept.values()) + size * sum(targets.values()) > self.notebook_output_mb * MB:
            return  # an update that would pass a limit is not shown
        for c, n in targets.items():  # counted on top of what it replaces: an upper bound
            kept[c] = kept.get(c, 0) + size * n
        super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages are not kept (nbclient would store every widget state they carry)."""
        return None
