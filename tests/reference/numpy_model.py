"""An independent, vectorised NumPy implementation of the model's rules.

Written from the rules' text (issue 2, docs/model-rules.md), not from the kernel:
person-level arrays, ``np.bincount`` for household sums, marginal-rate tax
(Σ r_k · clip(x − t_k, 0, t_{k+1} − t_k)) instead of quick deductions, and the
Lorenz-area form of the Gini. Used to check ``simulate`` and as the benchmark
reference.
"""

from __future__ import annotations

import numpy as np

from commonprosperity.population import CITY_LABELS
from commonprosperity.published import CITIES, minimum_wage_tier
from tests.reference import defined_ratio

WEYL_HOUSEHOLD = 0.6180339887498949
WEYL_HOUSEHOLD_HIGH = 0.41421356237309515
WEYL_AGE = 0.7548776662466927


def weyl_id(household_id):
    """The id's term of the claim draw: its low 26 bits and the rest (docs)."""
    magnitude = np.abs(household_id)
    y = (magnitude % 2**26) * WEYL_HOUSEHOLD + (magnitude // 2**26) * (
        WEYL_HOUSEHOLD_HIGH
    )
    return np.where(household_id < 0, -y, y)


def marginal_tax(x, thresholds, rates):
    """Tax of income x (array) under marginal rates, bracket by bracket."""
    t = np.asarray(thresholds, dtype=float)
    r = np.asarray(rates, dtype=float)
    upper = np.append(t[1:], np.inf)
    tax = np.zeros_like(x)
    for lo, hi, rate in zip(t, upper, r, strict=True):
        tax += rate * np.clip(x - lo, 0.0, hi - lo)
    return tax


def gini_lorenz(income, weight):
    """Weighted Gini as 1 − Σ w_i (L_{i−1} + L_i) / W over sorted incomes."""
    order = np.argsort(income, kind="stable")
    x = income[order]
    # The Gini does not depend on the weights' scale: a power of two (exact)
    # keeps W·X clear of underflow for weights down to 1e-300.
    w = np.ldexp(weight[order], -np.frexp(weight.max())[1])
    wx = w * x
    cum = np.cumsum(wx)
    total = cum[-1]
    prev = cum - wx
    return 1.0 - np.sum(w * (prev + cum)) / (w.sum() * total)


def household_flows(pop, scenario):
    """Per-household flows (dict of arrays, yuan per year)."""
    s = scenario
    hh = pop.person_household_index
    n = pop.n_households
    size = pop.size
    age = pop.age
    employed = pop.employed
    position = np.arange(pop.n_persons) - pop.offsets[hh]

    tiers = np.array(
        [[minimum_wage_tier(c, bool(u)) for u in (0, 1)] for c in CITY_LABELS]
    )
    minima = 12.0 * np.array(
        [
            s.wages.minimum_wage_monthly_tier1,
            s.wages.minimum_wage_monthly_tier2,
            s.wages.minimum_wage_monthly_tier3,
        ]
    )
    minimum = minima[tiers[pop.city_code, pop.urban.astype(int)] - 1][hh]
    wage = np.where(pop.wage > 0, pop.wage * (1.0 + s.wages.growth_rate), 0.0)
    wage = np.where(employed & (wage > 0) & (wage < minimum), minimum, wage)

    si = s.social_insurance
    rate = (
        si.pension_rate + si.medical_rate + si.unemployment_rate + si.housing_fund_rate
    )
    contributions = np.where(
        employed & (wage > 0),
        rate * np.clip(wage, 12 * si.base_floor_monthly, 12 * si.base_ceiling_monthly),
        0.0,
    )

    it = s.income_tax
    adult = age >= 18
    # Highest-wage adult of each household; on ties the older, then the employed.
    # Each key narrows the household's candidates to those at its best (a
    # household's maximum by reduceat over its persons): linear, where a
    # lexsort of all persons by household and keys took 60 % of this model.
    starts = pop.offsets[:-1]
    key = np.where(adult, wage, -1.0)
    best = key == np.maximum.reduceat(key, starts)[hh]
    older = np.where(best, age, -1)
    best &= older == np.maximum.reduceat(older, starts)[hh]
    working = np.where(best, employed, -1).astype(np.int8)
    best &= working == np.maximum.reduceat(working, starts)[hh]
    first = np.where(best, position, pop.n_persons)
    best &= first == np.minimum.reduceat(first, starts)[hh]
    best &= adult
    n_education = np.bincount(hh, weights=(age >= 3) & (age < 18), minlength=n)
    n_infant = np.bincount(hh, weights=age < 3, minlength=n)
    child_deduction = 12 * (
        n_education * it.child_education_monthly + n_infant * it.infant_care_monthly
    )
    # keyed by household and age (not the person's place in the household)
    draw = np.mod(weyl_id(pop.household_id[hh]) + age * WEYL_AGE, 1.0)
    claims = (wage > 0) & (age >= 25) & (age <= 59) & (draw < it.elderly_support_share)
    deductions = (
        it.basic_deduction
        + np.where(best, child_deduction[hh], 0.0)
        + np.where(claims, 12 * it.elderly_support_monthly, 0.0)
    )
    iit = marginal_tax(
        np.maximum(wage - contributions - deductions, 0.0), it.thresholds, it.rates
    )
    business_taxable = np.where(
        wage == 0, pop.business - it.basic_deduction, pop.business
    )
    business_tax = marginal_tax(
        np.maximum(business_taxable, 0.0), it.business_thresholds, it.business_rates
    )
    property_tax = it.property_rate * it.taxable_property_share * pop.property

    tr = s.transfers
    residents_pension = np.where(
        (age >= 60) & (pop.pension == 0) & ~employed,
        12 * tr.residents_pension_monthly,
        0.0,
    )
    child_allowance = np.where(
        age < tr.child_allowance_max_age, 12 * tr.child_allowance_monthly, 0.0
    )

    def total(x):
        return np.bincount(hh, weights=x, minlength=n)

    out = {
        "wage": total(wage),
        "business": total(pop.business),
        "property": total(pop.property),
        "pension": total(pop.pension),
        "contributions": total(contributions),
        "iit": total(iit),
        "business_tax": total(business_tax),
        "property_tax": total(property_tax),
        "residents_pension": total(residents_pension),
        "child_allowance": total(child_allowance),
    }
    net = (
        out["wage"]
        + out["business"]
        + out["property"]
        + out["pension"]
        + out["residents_pension"]
        + out["child_allowance"]
        - out["contributions"]
        - out["iit"]
        - out["business_tax"]
        - out["property_tax"]
    )
    # the child allowance is not income for the dibao means test
    gap = 12 * tr.dibao_monthly * size - np.maximum(net - out["child_allowance"], 0.0)
    out["dibao"] = np.where(gap > 0, tr.dibao_take_up * gap, 0.0)
    out["disposable_income"] = net + out["dibao"]
    return out


def indicators(pop, scenario, band_basis="household"):
    """The contract indicators computed with NumPy from :func:`household_flows`."""
    f = household_flows(pop, scenario)
    w = pop.weight
    size = pop.size
    disp = f["disposable_income"]
    persons = w * size
    urban = pop.urban
    out = {}

    def per_capita(mask):
        # An area or city without households has no per-capita income.
        return (
            np.sum(w[mask] * disp[mask]) / np.sum(persons[mask])
            if mask.any()
            else np.nan
        )

    out["per_capita_disposable_income"] = np.sum(w * disp) / np.sum(persons)
    u = per_capita(urban)
    r = per_capita(~urban)
    out["urban_per_capita_disposable_income"] = u
    out["rural_per_capita_disposable_income"] = r
    out["urban_rural_ratio"] = defined_ratio(u, r)
    city_pc = []
    for c, _ in enumerate(CITIES):
        mask = pop.city_code == c
        if mask.any():
            city_pc.append(per_capita(mask))
    out["city_max_min_ratio"] = (
        defined_ratio(max(city_pc), min(city_pc)) if len(city_pc) >= 2 else np.nan
    )
    band = 3 * disp / size if band_basis == "three_person" else disp
    out["band_share_100k_500k"] = np.sum(w[(band >= 1e5) & (band < 5e5)]) / np.sum(w)
    out["band_share_200k_600k"] = np.sum(w[(band >= 2e5) & (band < 6e5)]) / np.sum(w)
    out["gini"] = (
        gini_lorenz(disp / size, persons)
        if out["per_capita_disposable_income"] > 0
        else np.nan
    )
    out["urbanization_rate"] = np.sum(persons[urban]) / np.sum(persons)
    out["iit_revenue"] = np.sum(w * (f["iit"] + f["business_tax"] + f["property_tax"]))
    out["social_insurance_contributions"] = np.sum(w * f["contributions"])
    out["transfer_spending"] = np.sum(
        w * (f["dibao"] + f["residents_pension"] + f["child_allowance"])
    )
    return out
