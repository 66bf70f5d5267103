"""The tax, contribution and transfer rules for one household (pure Numba).

`household_flows` is the single implementation of the rules; the aggregate pass,
the detail pass, the sweep kernel and the household calculator all call it.
"""

import numpy as np
from numba import njit

from commonprosperity._kernels import layout as L

# Columns of the optional person-level output (household calculator).
P_WAGE = 0
P_CONTRIBUTIONS = 1
P_DEDUCTIONS = 2
P_TAXABLE = 3
P_IIT = 4
P_BUSINESS_TAXABLE = 5
P_BUSINESS_TAX = 6
P_PROPERTY_TAX = 7
P_RESIDENTS_PENSION = 8
P_CHILD_ALLOWANCE = 9
P_ELDERLY_CLAIM = 10
N_PERSON_COLUMNS = 11

# Weyl-sequence multipliers: a deterministic, low-discrepancy "draw" per person that
# decides who claims the elderly-support deduction, identical with or without JIT.
_WEYL_HOUSEHOLD = 0.6180339887498949
_WEYL_PERSON = 0.7548776662466927


@njit(cache=True)
def schedule_tax(taxable, thresholds, rates, quick_deductions):
    """Tax on `taxable` yuan under a progressive schedule.

    Preconditions: ``thresholds`` strictly increasing with ``thresholds[0] == 0``;
    ``quick_deductions`` derived from thresholds and rates
    (:func:`quick_deductions`). Returns 0 for ``taxable <= 0``.
    """
    if taxable <= 0.0:
        return 0.0
    k = thresholds.shape[0] - 1
    while thresholds[k] >= taxable and k > 0:
        k -= 1
    return rates[k] * taxable - quick_deductions[k]


@njit(cache=True)
def quick_deductions(thresholds, rates):
    """Quick deductions of a schedule: qd[k] = qd[k-1] + t[k] * (r[k] - r[k-1])."""
    qd = np.zeros(thresholds.shape[0])
    for k in range(1, thresholds.shape[0]):
        qd[k] = qd[k - 1] + thresholds[k] * (rates[k] - rates[k - 1])
    return qd


@njit(cache=True)
def elderly_claim_draw(household_id, position):
    """Deterministic number in [0, 1) for person `position` of a household."""
    x = household_id * _WEYL_HOUSEHOLD + position * _WEYL_PERSON
    return x - np.floor(x)


@njit(cache=True)
def household_flows(
    start,
    end,
    household_id,
    minimum_wage_annual,
    age,
    is_employed,
    wage,
    business,
    property_income,
    pension,
    params,
    thresholds,
    rates,
    quick_ded,
    business_thresholds,
    business_rates,
    business_quick_ded,
    write_persons,
    person_out,
):
    """Gross incomes, contributions, taxes and transfers of one household.

    Persons ``start:end`` of the person arrays belong to the household. All amounts
    are yuan per year. When ``write_persons`` is true, row ``j - start`` of
    ``person_out`` (shape (end - start, N_PERSON_COLUMNS)) receives person ``j``'s
    flows; otherwise ``person_out`` is not touched.

    Returns a tuple ``(wage, business, property, pension, contributions, iit,
    business_tax, property_tax, dibao, residents_pension, child_allowance)`` of
    household totals.
    """
    growth = params[L.GROWTH_RATE]
    contribution_rate = params[L.CONTRIBUTION_RATE]
    base_floor = params[L.BASE_FLOOR]
    base_ceiling = params[L.BASE_CEILING]
    basic = params[L.BASIC_DEDUCTION]
    max_age = params[L.CHILD_ALLOWANCE_MAX_AGE]

    # First pass: the wage after growth and the minimum wage, the highest-wage
    # adult (who takes the child deductions) and the children by age group.
    best = -1
    best_wage = -1.0
    n_education = 0
    n_infant = 0
    n_allowance = 0
    for j in range(start, end):
        w = wage[j]
        if w > 0.0:
            w = w * (1.0 + growth)
            if is_employed[j] and w < minimum_wage_annual:
                w = minimum_wage_annual
        a = age[j]
        if a >= 18:
            if w > best_wage:
                best_wage = w
                best = j
        elif a < 3:
            n_infant += 1
        else:
            n_education += 1
        if a < max_age:
            n_allowance += 1
    child_deduction = (
        n_education * params[L.CHILD_EDUCATION] + n_infant * params[L.INFANT_CARE]
    )

    wage_sum = 0.0
    business_sum = 0.0
    property_sum = 0.0
    pension_sum = 0.0
    contributions = 0.0
    iit = 0.0
    business_tax = 0.0
    property_tax = 0.0
    residents_pension = 0.0
    for j in range(start, end):
        w = wage[j]
        if w > 0.0:
            w = w * (1.0 + growth)
            if is_employed[j] and w < minimum_wage_annual:
                w = minimum_wage_annual
        a = age[j]
        c = 0.0
        if is_employed[j] and w > 0.0:
            c = contribution_rate * min(max(w, base_floor), base_ceiling)
        deductions = basic
        if j == best:
            deductions += child_deduction
        claims_elderly = 0.0
        if (
            w > 0.0
            and a >= 25
            and a <= 59
            and elderly_claim_draw(household_id, j - start)
            < params[L.ELDERLY_SUPPORT_SHARE]
        ):
            claims_elderly = 1.0
            deductions += params[L.ELDERLY_SUPPORT]
        taxable = w - c - deductions
        t = schedule_tax(taxable, thresholds, rates, quick_ded)

        b = business[j]
        # The basic deduction goes against business income only for a person
        # without wages; losses do not offset wages.
        b_taxable = b - basic if w == 0.0 else b
        bt = schedule_tax(b_taxable, business_thresholds, business_rates,
                          business_quick_ded)
        pr = property_income[j]
        pt = params[L.PROPERTY_RATE] * params[L.TAXABLE_PROPERTY_SHARE] * pr
        rp = 0.0
        if a >= 60 and pension[j] == 0.0 and not is_employed[j]:
            rp = params[L.RESIDENTS_PENSION]
        ca = params[L.CHILD_ALLOWANCE] if a < max_age else 0.0

        wage_sum += w
        business_sum += b
        property_sum += pr
        pension_sum += pension[j]
        contributions += c
        iit += t
        business_tax += bt
        property_tax += pt
        residents_pension += rp
        if write_persons:
            row = j - start
            person_out[row, P_WAGE] = w
            person_out[row, P_CONTRIBUTIONS] = c
            person_out[row, P_DEDUCTIONS] = deductions
            person_out[row, P_TAXABLE] = max(taxable, 0.0)
            person_out[row, P_IIT] = t
            person_out[row, P_BUSINESS_TAXABLE] = max(b_taxable, 0.0)
            person_out[row, P_BUSINESS_TAX] = bt
            person_out[row, P_PROPERTY_TAX] = pt
            person_out[row, P_RESIDENTS_PENSION] = rp
            person_out[row, P_CHILD_ALLOWANCE] = ca
            person_out[row, P_ELDERLY_CLAIM] = claims_elderly

    child_allowance = n_allowance * params[L.CHILD_ALLOWANCE]
    net = (
        wage_sum
        + business_sum
        + property_sum
        + pension_sum
        + residents_pension
        + child_allowance
        - contributions
        - iit
        - business_tax
        - property_tax
    )
    # The top-up never exceeds the full line: a business loss does not raise it.
    gap = params[L.DIBAO_LINE] * (end - start) - max(net, 0.0)
    dibao = params[L.DIBAO_TAKE_UP] * gap if gap > 0.0 else 0.0
    return (
        wage_sum,
        business_sum,
        property_sum,
        pension_sum,
        contributions,
        iit,
        business_tax,
        property_tax,
        dibao,
        residents_pension,
        child_allowance,
    )
