"""The tax, contribution and transfer rules for one household (pure Numba).

`household_flows` is the single implementation of the rules; the aggregate pass,
the detail pass and the household calculator call it. It is composed of small stage
functions (``adjusted_wage``, ``person_contribution``, ``person_deductions``,
``tax``, ``residents_pension_amount``, ``dibao_top_up`` …), each the one place its
rule is written; the sweep kernel runs the same stages, re-running per scenario only
those whose parameters vary (:mod:`commonprosperity._kernels.sweep`).
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
#: The child deductions the person takes (the household's, on its best earner).
P_CHILD_DEDUCTION = 11
N_PERSON_COLUMNS = 12

# Weyl-sequence multipliers: a deterministic, low-discrepancy "draw" per person that
# decides who claims the elderly-support deduction, identical with or without JIT.
_WEYL_HOUSEHOLD = 0.6180339887498949
_WEYL_AGE = 0.7548776662466927
#: The id's bits from ID_LOW_BITS up get their own multiplier (sqrt(2) - 1).
_WEYL_HOUSEHOLD_HIGH = 0.41421356237309515
ID_LOW_BITS = 26
_ID_LOW_MASK = (1 << ID_LOW_BITS) - 1


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


#: The most brackets :func:`largest_of_eight_lines` takes.
MAX_UNROLLED_BRACKETS = 8


@njit(cache=True, inline="always")
def bracket_line(rates, quick_deductions, k):
    """Rate and quick deduction of bracket ``k``, the last bracket past the end."""
    j = min(k, rates.shape[0] - 1)
    return rates[j], quick_deductions[j]


@njit(cache=True, inline="always")
def largest_of_eight_lines(
    x, r0, r1, r2, r3, r4, r5, r6, r7, q0, q1, q2, q3, q4, q5, q6, q7
):
    """:func:`convex_schedule_tax` with the (up to eight) lines given as scalars.

    ``max(0, r_k x - q_k)`` over the lines of :func:`bracket_line`: the same value
    (a maximum is exact in any order), with no loop, so that a loop over persons
    calling it vectorises.
    """
    a = max(max(r0 * x - q0, r1 * x - q1), max(r2 * x - q2, r3 * x - q3))
    b = max(max(r4 * x - q4, r5 * x - q5), max(r6 * x - q6, r7 * x - q7))
    return max(max(a, b), 0.0)


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
def elderly_claim_draw(household_id, age):
    """Deterministic number in [0, 1) for a person of a household.

    Keyed by the household and the person's age, not by their place in the
    household: reordering a household's person rows changes no one's draw. Not
    keyed by income either, which calibration, projection and wage levers change:
    the claimants stay the same people. Members of one household of the same age
    draw alike (both claim or neither); each still claims with probability
    ``elderly_support_share``.

    The id's magnitude enters as its low ``ID_LOW_BITS`` bits and the rest, each
    times its own multiplier, so every product keeps about 26 fractional bits: a
    16-digit survey id times one multiplier keeps none (its product's ulp is
    0.25-1), and the draws of such ids took a few values only (claim shares of
    0.25-0.75 for a parameter of 0.1-0.7). An id below ``2**ID_LOW_BITS`` in
    magnitude draws ``frac(id * 0.618... + age * 0.754...)``.
    """
    magnitude = abs(household_id)
    y = (magnitude & _ID_LOW_MASK) * _WEYL_HOUSEHOLD + (
        magnitude >> ID_LOW_BITS
    ) * _WEYL_HOUSEHOLD_HIGH
    x = (-y if household_id < 0 else y) + age * _WEYL_AGE
    return x - np.floor(x)


# ------------------------------------------------------------------------ stages
# The rules as small stages. `household_flows` composes them; the sweep kernel
# (`commonprosperity._kernels.sweep`) runs the same stages, but only those whose
# parameters vary across a block of scenarios. Each stage is the one place its rule
# is written.


@njit(cache=True, inline="always")
def adjusted_wage(wage, growth, employed, minimum_wage_annual):
    """Wage after growth; an employed person's positive wage is at least the minimum.

    ``growth`` is ``1 + growth_rate``; yuan per year.
    """
    w = wage * growth
    return max(w, minimum_wage_annual) if (employed & (w > 0.0)) else w


@njit(cache=True, inline="always")
def is_allowance_child(age, max_age):
    """Whether a person of ``age`` receives the child allowance (age < max age)."""
    return age < max_age


@njit(cache=True, inline="always")
def is_infant(age):
    """Whether a child of ``age`` gives the infant-care deduction (under 3)."""
    return age < 3


@njit(cache=True, inline="always")
def is_education_child(age):
    """Whether a child of ``age`` gives the child-education deduction (3-17)."""
    return (age >= 3) & (age < 18)


@njit(cache=True, inline="always")
def earner_key(age, employed):
    """Tie key of an earner: the older first, then the employed one."""
    return 2.0 * age + (1.0 if employed else 0.0)


@njit(cache=True, inline="always")
def earner_step(j, w, age, key, best, best_wage, best_key):
    """The best earner so far after person ``j`` (adjusted wage ``w``, ``age``).

    ``(best, best_wage, best_key)``: an adult (18+) with a higher wage takes
    over, or with the same wage and a higher :func:`earner_key`. Adults equal in
    wage, age and employment have the same taxable income before the child
    deductions (their elderly-support draws are alike too), so which of them takes
    the deductions does not change the household's tax: the outcome does not
    depend on the order of the person rows.
    """
    better = (age >= 18) & ((w > best_wage) | ((w == best_wage) & (key > best_key)))
    return (
        (j if better else best),
        (w if better else best_wage),
        (key if better else best_key),
    )


@njit(cache=True, inline="always")
def earner_and_children(
    start, end, age, is_employed, wage, growth, minimum_wage_annual, max_age
):
    """The highest-wage adult and the children of persons ``start:end``.

    Returns ``(best, n_education, n_infant, n_allowance)``: ``best`` is the person
    index of the adult (18+) with the highest adjusted wage, on ties the older, then
    the employed one (:func:`earner_step`), who takes the child deductions (-1 if
    no adult); the counts of children aged 3-17, under 3, and entitled to the child
    allowance.
    """
    best = -1
    best_wage = -1.0
    best_key = -1.0
    n_education = 0
    n_infant = 0
    n_allowance = 0
    for j in range(start, end):
        u = np.uint64(j)
        employed = is_employed[u]
        w = adjusted_wage(wage[u], growth, employed, minimum_wage_annual)
        a = age[u]
        best, best_wage, best_key = earner_step(
            j, w, a, earner_key(a, employed), best, best_wage, best_key
        )
        n_infant += is_infant(a)
        n_education += is_education_child(a)
        n_allowance += is_allowance_child(a, max_age)
    return best, n_education, n_infant, n_allowance


@njit(cache=True, inline="always")
def child_deduction(n_education, n_infant, params):
    """Child education and infant-care deductions of a household, yuan per year."""
    return child_deduction_of(
        n_education, n_infant, params[L.CHILD_EDUCATION], params[L.INFANT_CARE]
    )


@njit(cache=True, inline="always")
def child_deduction_of(n_education, n_infant, education, infant):
    """:func:`child_deduction` with the amounts per child (yuan per year) given."""
    return n_education * education + n_infant * infant


@njit(cache=True, inline="always")
def person_contribution(w, employed, contribution_rate, base_floor, base_ceiling):
    """Employee contributions on adjusted wage ``w``, base clipped to floor, ceiling."""
    c = contribution_rate * min(max(w, base_floor), base_ceiling)
    return c if (employed & (w > 0.0)) else 0.0


@njit(cache=True, inline="always")
def elderly_eligible(w, age):
    """Whether a person may claim the elderly-support deduction (wage, age 25-59)."""
    return (w > 0.0) & (age >= 25) & (age <= 59)


@njit(cache=True, inline="always")
def claims_elderly_support(w, age, draw, share):
    """Whether an eligible person claims: their draw falls below the claim share."""
    return elderly_eligible(w, age) & (draw < share)


@njit(cache=True, inline="always")
def person_deductions(basic, child_ded, is_best, elderly, claims):
    """Deductions of one person: basic, child (the best earner), elderly support."""
    deductions = basic + (child_ded if is_best else 0.0)
    deductions += elderly if claims else 0.0
    return deductions


@njit(cache=True, inline="always")
def taxable_income(w, contribution, deductions):
    """Comprehensive taxable income (may be negative; taxed as 0)."""
    return w - contribution - deductions


@njit(cache=True, inline="always")
def business_taxable(business, w, basic):
    """Business taxable income.

    The basic deduction goes against business income only for a person without
    wages; losses do not offset wages.
    """
    return business - (basic if w == 0.0 else 0.0)


@njit(cache=True, inline="always")
def property_tax_rate(params):
    """Effective tax rate on property income: rate x taxable share."""
    return params[L.PROPERTY_RATE] * params[L.TAXABLE_PROPERTY_SHARE]


@njit(cache=True, inline="always")
def is_residents_pensioner(age, pension, employed):
    """Whether a person gets the residents' pension: 60+, no pension, not employed."""
    return (age >= 60) & (pension == 0.0) & (not employed)


@njit(cache=True, inline="always")
def residents_pension_amount(age, pension, employed, amount):
    """Residents' pension of one person, yuan per year."""
    return amount if is_residents_pensioner(age, pension, employed) else 0.0


@njit(cache=True, inline="always")
def household_net(
    wage_sum,
    business_sum,
    property_sum,
    pension_sum,
    residents_pension,
    child_allowance,
    contributions,
    iit,
    business_tax,
    property_tax,
):
    """Household income before dibao: market incomes plus benefits minus levies."""
    return net_from_market(
        market_income(wage_sum, business_sum, property_sum, pension_sum),
        residents_pension,
        child_allowance,
        contributions,
        iit,
        business_tax,
        property_tax,
    )


@njit(cache=True, inline="always")
def market_income(wage, business, property_income, pension):
    """Gross market income and pensions of a household, yuan per year."""
    return wage + business + property_income + pension


@njit(cache=True, inline="always")
def net_from_market(
    market,
    residents_pension,
    child_allowance,
    contributions,
    iit,
    business_tax,
    property_tax,
):
    """:func:`household_net` from :func:`market_income` (the same additions)."""
    return (
        market
        + residents_pension
        + child_allowance
        - contributions
        - iit
        - business_tax
        - property_tax
    )


@njit(cache=True, inline="always")
def after_levies(market, contributions, iit, business_tax, property_tax):
    """Market income less contributions and taxes: the start of disposable income."""
    return market - contributions - iit - business_tax - property_tax


@njit(cache=True, inline="always")
def disposable_from_levies(levied, dibao, residents_pension, child_allowance):
    """:func:`disposable_income` from :func:`after_levies` (the same additions)."""
    return levied + dibao + residents_pension + child_allowance


@njit(cache=True, inline="always")
def disposable_income(
    wage,
    business,
    property_income,
    pension,
    contributions,
    iit,
    business_tax,
    property_tax,
    dibao,
    residents_pension,
    child_allowance,
):
    """Household disposable income from its flows (the tuple of ``household_flows``)."""
    levied = after_levies(
        market_income(wage, business, property_income, pension),
        contributions,
        iit,
        business_tax,
        property_tax,
    )
    return disposable_from_levies(levied, dibao, residents_pension, child_allowance)


@njit(cache=True, inline="always")
def dibao_top_up(net, child_allowance, size, params):
    """Dibao of a household of ``size`` persons with income ``net`` before dibao.

    The top-up never exceeds the full line: a business loss does not raise it.
    The childcare subsidy is not counted as income in the means test
    (育儿补贴制度实施方案, 2025: 不计入低保等社会救助对象家庭或个人收入).
    """
    return dibao_amount(
        net, child_allowance, size, params[L.DIBAO_LINE], params[L.DIBAO_TAKE_UP]
    )


@njit(cache=True, inline="always")
def dibao_amount(net, child_allowance, size, line, take_up):
    """:func:`dibao_top_up` with the line (yuan per person and year) and take-up."""
    gap = line * size - max(net - child_allowance, 0.0)
    return take_up * max(gap, 0.0)


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
    than branches where the data decide, which is several times faster; for the
    same reason conditions on data are combined with ``&``, not ``and``, whose
    short-circuit branches mispredicted (a fifth of the pass's time). The one
    branch skips a tax schedule where the taxable income is not positive: the
    schedule is a loop too long to compute for everyone (11 % of the pass).

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
    pt_rate = property_tax_rate(params)
    residents_amount = params[L.RESIDENTS_PENSION]
    allowance = params[L.CHILD_ALLOWANCE]
    convex = params[L.SCHEDULE_CONVEX] > 0.0
    business_convex = params[L.BUSINESS_SCHEDULE_CONVEX] > 0.0

    best, n_education, n_infant, n_allowance = earner_and_children(
        start, end, age, is_employed, wage, growth, minimum_wage_annual, max_age
    )
    child_ded = child_deduction(n_education, n_infant, params)

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
        u = np.uint64(j)
        employed = is_employed[u]
        w = adjusted_wage(wage[u], growth, employed, minimum_wage_annual)
        a = age[u]
        c = person_contribution(
            w, employed, contribution_rate, base_floor, base_ceiling
        )
        claims = claims_elderly_support(
            w, a, elderly_claim_draw(household_id, a), elderly_share
        )
        deductions = person_deductions(basic, child_ded, j == best, elderly, claims)
        taxable = taxable_income(w, c, deductions)
        b = business[u]
        b_taxable = business_taxable(b, w, basic)
        # Most persons owe neither tax (no wage or business income, or less
        # than the basic deduction): a branch skips their schedules (0.0 there,
        # as rates, thresholds and quick deductions are >= 0).
        t = 0.0
        if taxable > 0.0:
            t = tax(taxable, thresholds, rates, quick_ded, convex)
        bt = 0.0
        if b_taxable > 0.0:
            bt = tax(
                b_taxable,
                business_thresholds,
                business_rates,
                business_quick_ded,
                business_convex,
            )
        pr = property_income[u]
        pt = pt_rate * pr
        p = pension[u]
        rp = residents_pension_amount(a, p, employed, residents_amount)

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
            person_out[row, P_CHILD_ALLOWANCE] = (
                allowance if is_allowance_child(a, max_age) else 0.0
            )
            person_out[row, P_ELDERLY_CLAIM] = 1.0 if claims else 0.0
            person_out[row, P_CHILD_DEDUCTION] = child_ded if j == best else 0.0

    child_allowance = n_allowance * allowance
    net = household_net(
        wage_sum,
        business_sum,
        property_sum,
        pension_sum,
        residents_pension,
        child_allowance,
        contributions,
        iit,
        business_tax,
        property_tax,
    )
    dibao = dibao_top_up(net, child_allowance, end - start, params)
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
