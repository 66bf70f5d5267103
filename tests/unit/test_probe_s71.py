"""Session 71: saving a figure a plot function returned draws it once less."""

from __future__ import annotations

import pytest

from commonprosperity import Scenario, plots, simulate, synthetic_population
from commonprosperity._plotstyle import _fit_titles


@pytest.fixture(scope="module")
def result():
    return simulate(synthetic_population(800, seed=4), Scenario.status_quo(2023))


def _outside(fig) -> list[str]:
    fig.draw_without_rendering()
    width = fig.bbox.width
    return [
        t.get_text()
        for ax in fig.axes
        for t in (ax.title, ax._left_title, ax._right_title)
        if t.get_text()
        and (t.get_window_extent().x0 < 0 or t.get_window_extent().x1 > width)
    ]


@pytest.mark.parametrize("drawn", [False, True])
def test_a_title_set_after_the_plot_function_is_wrapped_at_save(
    result, tmp_path, drawn
):
    """save skips measuring a figure unchanged since the plot function finished
    it; one changed since (here a long title) is measured and wrapped, whether
    or not something drew it in between (a draw makes it no longer stale)."""
    fig = plots.city_bars(result)
    long = "a very long title of many words " * 6
    fig.axes[0].set_title(long.strip())
    if drawn:
        assert _outside(fig)  # the control: as set, it runs past the edge
        assert not fig.stale
    plots.save(fig, tmp_path / "cities", formats="png")
    assert "\n" in fig.axes[0].get_title()
    assert not _outside(fig)


def test_an_unchanged_figure_saves_the_bytes_of_one_measured_again(result, tmp_path):
    """The skipped measurement changed nothing: the same figure measured again
    (as every save did before) writes the same bytes."""
    skipped = plots.target_dashboard(result, label="dibao_1400_pension_400_ded_72k")
    measured = plots.target_dashboard(result, label="dibao_1400_pension_400_ded_72k")
    _fit_titles(measured)
    for fmt in ("png", "svg"):
        a = plots.save(skipped, tmp_path / "skipped", formats=fmt)[0].read_bytes()
        b = plots.save(measured, tmp_path / "measured", formats=fmt)[0].read_bytes()
        assert a == b, fmt
