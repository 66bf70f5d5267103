"""Households, persons and unit-scale incomes of the Zhejiang baseline (seeded draws).

Private part of :mod:`commonprosperity.baseline`. :func:`draw` makes every random
draw of a baseline, in a fixed order from ``numpy.random.default_rng(seed)``:
households in the 22 city × area cells, household sizes and ages, retirement,
work, and incomes by source at *unit scale* (the level of each source is solved
later, in :mod:`commonprosperity._baseline_income`). :func:`cover` then marks the
wage earners covered by employee social insurance once the weights are known.

Every parameter of the shapes is in :class:`Shape`, with its grade; the statutory
retirement ages are the only published values (国发〔1978〕104号: men 60, women
cadres 55, women workers 50; in force through 2024).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

import numpy as np

from commonprosperity import statistics as S
from commonprosperity.errors import PopulationError
from commonprosperity.published import CITIES

__all__ = [
    "AGE_BANDS",
    "MAX_SIZE",
    "RAKING_AGE_BANDS",
    "SHAPE",
    "Draws",
    "Shape",
    "cover",
    "draw",
]

AGE_BANDS = ((0, 15), (15, 60), (60, 121))
#: The age bands the baseline's weights are raked to: AGE_BANDS with 60+ split
#: at 65 (the census and the bulletins publish both shares).
RAKING_AGE_BANDS = ((0, 15), (15, 60), (60, 65), (65, 121))
MAX_SIZE = 8
N_CITIES = len(CITIES)
N_CELLS = 2 * N_CITIES


@dataclass(frozen=True)
class Shape:
    """Assumptions of the draws (grade R: chosen, then checked against the shape).

    Pairs are ``(rural, urban)``.
    """

    # common log-level of a household's incomes; smaller in rural areas, where
    # 0.22 put the top/bottom ratio of household quintiles at 7.0-7.3 (the
    # neighbouring tables: 5-7)
    household_sigma: tuple[float, float] = (0.12, 0.22)
    wage_sigma: float = 0.30
    uncovered_wage_factor: float = 0.7  # wage of uncovered relative to covered
    coverage_wage_correlation: float = 0.5  # of the coverage latent with the wage
    coverage_rural_ratio: float = 0.545  # rural / urban covered share of earners
    business_share: tuple[float, float] = (0.30, 0.12)  # adults 20-74
    business_sigma: float = 0.7
    loss_share: float = 0.03
    property_share: tuple[float, float] = (0.35, 0.75)  # persons 18+
    property_sigma: float = 1.0
    female_share: float = 0.5
    female_cadre_share: float = 0.4  # women retiring at 55 rather than 50
    pension_entitled: tuple[float, float] = (0.45, 0.80)  # past retirement age
    pension_sigma: float = 0.4
    other_share: tuple[float, float] = (0.70, 0.60)  # households, other transfers
    other_share_no_earner: float = 0.95  # households without wage or pension
    other_sigma: float = 0.8


SHAPE = Shape()

#: Statutory retirement ages through 2024 (国发〔1978〕104号; A): men 60, women
#: cadres 55, women workers 50.
RETIREMENT_AGES = (60, 55, 50)


@dataclass(frozen=True)
class Draws:
    """Every draw of a baseline; persons sorted by household.

    Incomes ``raw`` are at unit scale, rows: wage (before the coverage premium),
    business (may be negative), property, employee pension (> 0 exactly for
    ``pensioner``) and other transfers received (on one person of each receiving
    household). ``latent`` ranks the coverage of ``eligible`` persons
    (wage earners below their retirement age): higher is covered first.
    """

    city: np.ndarray  # (n,) int64, index into CITIES
    urban: np.ndarray  # (n,) bool
    size: np.ndarray  # (n,) int64
    offsets: np.ndarray  # (n + 1,) int64
    hh: np.ndarray  # (m,) int64, household of each person
    age: np.ndarray  # (m,) int64
    pensioner: np.ndarray  # (m,) bool
    eligible: np.ndarray  # (m,) bool
    latent: np.ndarray  # (m,) float64
    raw: np.ndarray  # (5, m) float64: wage, business, property, pension, other

    @property
    def cell(self) -> np.ndarray:
        """City × area cell of each household, ``2 * city + urban``."""
        return cast("np.ndarray", self.city * 2 + self.urban)

    @property
    def wage(self) -> np.ndarray:
        """Unit-scale wage (before the coverage premium)."""
        return cast("np.ndarray", self.raw[0])

    @property
    def person_urban(self) -> np.ndarray:
        """Area of each person's household."""
        return cast("np.ndarray", self.urban[self.hh])


def largest_remainder(n: int, p: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``p`` (largest remainder).

    Examples
    --------
    >>> largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    raw = n * p / p.sum()
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    if short:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return cast("np.ndarray", counts)


def size_distribution(mean: float) -> np.ndarray:
    """Fujian 2020 family-household sizes (1..8+), exponentially tilted to `mean`.

    Examples
    --------
    >>> p = size_distribution(2.36)
    >>> round(float(np.dot(p, np.arange(1, 9))), 6)
    2.36
    """
    base = np.asarray(
        S.figure(
            "household_size_distribution", 2020, period="census", city="福建"
        ).value
    )
    q = np.append(base[: MAX_SIZE - 1], base[MAX_SIZE - 1 :].sum())
    k = np.arange(1, MAX_SIZE + 1)
    lo, hi = -5.0, 5.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        p = q * np.exp(mid * k)
        if np.dot(p, k) / p.sum() < mean:
            lo = mid
        else:
            hi = mid
    p = q * np.exp(0.5 * (lo + hi) * k)
    return cast("np.ndarray", p / p.sum())


#: Head ages of households with a working-age head, and the oldest child age.
_HEAD_AGES = np.arange(20, 60)
_CHILD_AGES = 30


@functools.cache
def child_age_cdf() -> np.ndarray:
    """Cumulative law of a child's age given a working-age head's age (R).

    Row ``h - 20`` is the law for a head aged ``h`` (20-59, as drawn): a child is
    at most ``h - 20`` (and 29) years old, with probabilities proportional to
    weights solved so that, over heads of every age alike, the cohorts aged 0-17
    are equal and the adult children keep the shape of a uniform draw. Drawn
    uniformly on ``0 .. h - 20``, every head's range starts at 0 and the youngest
    cohorts were the largest (age 0 twice the mean cohort of 0-14, and twice the
    children under 3 the 0-14 total implies); Zhejiang's births fell after 2017,
    so equal cohorts are if anything generous to the youngest.
    """
    span = np.clip(_HEAD_AGES - 19, 1, _CHILD_AGES)[:, None]
    ages = np.arange(_CHILD_AGES)[None, :]
    mask = ages < span

    def cohorts(w: np.ndarray) -> np.ndarray:
        law = np.where(mask, w, 0.0)
        return cast("np.ndarray", (law / law.sum(axis=1, keepdims=True)).mean(axis=0))

    uniform = cohorts(np.ones(_CHILD_AGES))
    target = uniform.copy()
    target[:18] = uniform[:18].mean()
    w = np.ones(_CHILD_AGES)
    for _ in range(200):  # converges to 1e-15 (multiplicative fitting)
        w *= target / cohorts(w)
        w /= w.sum()
    law = np.where(mask, w, 0.0)
    cdf = np.cumsum(law / law.sum(axis=1, keepdims=True), axis=1)
    # Exactly 1 from the oldest age a head may have on: a rounded 1 - 1e-16 there
    # would let a draw past it.
    cdf[ages >= span - 1] = 1.0
    return cdf


def _ages(
    rng: np.random.Generator,
    size: np.ndarray,
    hh: np.ndarray,
    position: np.ndarray,
) -> np.ndarray:
    """Ages from household roles: head, spouse, children or parents, grandchildren."""
    n = size.shape[0]
    elderly_head = rng.random(n) < np.where(
        size == 1, 0.42, np.where(size == 2, 0.38, 0.22)
    )
    # Elderly heads' ages fall off with age (R): uniform over 60-90, they put 16 %
    # of the 60+ at 60-64 against the 2020 census's 29 % (the raking's 65+
    # margin then needed weights far apart).
    old_ages = np.arange(60, 91)
    old_p = np.exp(-(old_ages - 60) / 12.0)
    head_age = np.where(
        elderly_head,
        rng.choice(old_ages, n, p=old_p / old_p.sum()),
        rng.integers(20, 60, n),
    )
    h_age = head_age[hh]
    age = h_age.copy()  # heads keep it
    spouse = np.flatnonzero(position == 1)
    shift = np.rint(rng.normal(-1.0, 3.0, spouse.shape[0])).astype(np.int64)
    age[spouse] = np.clip(h_age[spouse] + shift, 18, 100)
    other = np.flatnonzero(position >= 2)
    k = other.shape[0]
    ha = h_age[other]
    u = rng.random(k)
    old = elderly_head[hh[other]]
    # young head: children (0 .. head-20, equal cohorts: child_age_cdf) or an
    # elderly parent; old head: grandchild or adult child
    cdf = child_age_cdf()[np.clip(ha, 20, 59) - 20]
    child = (cdf <= rng.random(k)[:, None]).sum(axis=1).astype(np.int64)
    parent = np.clip(ha + rng.integers(24, 33, k), 55, 100)
    grandchild = rng.integers(0, 16, k)
    adult_child = np.clip(ha - rng.integers(25, 36, k), 18, 70)
    age[other] = np.where(
        old,
        np.where(u < 0.45, grandchild, adult_child),
        np.where(u < 0.78, child, parent),
    )
    return cast("np.ndarray", age)


def _work_probability(age: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Probability of earning a wage by age and area, if not a pensioner (R)."""
    table = np.zeros((2, 121))
    for u, (p60, p65) in enumerate(((0.45, 0.15), (0.25, 0.04))):
        table[u, 16:20] = 0.15
        table[u, 20:25] = 0.60
        table[u, 25:55] = 0.90 + 0.01 * u
        table[u, 55:60] = 0.70
        table[u, 60:65] = p60
        table[u, 65:75] = p65
    return cast("np.ndarray", table[urban.astype(np.int64), age])


def draw(
    n: int,
    seed: int,
    cell_households: np.ndarray,
    size_dist: np.ndarray,
    top_tail: tuple[float, float] | None = None,
) -> Draws:
    """All draws of a baseline of ``n`` households.

    Parameters
    ----------
    n : int
        Household records.
    seed : int
        Seed of ``numpy.random.default_rng``.
    cell_households : ndarray of float64, shape (11, 2)
        Households of each city (rows, :data:`CITIES` order) and area (rural,
        urban); records are allotted to the cells in proportion.
    size_dist : ndarray of float64, shape (11, MAX_SIZE)
        Household size distribution (sizes 1..8) of each city.
    top_tail : (share, alpha), optional
        Replace the wages of the top ``share`` of wage earners by a Pareto tail
        (:func:`pareto_tail`); it draws no random numbers, so every other draw
        is the same with or without it.

    Returns
    -------
    Draws
    """
    s = SHAPE
    rng = np.random.default_rng(seed)
    counts = largest_remainder(n, cell_households.ravel())
    cell = np.repeat(np.arange(counts.shape[0]), counts)
    city = cell // 2
    urban = (cell % 2).astype(bool)
    size = np.empty(n, dtype=np.int64)
    for c in range(N_CITIES):
        idx = np.flatnonzero(city == c)
        size[idx] = 1 + rng.choice(MAX_SIZE, size=idx.shape[0], p=size_dist[c])
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    m = int(offsets[-1])
    hh = np.repeat(np.arange(n), size)
    position = np.arange(m) - offsets[hh]
    age = _ages(rng, size, hh, position)
    p_urban = urban[hh]
    ui = p_urban.astype(np.int64)

    # retirement: statutory age by sex and job, then entitlement to a pension
    female = rng.random(m) < s.female_share
    cadre = rng.random(m) < s.female_cadre_share
    retirement_age = np.where(
        female,
        np.where(cadre, RETIREMENT_AGES[1], RETIREMENT_AGES[2]),
        RETIREMENT_AGES[0],
    )
    past = age >= retirement_age
    pensioner = past & (rng.random(m) < np.asarray(s.pension_entitled)[ui])

    # work and wages
    z = rng.normal(0.0, np.asarray(s.household_sigma)[urban * 1], n)[hh]
    works = ~pensioner & (rng.random(m) < _work_probability(age, p_urban))
    wage_noise = rng.standard_normal(m)
    rho = s.coverage_wage_correlation
    latent = rho * wage_noise + np.sqrt(1.0 - rho * rho) * rng.standard_normal(m)
    eligible = works & ~past
    a = age.astype(np.float64)
    profile = 0.35 + np.exp(-(((a - 42.0) / 22.0) ** 2))  # peak at 35-50 (R)
    raw = np.zeros((5, m))
    w_idx = np.flatnonzero(works)
    raw[0, w_idx] = np.exp(z[w_idx] + s.wage_sigma * wage_noise[w_idx]) * profile[w_idx]
    if top_tail is not None:
        raw[0, w_idx] = pareto_tail(raw[0, w_idx], *top_tail)

    # business (some losses), property, employee pensions
    adult = (age >= 20) & (age < 75)
    b_idx = np.flatnonzero(adult & (rng.random(m) < np.asarray(s.business_share)[ui]))
    b = np.exp(1.2 * z[b_idx] + rng.normal(0.0, s.business_sigma, b_idx.shape[0]))
    loss = rng.random(b_idx.shape[0]) < s.loss_share
    raw[1, b_idx] = np.where(loss, -0.25 * b, b)
    has_property = np.flatnonzero(
        (age >= 18) & (rng.random(m) < np.asarray(s.property_share)[ui])
    )
    raw[2, has_property] = np.exp(
        1.5 * z[has_property] + rng.normal(0.0, s.property_sigma, has_property.shape[0])
    )
    p_idx = np.flatnonzero(pensioner)
    raw[3, p_idx] = np.exp(
        0.5 * z[p_idx] + rng.normal(0.0, s.pension_sigma, p_idx.shape[0])
    )

    # other transfers received (remittances, support from relatives, reimbursed
    # medical costs, subsidies): one amount per receiving household, booked on its
    # pensioner if it has one, else its youngest member aged 16-59, else its
    # youngest member
    earners = np.add.reduceat((works | pensioner).astype(np.int64), offsets[:-1])
    share = np.where(
        earners == 0, s.other_share_no_earner, np.asarray(s.other_share)[urban * 1]
    )
    receives = rng.random(n) < share
    amount = np.exp(rng.normal(0.0, s.other_sigma, n))
    score = 4.0 * pensioner + 2.0 * ((age >= 16) & (age < 60)) - age / 1000.0
    best = np.maximum.reduceat(score, offsets[:-1])
    hit = np.flatnonzero(score == best[hh])
    recipient = hit[np.r_[True, hh[hit][1:] != hh[hit][:-1]]]  # first maximiser
    recipient = recipient[receives[hh[recipient]]]
    raw[4, recipient] = amount[hh[recipient]]
    return Draws(
        city=city,
        urban=urban,
        size=size,
        offsets=offsets,
        hh=hh,
        age=age,
        pensioner=pensioner,
        eligible=eligible,
        latent=latent,
        raw=raw,
    )


def upper_threshold(values: np.ndarray, weight: np.ndarray, share: float) -> float:
    """Cut ``x`` such that ``values >= x`` holds the largest top weight <= the share.

    The entries with the largest values are taken while their weight stays within
    ``share × Σ weight``; returns the smallest value taken (``inf`` when none). A
    weighted histogram finds the bin of the cut, and only that bin is sorted.

    Examples
    --------
    >>> upper_threshold(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), 0.5)
    3.0
    """
    goal = share * float(weight.sum()) * (1.0 + 1e-12)
    if values.shape[0] == 0 or goal <= 0.0:
        return np.inf
    lo, hi = float(values.min()), float(values.max())
    n_bins = 1 << 14
    width = (hi - lo) / n_bins
    if width <= 0.0:
        return lo if float(weight.sum()) <= goal else np.inf
    b = np.minimum(((values - lo) / width).astype(np.int64), n_bins - 1)
    mass = np.bincount(b, weights=weight, minlength=n_bins)
    above = np.append(np.cumsum(mass[::-1])[::-1], 0.0)  # weight in bins >= k
    k = int(np.argmax(above <= goal))  # first bin wholly taken
    if k == 0:
        return lo
    inside = np.flatnonzero(b == k - 1)
    order = np.argsort(-values[inside], kind="stable")
    v = values[inside][order]
    cum = above[k] + np.cumsum(weight[inside][order])
    j = int(np.searchsorted(cum, goal, side="right"))
    if j > 0:
        return float(v[j - 1])
    rest = values[b >= k]
    return float(rest.min()) if rest.shape[0] else np.inf


def cover(d: Draws, weight: np.ndarray, share: tuple[float, float]) -> np.ndarray:
    """Which persons are covered employees (``employed``), given household weights.

    In each area the eligible persons with the highest ``latent`` are covered until
    their weighted share of the area's wage earners (persons with a wage) equals
    ``share`` (rural, urban).
    """
    pw = weight[d.hh]
    urban = d.person_urban
    covered = np.zeros(d.age.shape[0], dtype=bool)
    earner = d.wage > 0
    for u in (0, 1):
        area = urban == bool(u)
        pool = np.flatnonzero(area & d.eligible)
        earners = float(pw[area & earner].sum())
        eligible_mass = float(pw[pool].sum())
        if eligible_mass <= 0.0:
            continue
        fraction = min(1.0, share[u] * earners / eligible_mass)
        cut = upper_threshold(d.latent[pool], pw[pool], fraction)
        covered[pool[d.latent[pool] >= cut]] = True
    return covered


def pareto_tail(wage: np.ndarray, share: float, alpha: float) -> np.ndarray:
    """``wage`` (all > 0) with its top ``share`` of records moved onto a Pareto tail.

    The records keep their ranks. With ``N`` records and ``k = round(share * N)``
    (at least 1), the ``j``-th largest (``j = 1..k``) becomes
    ``w_k * (u_j / share) ** (-1 / alpha)`` with ``u_j = (j - 1/2) / N`` its
    survival share and ``w_k`` the largest wage left as drawn: above it the
    share of records beyond ``x`` is ``share * (x / w_k) ** -alpha``, the Pareto
    law of coefficient ``alpha``, joined to the body at ``w_k``.
    """
    n = wage.shape[0]
    if share * n < 0.5:
        # The one record the tail then holds would be put below w_k (its survival
        # share 1/(2N) above ``share``), lowering the top wage instead of raising
        # it: 491,417 yuan became 1.4e-142 at share=1e-300.
        raise PopulationError(
            f"top_tail['share'] = {share:g} of the {n:,} wage earners is "
            f"{share * n:.2g} records, under half of one, so the tail holds none: "
            f"give a share of at least {0.5 / max(n, 1):.3g}, or more households "
            "(n_households)"
        )
    k = min(max(round(share * n), 1), n - 1)
    order = np.argsort(wage, kind="stable")
    out = wage.copy()
    threshold = wage[order[n - k - 1]]
    j = np.arange(k, 0, -1)  # ranks from the top of order[n - k:]
    survival = (j - 0.5) / n
    out[order[n - k :]] = threshold * (survival / share) ** (-1.0 / alpha)
    return out
