"""An idiomatic pandas implementation of the model's rules and indicators.

Written the way an economist would script the rules over survey frames: one persons
DataFrame merged with its households and a minimum-wage lookup table,
``groupby(...).transform`` for household-level facts (children, the highest-wage
adult), ``pd.cut`` over a quick-deduction table for the tax schedules,
``groupby(...).sum()`` for household totals, and a sorted-cumulative-sum Lorenz
curve for the Gini (the microdf formula). It is independent of the Numba kernel and
of :mod:`tests.reference.numpy_model`; ``tests/unit/test_reference_models.py``
asserts that both equal :func:`commonprosperity.simulate` to 1e-9 relative, and the
benchmarks time it against the library.

The input is the ``(households, persons)`` pair of :meth:`Population.to_frames`
(prepared once, outside any timing, as an economist would already hold frames).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonprosperity.population import Population
from commonprosperity.published import CITIES, minimum_wage_tiers
from tests.reference import defined_ratio

# The deterministic per-person "draw" deciding who claims the elderly-support
# deduction (the rules' text: a Weyl sequence in household id and age).
WEYL_HOUSEHOLD = 0.6180339887498949
WEYL_HOUSEHOLD_HIGH = 0.41421356237309515
WEYL_AGE = 0.7548776662466927

FLOW_COLUMNS = [
    "wage",
    "business",
    "property",
    "pension",
    "contributions",
    "iit",
    "business_tax",
    "property_tax",
    "residents_pension",
    "child_allowance",
]


def frames(population: Population) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``(households, persons)`` frames the pandas model reads."""
    return population.to_frames()


def _as_frames(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(data, Population):
        return frames(data)
    households, persons = data
    return households, persons


def schedule_tax(taxable: pd.Series, thresholds, rates) -> pd.Series:
    """Tax from the schedule's quick-deduction table (rate × income − deduction).

    Bracket k holds incomes in (t_k, t_{k+1}]; the quick deduction of bracket k is
    Σ_{j ≤ k} t_j (r_j − r_{j−1}), derived from thresholds and rates.
    """
    table = pd.DataFrame({"threshold": list(thresholds), "rate": list(rates)})
    table["quick_deduction"] = (
        table["threshold"] * table["rate"].diff().fillna(0.0)
    ).cumsum()
    bracket = pd.cut(
        taxable, bins=[*table["threshold"], np.inf], right=True, labels=False
    )
    rate = bracket.map(table["rate"])
    quick = bracket.map(table["quick_deduction"])
    return (rate * taxable - quick).fillna(0.0)


def person_flows(
    households: pd.DataFrame, persons: pd.DataFrame, scenario
) -> pd.DataFrame:
    """One row per person: gross wage after the wage rules, contributions, taxes,
    transfers (yuan per year), in the persons' order."""
    w, si, it, tr = (
        scenario.wages,
        scenario.social_insurance,
        scenario.income_tax,
        scenario.transfers,
    )

    minimum = pd.DataFrame(
        [(city, urban, tier) for (city, urban), tier in minimum_wage_tiers().items()],
        columns=["city", "urban", "tier"],
    )
    monthly = {
        1: w.minimum_wage_monthly_tier1,
        2: w.minimum_wage_monthly_tier2,
        3: w.minimum_wage_monthly_tier3,
    }
    minimum["minimum_wage"] = minimum["tier"].map(
        {k: 12.0 * v for k, v in monthly.items()}
    )

    hh = households[["household_id", "urban", "city"]].astype({"city": str})
    p = persons.reset_index(drop=True)
    p["position"] = p.groupby("household_id", sort=False).cumcount()
    p = p.merge(hh, on="household_id", how="left").merge(
        minimum[["city", "urban", "minimum_wage"]], on=["city", "urban"], how="left"
    )

    # Wages: the scenario's extra growth, then the minimum wage for employees.
    p["wage"] = p["wage"] * (1.0 + w.growth_rate)
    below_minimum = p["employed"] & (p["wage"] > 0) & (p["wage"] < p["minimum_wage"])
    p["wage"] = p["wage"].mask(below_minimum, p["minimum_wage"])

    # Employee contributions on the wage clipped to the contribution base.
    rate = (
        si.pension_rate + si.medical_rate + si.unemployment_rate + si.housing_fund_rate
    )
    base = p["wage"].clip(12.0 * si.base_floor_monthly, 12.0 * si.base_ceiling_monthly)
    p["contributions"] = (rate * base).where(p["employed"] & (p["wage"] > 0), 0.0)

    # Child deductions go to the household's highest-wage adult.
    p["adult"] = p["age"] >= 18
    p["education_child"] = (p["age"] >= 3) & ~p["adult"]
    p["infant"] = p["age"] < 3
    # On ties the older, then the employed adult.
    ranked = p.assign(adult_wage=p["wage"].where(p["adult"], -1.0)).sort_values(
        ["adult_wage", "age", "employed"], ascending=False, kind="stable"
    )
    best = ranked.groupby("household_id", sort=False).head(1).index
    p["takes_child_deductions"] = p.index.isin(best) & p["adult"]
    children = p.groupby("household_id", sort=False)[
        ["education_child", "infant"]
    ].transform("sum")
    child_deduction = children["education_child"] * (
        12.0 * it.child_education_monthly
    ) + children["infant"] * (12.0 * it.infant_care_monthly)

    # Elderly support: a deterministic share of earners aged 25–59 claim it.
    # The id enters as its low 26 bits and the rest, each with its multiplier.
    magnitude = p["household_id"].abs()
    y = (magnitude % 2**26) * WEYL_HOUSEHOLD + (magnitude // 2**26) * (
        WEYL_HOUSEHOLD_HIGH
    )
    x = y.where(p["household_id"] >= 0, -y) + p["age"] * WEYL_AGE
    draw = x - np.floor(x)
    claims = (
        (p["wage"] > 0) & p["age"].between(25, 59) & (draw < it.elderly_support_share)
    )
    deductions = (
        it.basic_deduction
        + child_deduction.where(p["takes_child_deductions"], 0.0)
        + claims * (12.0 * it.elderly_support_monthly)
    )
    p["iit"] = schedule_tax(
        p["wage"] - p["contributions"] - deductions, it.thresholds, it.rates
    )

    # Business income: the basic deduction only for a person without wages.
    business_taxable = p["business"].where(
        p["wage"] != 0, p["business"] - it.basic_deduction
    )
    p["business_tax"] = schedule_tax(
        business_taxable, it.business_thresholds, it.business_rates
    )
    p["property_tax"] = it.property_rate * it.taxable_property_share * p["property"]

    p["residents_pension"] = np.where(
        (p["age"] >= 60) & (p["pension"] == 0) & ~p["employed"],
        12.0 * tr.residents_pension_monthly,
        0.0,
    )
    p["child_allowance"] = np.where(
        p["age"] < tr.child_allowance_max_age, 12.0 * tr.child_allowance_monthly, 0.0
    )
    return p


def household_flows(data, scenario) -> pd.DataFrame:
    """One row per household (households' order): size, urban, city, weight, the
    flows of ``FLOW_COLUMNS``, dibao and disposable income (yuan per year)."""
    households, persons = _as_frames(data)
    p = person_flows(households, persons, scenario)
    totals = p.groupby("household_id", sort=False).agg(
        size=("age", "size"), **{c: (c, "sum") for c in FLOW_COLUMNS}
    )
    hh = households.join(totals, on="household_id")
    hh["city"] = hh["city"].astype(str)

    net = (
        hh["wage"]
        + hh["business"]
        + hh["property"]
        + hh["pension"]
        + hh["residents_pension"]
        + hh["child_allowance"]
        - hh["contributions"]
        - hh["iit"]
        - hh["business_tax"]
        - hh["property_tax"]
    )
    tr = scenario.transfers
    # Dibao tops net income up to the line; the child allowance is not income in
    # the means test (育儿补贴制度实施方案, 2025).
    means_tested = (net - hh["child_allowance"]).clip(lower=0.0)
    gap = 12.0 * tr.dibao_monthly * hh["size"] - means_tested
    hh["dibao"] = (tr.dibao_take_up * gap).where(gap > 0, 0.0)
    hh["disposable_income"] = net + hh["dibao"]
    return hh


def weighted_gini(values: pd.Series, weights: pd.Series) -> float:
    """Gini from the weighted Lorenz curve: 1 − Σ w_i (L_{i−1} + L_i) / (W · total)."""
    # The Gini does not depend on the weights' scale: dividing by a power of two
    # (exact) keeps W·total clear of underflow for weights down to 1e-300.
    scale = 2.0 ** -np.frexp(weights.max())[1]
    frame = pd.DataFrame({"x": values, "w": weights * scale}).sort_values(
        "x", kind="mergesort"
    )
    wx = frame["w"] * frame["x"]
    lorenz = wx.cumsum()
    area = (frame["w"] * (lorenz.shift(fill_value=0.0) + lorenz)).sum()
    return float(1.0 - area / (frame["w"].sum() * lorenz.iloc[-1]))


def indicators(data, scenario, band_basis: str = "household") -> dict[str, float]:
    """The contract indicators, from a Population or ``(households, persons)``."""
    hh = household_flows(data, scenario)
    hh["persons"] = hh["weight"] * hh["size"]
    hh["weighted_disposable"] = hh["weight"] * hh["disposable_income"]

    def per_capita(frame: pd.DataFrame) -> float:
        return float(frame["weighted_disposable"].sum() / frame["persons"].sum())

    by_area = hh.groupby("urban")[["weighted_disposable", "persons"]].sum()
    area_pc = by_area["weighted_disposable"] / by_area["persons"]
    by_city = (
        hh[hh["city"].isin(CITIES)]
        .groupby("city")[["weighted_disposable", "persons"]]
        .sum()
    )
    city_pc = by_city["weighted_disposable"] / by_city["persons"]
    # An area without households has no per-capita income (NaN).
    urban_pc = float(area_pc.get(True, np.nan))
    rural_pc = float(area_pc.get(False, np.nan))

    if band_basis == "three_person":
        band_income = 3.0 * hh["disposable_income"] / hh["size"]
    else:
        band_income = hh["disposable_income"]

    def band_share(low: float, high: float) -> float:
        inside = band_income.between(low, high, inclusive="left")
        return float(hh.loc[inside, "weight"].sum() / hh["weight"].sum())

    amounts = [
        "iit",
        "business_tax",
        "property_tax",
        "contributions",
        "dibao",
        "residents_pension",
        "child_allowance",
    ]
    weighted = hh[amounts].mul(hh["weight"], axis=0).sum()
    mean = per_capita(hh)
    return {
        "per_capita_disposable_income": mean,
        "urban_per_capita_disposable_income": urban_pc,
        "rural_per_capita_disposable_income": rural_pc,
        "urban_rural_ratio": defined_ratio(urban_pc, rural_pc),
        "city_max_min_ratio": (
            defined_ratio(city_pc.max(), city_pc.min()) if len(city_pc) >= 2 else np.nan
        ),
        "band_share_100k_500k": band_share(100_000.0, 500_000.0),
        "band_share_200k_600k": band_share(200_000.0, 600_000.0),
        "gini": (
            weighted_gini(hh["disposable_income"] / hh["size"], hh["persons"])
            if mean > 0
            else np.nan
        ),
        "urbanization_rate": float(
            hh.loc[hh["urban"], "persons"].sum() / hh["persons"].sum()
        ),
        "iit_revenue": float(
            weighted["iit"] + weighted["business_tax"] + weighted["property_tax"]
        ),
        "social_insurance_contributions": float(weighted["contributions"]),
        "transfer_spending": float(
            weighted["dibao"]
            + weighted["residents_pension"]
            + weighted["child_allowance"]
        ),
    }
