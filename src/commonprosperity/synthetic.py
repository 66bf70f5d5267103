"""A seeded synthetic population for examples, tests and benchmarks.

The population is *uncalibrated*: its shapes are plausible for Zhejiang and it
exercises every rule of the model, but its levels are not fitted to published
statistics (that is :func:`commonprosperity.baseline`). City sizes and urban shares
follow the 2020 census; city income levels follow the official Q1–Q3 2020 table.
"""

from __future__ import annotations

import numpy as np

from commonprosperity._interrupt import interruptible
from commonprosperity._validate import is_integer, quoted, seed_problem
from commonprosperity.errors import PopulationError
from commonprosperity.population import Population
from commonprosperity.published import CITIES

__all__ = ["synthetic_population"]

# 2020 census (7th), resident and urban population by city, in CITIES order.
# Source: city census bulletins as digitised in leiii/census
# (census_city_2010-2020_v1.csv); shared/zhejiang-statistics.md Part 2 §4a, grade B.
_CENSUS_POPULATION = np.array(
    [
        11_936_010,
        9_404_283,
        9_572_903,
        5_400_868,
        3_367_579,
        5_270_977,
        7_050_683,
        2_276_184,
        1_157_817,
        6_622_888,
        2_507_396,
    ],
    dtype=np.float64,
)
_CENSUS_URBAN = np.array(
    [
        9_942_081,
        7_335_604,
        6_907_989,
        3_852_932,
        2_210_571,
        3_743_366,
        4_808_140,
        1_310_498,
        832_390,
        4_104_712,
        1_550_182,
    ],
    dtype=np.float64,
)
# City per-capita disposable income relative to the province, Q1–Q3 2020.
# Source: 丽水市统计局 monthly brief 2020-11, sheet 030 "全省各市城乡居民人均可支配收入
# 2020年1-3季度"; shared/zhejiang-statistics.md §2a, grade A (province 40,121).
_CITY_INCOME = (
    np.array(
        [
            48_735,
            46_519,
            41_412,
            42_230,
            39_102,
            44_687,
            38_828,
            28_978,
            42_264,
            39_089,
            28_778,
        ],
        dtype=np.float64,
    )
    / 40_121.0
)
#: Shares of households of 1-6 persons: an assumption (R), no size distribution
#: being in the shared statistics; its mean, 2.63 persons, is near the 2010 census's
#: average family household in Zhejiang, 2.62 (浙江日报, 2011-05-09; the 2020
#: figure was not found). The calibrated default population is ``baseline``'s.
_SIZE_SHARES = np.array([0.22, 0.30, 0.24, 0.14, 0.07, 0.03])
#: Family households in 2020 (C): 64.57 m residents (7th census, 2020) less an
#: assumed 8-12 % in collective households, over 2.33-2.38 persons a family
#: household, gives about 24-25.5 m (the shared statistics file, §4b).
ZHEJIANG_HOUSEHOLDS = 25_000_000.0


@interruptible
def synthetic_population(n_households: int, seed: int = 0) -> Population:
    """Generate a seeded synthetic population of Zhejiang-like households.

    Parameters
    ----------
    n_households : int
        Number of household records (1 to 50,000,000).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same arguments give the same
        population, bit for bit.

    Returns
    -------
    Population
        Urban and rural households of 1–6 persons in the 11 cities with ages,
        employment and gross incomes (yuan per year). Weights sum to about 25
        million households. It contains households below the dibao line, negative
        business incomes, children under 3 and persons over 60 without a pension,
        so every rule of the model is exercised.

    Raises
    ------
    PopulationError
        If ``n_households`` or ``seed`` is not an integer in range.

    Examples
    --------
    >>> pop = synthetic_population(1_000, seed=42)
    >>> pop.n_households
    1000
    >>> bool((pop.business < 0).any())
    True
    """
    if not is_integer(n_households):
        raise PopulationError(
            f"n_households must be an integer; got {quoted(n_households)}"
        )
    if not 1 <= n_households <= 50_000_000:
        raise PopulationError(
            f"n_households must be in 1–50,000,000; got {quoted(n_households)}"
        )
    if (problem := seed_problem(seed)) is not None:
        raise PopulationError(problem)
    rng = np.random.default_rng(seed)
    n = int(n_households)

    city = rng.choice(
        len(CITIES), size=n, p=_CENSUS_POPULATION / _CENSUS_POPULATION.sum()
    )
    urban = rng.random(n) < (_CENSUS_URBAN / _CENSUS_POPULATION)[city]
    size = rng.choice(np.arange(1, 7), size=n, p=_SIZE_SHARES)
    m = int(size.sum())
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    hh = np.repeat(np.arange(n), size)
    position = np.arange(m) - offsets[hh]

    head_age = rng.integers(22, 86, size=n)
    age = np.empty(m, dtype=np.int64)
    head = position == 0
    age[head] = head_age
    spouse = position == 1
    age[spouse] = np.clip(
        head_age[hh[spouse]] + rng.integers(-5, 6, spouse.sum()), 18, 100
    )
    other = position >= 2
    n_other = int(other.sum())
    is_child = rng.random(n_other) < 0.8
    child_max = np.clip(head_age[hh[other]] - 20, 1, 30)
    child_age = np.floor(rng.random(n_other) * child_max).astype(np.int64)
    elder_age = rng.integers(60, 96, size=n_other)
    age[other] = np.where(is_child, child_age, elder_age)

    p_urban = urban[hh]
    level = _CITY_INCOME[city][hh]
    p_employed = np.select(
        [age < 16, age < 18, age < 60, age < 65],
        [0.0, 0.05, np.where(p_urban, 0.82, 0.76), 0.30],
        default=0.08,
    )
    employed = rng.random(m) < p_employed

    wage = np.zeros(m)
    wage_median = np.where(p_urban, 60_000.0, 38_000.0) * level
    wage[employed] = (wage_median * rng.lognormal(0.0, 0.65, m))[employed]
    casual = ~employed & (age >= 16) & (age <= 70) & (rng.random(m) < 0.05)
    wage[casual] = (12_000.0 * rng.lognormal(0.0, 0.5, m))[casual]

    adult = (age >= 18) & (age <= 75)
    business = np.zeros(m)
    has_business = adult & (rng.random(m) < np.where(p_urban, 0.10, 0.25))
    loss = rng.random(m) < 0.12
    gain = 30_000.0 * level * rng.lognormal(0.0, 1.0, m)
    business[has_business] = np.where(
        loss, -8_000.0 * rng.lognormal(0.0, 0.8, m), gain
    )[has_business]

    prop = np.zeros(m)
    has_property = (age >= 18) & (rng.random(m) < np.where(p_urban, 0.7, 0.4))
    prop[has_property] = (
        np.where(p_urban, 6_000.0, 1_500.0) * level * rng.lognormal(0.0, 1.2, m)
    )[has_property]

    pension = np.zeros(m)
    p_pension = np.where(employed, 0.2, np.where(p_urban, 0.65, 0.30))
    has_pension = (age >= 60) & (rng.random(m) < p_pension)
    pension[has_pension] = (
        np.where(p_urban, 42_000.0, 20_000.0) * rng.lognormal(0.0, 0.4, m)
    )[has_pension]

    weight = ZHEJIANG_HOUSEHOLDS / n * rng.uniform(0.5, 1.5, n)
    household_id = np.arange(1, n + 1, dtype=np.int64)
    return Population.from_arrays(
        {
            "household_id": household_id,
            "weight": weight,
            "urban": urban,
            "city": np.asarray(CITIES, dtype=object)[city],
        },
        {
            "household_id": household_id[hh],
            "age": age,
            "employed": employed,
            "wage": wage,
            "business": business,
            "property": prop,
            "pension": pension,
        },
        source=f"synthetic_population(n_households={n}, seed={seed})",
    )
