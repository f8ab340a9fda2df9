r"""A drawing of the unrolled recurrent layer: states, nets, deltas, and weights shared over time.

Drawn with matplotlib at run time (no image files), so it shows in JupyterLab and in nbgrader's
HTML feedback like every other figure.
"""

from .plots import _axes


def _box(ax, x, y, text, color):
    ax.text(x, y, text, ha="center", va="center", fontsize=11,
            bbox=dict(boxstyle="round,pad=0.35", fc=color, ec="0.3"))


def _arrow(ax, start, end, text="", color="0.2", style="-|>", ls="-", offset=(0.0, 0.0), rad=0.0):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle=style, color=color, lw=1.4, ls=ls, shrinkA=14,
                                shrinkB=14, connectionstyle=f"arc3,rad={rad}"))
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=10, color=color)


def draw_unrolled(T=3, ax=None):
    r"""Draw the layer unrolled over ``T`` steps, with the backward flow of the deltas.

    Forward (black): ``x_t`` through ``U`` and ``s_{t-1}`` through ``W`` into ``net_t``, then
    ``s_t = f(net_t)``; the loss reads ``s_T``. Backward (red, dashed): ``delta_t`` at ``net_t``
    receives ``delta_{t+1}`` through ``diag(f'(net_t)) W^\top``. The same ``U`` and ``W``
    serve every step.

    Parameters
    ----------
    T : int
        Steps drawn (2 to 5 fit).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, figsize=(2.6 * T + 2.4, 4.4))
    dx = 2.6
    _box(ax, 0.0, 2.0, r"$s_0$", "#e8e8e8")
    for t in range(1, T + 1):
        x = dx * t
        _box(ax, x, 0.0, rf"$x_{t}$", "#e8f0ff")
        _box(ax, x, 1.0, rf"$net_{t}$", "#fff4d6")
        _box(ax, x, 2.0, rf"$s_{t}$", "#e3f6e3")
        _arrow(ax, (x, 0.0), (x, 1.0), r"$U$", offset=(0.22, 0.0))
        _arrow(ax, (x, 1.0), (x, 2.0), r"$f$", offset=(0.22, 0.0))
        _arrow(ax, (x - dx, 2.0), (x, 1.0), r"$W$", offset=(-0.1, 0.22))
        ax.text(x, 2.6, rf"$\delta_{t} = \partial E / \partial net_{t}$" if t == T else rf"$\delta_{t}$",
                ha="center", fontsize=10, color="C3")
        if t < T:
            _arrow(ax, (x + dx, 1.0), (x, 1.0), r"$\mathrm{diag}(f'(net_%d))\,W^\top$" % t,
                   color="C3", ls="--", offset=(0.0, -0.42), rad=0.0)
    _box(ax, dx * T + 1.6, 2.0, r"$E$", "#f6e3e3")
    _arrow(ax, (dx * T, 2.0), (dx * T + 1.6, 2.0))
    ax.text(dx * (T + 1) / 2, -0.75, "the same U and W at every step: their gradients sum over t",
            ha="center", fontsize=10, style="italic")
    ax.text(dx * (T + 1) / 2, 3.55, "forward: black arrows    backward: red dashed arrows carry the deltas",
            ha="center", fontsize=9, color="0.3")
    ax.set_xlim(-0.8, dx * T + 2.3)
    ax.set_ylim(-1.0, 3.8)
    ax.axis("off")
    return ax
