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


@njit(cache=True, inline="always")
def schedule_tax(taxable, thresholds, rates, quick_deductions):
    """Tax on `taxable` yuan under a progressive schedule.

    Preconditions: ``thresholds`` strictly increasing with ``thresholds[0] == 0``;
    ``quick_deductions`` derived from thresholds and rates
    (:func:`quick_deductions`). Returns 0 for ``taxable <= 0``. The bracket is
    found by comparison; with non-decreasing rates :func:`convex_schedule_tax`
    gives the same value without branches.
    """
    if taxable <= 0.0:
        return 0.0
    k = thresholds.shape[0] - 1
    while thresholds[k] >= taxable and k > 0:
        k -= 1
    return rates[k] * taxable - quick_deductions[k]


@njit(cache=True, inline="always")
def convex_schedule_tax(taxable, rates, quick_deductions):
    """Tax of a schedule with non-decreasing rates: the largest of its bracket lines.

    For such (convex) schedules the tax ``r_k x − qd_k`` of the bracket containing
    ``x`` is the maximum over all brackets' lines, and 0 for ``x <= 0``; written as
    a maximum it has no data-dependent branch.
    """
    t = 0.0
    for k in range(rates.shape[0]):
        t = max(t, rates[k] * taxable - quick_deductions[k])
    return t


@njit(cache=True, inline="always")
def tax(taxable, thresholds, rates, quick_deductions, is_convex):
    """Schedule tax, branch-free when the schedule is convex."""
    if is_convex:
        return convex_schedule_tax(taxable, rates, quick_deductions)
    return schedule_tax(taxable, thresholds, rates, quick_deductions)


@njit(cache=True)
def quick_deductions(thresholds, rates):
    """Quick deductions of a schedule: qd[k] = qd[k-1] + t[k] * (r[k] - r[k-1])."""
    qd = np.zeros(thresholds.shape[0])
    for k in range(1, thresholds.shape[0]):
        qd[k] = qd[k - 1] + thresholds[k] * (rates[k] - rates[k - 1])
    return qd


@njit(cache=True, inline="always")
def elderly_claim_draw(household_id, position):
    """Deterministic number in [0, 1) for person `position` of a household."""
    x = household_id * _WEYL_HOUSEHOLD + position * _WEYL_PERSON
    return x - np.floor(x)


@njit(cache=True, inline="always")
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
    flows; otherwise ``person_out`` is not touched. The code uses selects rather
    than branches where the data decide, which is several times faster.

    Returns a tuple ``(wage, business, property, pension, contributions, iit,
    business_tax, property_tax, dibao, residents_pension, child_allowance)`` of
    household totals.
    """
    growth = 1.0 + params[L.GROWTH_RATE]
    contribution_rate = params[L.CONTRIBUTION_RATE]
    base_floor = params[L.BASE_FLOOR]
    base_ceiling = params[L.BASE_CEILING]
    basic = params[L.BASIC_DEDUCTION]
    max_age = params[L.CHILD_ALLOWANCE_MAX_AGE]
    elderly_share = params[L.ELDERLY_SUPPORT_SHARE]
    elderly = params[L.ELDERLY_SUPPORT]
    property_tax_rate = params[L.PROPERTY_RATE] * params[L.TAXABLE_PROPERTY_SHARE]
    residents_amount = params[L.RESIDENTS_PENSION]
    allowance = params[L.CHILD_ALLOWANCE]
    convex = params[L.SCHEDULE_CONVEX] > 0.0
    business_convex = params[L.BUSINESS_SCHEDULE_CONVEX] > 0.0

    # First pass: the highest-wage adult (who takes the child deductions; the
    # first one on ties) and the children by age group.
    best = -1
    best_wage = -1.0
    n_education = 0
    n_infant = 0
    n_allowance = 0
    for j in range(start, end):
        w = _adjusted_wage(wage[j], growth, is_employed[j], minimum_wage_annual)
        a = age[j]
        better = (a >= 18) and (w > best_wage)
        best = j if better else best
        best_wage = w if better else best_wage
        n_infant += a < 3
        n_education += (a >= 3) and (a < 18)
        n_allowance += a < max_age
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
        employed = is_employed[j]
        w = _adjusted_wage(wage[j], growth, employed, minimum_wage_annual)
        a = age[j]
        c = contribution_rate * min(max(w, base_floor), base_ceiling)
        c = c if (employed and w > 0.0) else 0.0
        claims = (
            (w > 0.0)
            and (a >= 25)
            and (a <= 59)
            and elderly_claim_draw(household_id, j - start) < elderly_share
        )
        deductions = basic + (child_deduction if j == best else 0.0)
        deductions += elderly if claims else 0.0
        taxable = w - c - deductions
        t = tax(taxable, thresholds, rates, quick_ded, convex)
        b = business[j]
        # The basic deduction goes against business income only for a person
        # without wages; losses do not offset wages.
        b_taxable = b - (basic if w == 0.0 else 0.0)
        bt = tax(
            b_taxable,
            business_thresholds,
            business_rates,
            business_quick_ded,
            business_convex,
        )
        pr = property_income[j]
        pt = property_tax_rate * pr
        p = pension[j]
        rp = residents_amount if (a >= 60 and p == 0.0 and not employed) else 0.0

        wage_sum += w
        business_sum += b
        property_sum += pr
        pension_sum += p
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
            person_out[row, P_CHILD_ALLOWANCE] = allowance if a < max_age else 0.0
            person_out[row, P_ELDERLY_CLAIM] = 1.0 if claims else 0.0

    child_allowance = n_allowance * allowance
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
    # The childcare subsidy is not counted as income in the means test
    # (育儿补贴制度实施方案, 2025: 不计入低保等社会救助对象家庭或个人收入).
    gap = params[L.DIBAO_LINE] * (end - start) - max(net - child_allowance, 0.0)
    dibao = params[L.DIBAO_TAKE_UP] * max(gap, 0.0)
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


@njit(cache=True, inline="always")
def _adjusted_wage(wage, growth, employed, minimum_wage_annual):
    """Wage after growth; an employed person's positive wage is at least the minimum."""
    w = wage * growth
    return max(w, minimum_wage_annual) if (employed and w > 0.0) else w
