"""Session 74: tables derived from the statistics file are kept; a copy each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonprosperity import ArgumentError, statistics

TABLES = [
    (statistics.census_table, ()),
    (statistics.city_urban_shares, (2022,)),
    (statistics.city_urban_shares, (2023, "census")),
    (statistics.city_income_targets, (2024,)),
    (statistics.composition, (2021,)),
]


@pytest.mark.parametrize(("derive", "args"), TABLES)
def test_a_caller_changing_its_table_changes_no_other_callers(derive, args):
    first = derive(*args)
    fresh = derive.__wrapped__(*args)  # derived anew, not kept
    if isinstance(first, pd.DataFrame):
        first.iloc[:, 0] = np.nan
        first.columns.name = "changed"
    else:
        first.iloc[:] = np.nan
        first.name = "changed"
    first.index.name = "changed"
    first.attrs["changed"] = True
    second = derive(*args)
    assert second is not first
    if isinstance(fresh, pd.DataFrame):
        pd.testing.assert_frame_equal(second, fresh)
    else:
        pd.testing.assert_series_equal(second, fresh)


def test_each_year_and_definition_is_its_own_table():
    survey = statistics.city_urban_shares(2022)
    census = statistics.city_urban_shares(2022, "census")
    later = statistics.city_urban_shares(2024)
    assert (census > survey).all()
    assert (later > survey).all()  # the survey's urban share rose 2022-2024
    pd.testing.assert_series_equal(
        statistics.city_urban_shares(year=2022, definition="census"), census
    )


@pytest.mark.parametrize("year", [2022.0, [2022], True, np.float64(2022)])
def test_a_bad_year_is_judged_as_before_whatever_was_kept(year):
    """2022.0 and True compare equal to kept keys (2022, 1): served a kept
    table they would pass where the function refuses them; a list cannot be a
    key: the function's own error, not "unhashable type"."""
    statistics.city_income_targets(2022)  # kept
    with pytest.raises(ArgumentError) as kept:
        statistics.city_income_targets(year)
    with pytest.raises(ArgumentError) as derived:
        statistics.city_income_targets.__wrapped__(year)
    assert str(kept.value) == str(derived.value)


def test_an_integer_of_another_type_is_the_same_year():
    pd.testing.assert_frame_equal(
        statistics.city_income_targets(np.int64(2023)),
        statistics.city_income_targets(2023),
    )


@pytest.mark.parametrize("year", [2023, 2026])
def test_growth_rates_given_once_are_not_kept_for_the_next_call(year):
    """The year's table is kept; the rates a caller gives go into its copy."""
    from commonprosperity.projection import growth_rates

    default = growth_rates(year)
    given = growth_rates(year, 0.5)
    assert (given.to_numpy() == 1.5).all()
    default.iloc[:, :] = 0.0
    again = growth_rates(year)
    assert (again.to_numpy() > 1.0).all()
    assert (again.to_numpy() < 1.2).all()
    pd.testing.assert_frame_equal(again, growth_rates(year, None))
