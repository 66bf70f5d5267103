"""By when targets are met on a path (target_years)."""

from __future__ import annotations

import pandas as pd
import pytest

from commonprosperity import Scenario, ScenarioError, simulate_path, target_years
from commonprosperity.baseline import baseline

NA = pd.NA


def _met(verdict) -> bool:
    return not pd.isna(verdict) and bool(verdict)


def _path(verdicts: dict[str, list], years=(2023, 2024, 2025)) -> pd.DataFrame:
    columns = {f"T{i}": [False] * len(years) for i in range(1, 11)}
    columns["T8_since_start"] = [NA] * len(years)
    columns.update(verdicts)
    return pd.DataFrame(
        {k: pd.array(v, dtype="boolean") for k, v in columns.items()},
        index=pd.Index(list(years), name="year"),
    )


def test_by_hand():
    out = target_years(
        _path(
            {
                "T1": [False, True, True],
                "T2": [True, False, True],
                "T3": [True, True, False],
                "T4": [NA, True, True],  # a trend: not judged in the first year
                "T5": [True, NA, True],  # a year without a verdict ends a run
                "T6": [NA, NA, NA],
                "T8_since_start": [NA, False, True],
            }
        )
    )
    assert list(out.index) == [*(f"T{i}" for i in range(1, 11)), "T8_since_start"]
    expected = {
        "T1": (2024, 2024, 2, 3),
        "T2": (2023, 2025, 2, 3),
        "T3": (2023, NA, 2, 3),
        "T4": (2024, 2024, 2, 2),
        "T5": (2023, 2025, 2, 2),
        "T6": (NA, NA, 0, 0),
        "T7": (NA, NA, 0, 3),
        "T8_since_start": (2025, 2025, 1, 2),
    }
    for tid, values in expected.items():
        got = tuple(out.loc[tid, c] for c in out.columns)
        same = [
            g is NA if v is NA else g == v for g, v in zip(got, values, strict=True)
        ]
        assert all(same), (tid, got)
    assert str(out.dtypes["first_met"]) == "Int64"


def test_agrees_with_the_path_of_simulate_path():
    pop = baseline(2024, n_households=2_000, seed=5)
    s25 = Scenario.status_quo(2025)
    scenarios = {2024: Scenario.status_quo(2024), 2025: s25}
    for y in (2026, 2027, 2028):
        scenarios[y] = s25.replace(
            {
                "year": y,
                "transfers.dibao_monthly": s25.transfers.dibao_monthly
                * 1.1 ** (y - 2025),
            }
        )
    path = simulate_path(pop, scenarios)
    out = target_years(path)
    for tid in out.index:
        met_years = [y for y in path.index if _met(path.loc[y, tid])]
        first = out.loc[tid, "first_met"]
        assert (first is NA) if not met_years else first == min(met_years)
        assert out.loc[tid, "years_met"] == len(met_years)
        assert out.loc[tid, "years_judged"] == int(path[tid].notna().sum())
        since = out.loc[tid, "met_since"]
        if since is not NA:
            assert all(_met(path.loc[y, tid]) for y in range(since, 2029))
            assert since == 2024 or not _met(path.loc[since - 1, tid])
        else:
            assert not _met(path.loc[2028, tid])
    # T1 (75,000 yuan) is reached on this path: by 2027 (README's figure).
    assert out.loc["T1", "met_since"] <= 2027


def test_errors():
    good = _path({})
    with pytest.raises(ScenarioError, match="must be the DataFrame of simulate_path"):
        target_years(good.to_dict())
    with pytest.raises(ScenarioError, match=r"lacks the verdict column\(s\) \['T3'\]"):
        target_years(good.drop(columns="T3"))
    with pytest.raises(
        ScenarioError, match=r"consecutive and increasing; got \[2023, 2025\]"
    ):
        target_years(_path({}, years=(2023, 2025)))
    with pytest.raises(
        ScenarioError, match=r"consecutive and increasing; got \[2025, 2024\]"
    ):
        target_years(_path({}, years=(2025, 2024)))
    with pytest.raises(ScenarioError, match=r"index must be its years"):
        target_years(good.reset_index(drop=True).rename(index=str))
    bad = good.copy()
    bad["T2"] = [0.0, 1.0, 1.0]
    with pytest.raises(
        ScenarioError, match=r"path\['T2'\] must hold booleans.*float64"
    ):
        target_years(bad)
