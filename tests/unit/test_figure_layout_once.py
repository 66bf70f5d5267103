"""Saving lays a finished figure out once and draws it once a file."""

from __future__ import annotations

from matplotlib.figure import Figure

from commonprosperity import plots
from commonprosperity._plotstyle import finish


def _figure() -> Figure:
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax, bx = fig.subplots(1, 2)
    ax.plot([0.0, 1.0, 2.0], [3.0, 1.0, 2.0])
    ax.set_title("a title left", loc="left")
    ax.set_ylabel("yuan per year")
    image = bx.imshow([[0.0, 1.0], [2.0, 3.0]])
    fig.colorbar(image, ax=bx, label="share")
    bx.set_title("a centred title")
    fig.suptitle("A figure")
    return fig


def test_a_figure_is_laid_out_once_as_matplotlib_lays_it_out(tmp_path):
    ours, theirs = _figure(), _figure()
    draws = []
    ours.canvas.mpl_connect("draw_event", draws.append)
    plots.save(ours, tmp_path / "ours", formats=("png", "svg"))
    # Two files, two draws: none to measure the titles, none to lay out again.
    assert len(draws) == 2
    # Matplotlib's own layout, in a draw of the figure as made.
    theirs.draw_without_rendering()
    for a, b in zip(ours.axes, theirs.axes, strict=True):
        assert a.get_position().bounds == b.get_position().bounds
    # The figure keeps its engine for the user's later changes.
    assert ours.get_layout_engine() is not None


def test_a_change_after_finish_is_laid_out_before_the_save(tmp_path):
    fig = finish(_figure())
    ax = fig.axes[0]
    # Four lines at 24 points: below the figure's foot unless laid out again.
    ax.set_xlabel("one\ntwo\nthree\nfour", fontsize=24)
    plots.save(fig, tmp_path / "changed", formats="png")
    box = ax.xaxis.label.get_window_extent()
    assert box.y0 >= 0.0
