"""Session 73: a figure is laid out once for all the files one save writes."""

from __future__ import annotations

import matplotlib as mpl
import pytest
from matplotlib.figure import Figure

from commonprosperity import Scenario, plots, simulate, synthetic_population
from commonprosperity._plotstyle import finish


@pytest.fixture(scope="module")
def result():
    return simulate(synthetic_population(800, seed=4), Scenario.status_quo(2023))


@pytest.fixture
def draws(monkeypatch):
    """The figures drawn, one entry a draw (matplotlib's savefig included)."""
    drawn: list[Figure] = []
    draw = Figure.draw

    def counted(self, renderer):
        drawn.append(self)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return drawn


def test_a_png_and_an_svg_take_two_draws_not_four(result, tmp_path, draws):
    """savefig lays a figure with a layout engine out in a draw of its own before
    the draw that writes the file: a PNG and an SVG took four draws, two of them
    to find the same layout. Both files now keep the layout the plot function
    found when it measured the titles (session 76; three draws in session 73)."""
    fig = plots.city_bars(result)
    draws.clear()
    written = plots.save(fig, tmp_path / "cities")
    assert [p.name for p in written] == ["cities.png", "cities.svg"]
    assert all(p.stat().st_size > 0 for p in written)
    assert len(draws) == 2


def test_a_figure_changed_since_it_was_drawn_is_laid_out_anew(result, tmp_path, draws):
    """The layout kept for the files is the figure's as it is when saved: a
    legend added after the plot function drew it moves the axes."""
    fig = plots.city_bars(result)
    ax = fig.axes[0]
    before = ax.get_position().bounds
    fig.legend(["a legend entry"], loc="outside right upper")
    plots.save(fig, tmp_path / "cities", formats="png")
    after = ax.get_position().bounds
    assert after[2] < before[2]  # narrower: the legend took room on the right


@pytest.mark.parametrize(
    "user_rc",
    [
        {},
        {"figure.constrained_layout.use": True},
        {"figure.autolayout": True},
    ],
)
def test_the_figure_keeps_its_layout_engine(result, tmp_path, user_rc):
    """The engine is off only while the files are written; a user's rcParams
    that ask for a layout by default give the figure no other engine."""
    with mpl.rc_context(user_rc):
        fig = plots.income_distribution(result)
        engine = fig.get_layout_engine()
        assert engine is not None
        plots.save(fig, tmp_path / "income")
        assert fig.get_layout_engine() is engine
        plain = Figure()  # with the rc, matplotlib gives it the rc's engine
        plain.add_subplot().plot([0, 1], [1, 0])
        own = plain.get_layout_engine()
        plots.save(plain, tmp_path / "plain", formats="png")
        assert plain.get_layout_engine() is own
        assert mpl.rcParams["figure.autolayout"] == user_rc.get(
            "figure.autolayout", False
        )


def test_the_engine_is_back_when_a_file_cannot_be_written(result, tmp_path):
    fig = plots.lorenz_curves({"status quo": result})
    engine = fig.get_layout_engine()
    (tmp_path / "lorenz.svg").mkdir()  # the SVG's path is a directory
    with pytest.raises(OSError):
        plots.save(fig, tmp_path / "lorenz")
    assert fig.get_layout_engine() is engine


def test_a_figure_without_an_engine_gets_none_from_the_user_s_rcparams(tmp_path):
    """The engine given back is the figure's own, None included: with None,
    matplotlib gives a figure the engine the rcParams ask for by default."""
    plain = Figure()
    plain.add_subplot().plot([0, 1], [1, 0])
    assert plain.get_layout_engine() is None
    with mpl.rc_context({"figure.constrained_layout.use": True}):
        plots.save(plain, tmp_path / "plain")
    assert plain.get_layout_engine() is None


def _titled_figure() -> Figure:
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


def test_the_layout_kept_is_matplotlibs_own(tmp_path, draws):
    """Session 76: finish lays the figure out without a draw, and the files keep
    that layout: the axes sit where matplotlib's own draw of the figure puts them."""
    ours, theirs = _titled_figure(), _titled_figure()
    plots.save(ours, tmp_path / "ours", formats=("png", "svg"))
    # Two files, two draws: none to measure the titles, none to lay out again.
    assert draws.count(ours) == 2
    theirs.draw_without_rendering()
    for a, b in zip(ours.axes, theirs.axes, strict=True):
        assert a.get_position().bounds == b.get_position().bounds
    # The figure keeps its engine for the user's later changes.
    assert ours.get_layout_engine() is not None


def test_a_label_changed_after_finish_is_laid_out_before_the_save(tmp_path):
    fig = finish(_titled_figure())
    ax = fig.axes[0]
    # Four lines at 24 points: below the figure's foot unless laid out again.
    ax.set_xlabel("one\ntwo\nthree\nfour", fontsize=24)
    plots.save(fig, tmp_path / "changed", formats="png")
    assert ax.xaxis.label.get_window_extent().y0 >= 0.0
