"""Sampling uncertainty of the indicators: the household bootstrap.

A replicate redraws households (within strata, by primary sampling unit when the
population carries ``stratum``/``psu``) and re-weights them; the rules apply per
household, so each household's disposable income does not change across replicates,
only its weight. The per-capita income is sorted once and every replicate's Gini is
one pass over that order.
"""

from __future__ import annotations

import contextlib
import decimal
import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from commonprosperity._interrupt import interruptible
from commonprosperity._kernels import resample
from commonprosperity._kernels.buckets import income_order
from commonprosperity._kernels.inequality import gini_exact_from_order
from commonprosperity._sums import dot
from commonprosperity._validate import (
    describe_rows,
    finite_float,
    is_integer,
    masked_as_missing,
    one_of,
    quoted,
    seed_problem,
)
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentError, ArgumentTypeError
from commonprosperity.metrics._moments import native_order
from commonprosperity.metrics._validate import pow2_normalised
from commonprosperity.population import (
    Population,
    sealed,
    series_index_problem,
    set_sealed_state,
)
from commonprosperity.published import CITIES
from commonprosperity.scenario import Scenario
from commonprosperity.simulate import (
    BAND_EDGES,
    INDICATOR_NAMES,
    Result,
    _gini_weight_exponent,
    simulate,
)

__all__ = ["BootstrapResult", "bootstrap"]


# eq=False: the default compared the replicates with ==, an array, and raised
# NumPy's "truth value ... is ambiguous"; identity, as Result and Population.
@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """A bootstrap estimate: point value, standard error and percentile interval.

    Attributes
    ----------
    indicator : str
        The indicator's name (``"gini"``, ``"per_capita_disposable_income"`` ...).
    estimate : float
        Its value on the full sample, in the indicator's unit (yuan per year for
        incomes, a fraction for shares, a ratio, an index).
    std_error : float
        The replicates' standard deviation (``nan`` with fewer than two
        defined replicates).
    ci_lower, ci_upper : float
        The percentile interval at ``level`` over the defined replicates.
    level : float
        Its coverage, in (0, 1).
    replicates : ndarray of float64, shape (n,)
        The indicator in each replicate (``nan`` where undefined); read-only.
    band_basis : str or None
        For a band share, the basis its households were banded on
        (``"household"`` or ``"three_person"``, the result's
        :attr:`~commonprosperity.Result.band_basis`): the two differ by 10-20
        points. ``None`` for other indicators.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=1)
    >>> r = cp.simulate(pop, cp.Scenario.status_quo(2021))
    >>> b = cp.bootstrap(r, "band_share_100k_500k", n=50, seed=3)
    >>> b.indicator, b.level, b.band_basis, b.replicates.shape
    ('band_share_100k_500k', 0.95, 'household', (50,))
    >>> bool(b.estimate == r.indicators["band_share_100k_500k"])
    True
    >>> f"{b.estimate:.1%} (95 % CI {b.ci_lower:.1%} to {b.ci_upper:.1%})"
    '42.2% (95 % CI 40.4% to 44.7%)'
    """

    indicator: str
    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    level: float
    replicates: np.ndarray
    band_basis: str | None = None

    def __setstate__(self, state: dict[str, object]) -> None:
        # Pickle and deepcopy hand back writeable replicates, which could then be
        # edited away from the standard error and interval: sealed again.
        set_sealed_state(self, state)

    def __repr__(self) -> str:
        return (
            f"BootstrapResult({self.indicator}={self.estimate:.6g}, "
            f"se={self.std_error:.3g}, "
            # The level as given: ".0%" showed 0.995 as a "100% CI".
            f"{100 * self.level:.6g}% CI [{self.ci_lower:.6g}, {self.ci_upper:.6g}], "
            f"n={self.replicates.size}"
            + (f", band basis {self.band_basis})" if self.band_basis else ")")
        )


def _ndim(values: Any) -> int:
    """``np.ndim``; 1 for a ragged sequence (of which NumPy raised ValueError)."""
    try:
        return int(np.ndim(values))
    except ValueError:
        return 1


def _infinite(label: object) -> bool:
    """Whether a design label is an infinite number (of any numeric type)."""
    if isinstance(label, decimal.Decimal):
        return label.is_infinite()
    return (
        isinstance(label, numbers.Real)
        and not isinstance(label, bool | np.bool_)
        and math.isinf(float(label))
    )


#: Draws per stratum from which a replicate draws stratum by stratum
#: (:meth:`_Design.draws`): a NumPy call costs about 2 us, and a draw with a scalar
#: bound about 13 ns less than with an array of bounds.
_DRAWS_PER_CALL = 256
#: Indicators of the urban or the rural households alone (or both).
_BY_AREA = frozenset(
    {
        "urban_per_capita_disposable_income",
        "rural_per_capita_disposable_income",
        "urban_rural_ratio",
    }
)


def _sorted_codes(name: str, values: Any, column: np.ndarray) -> np.ndarray:
    """Codes 0..k-1 of ``values`` in the sorted order of the distinct values.

    ``column``: the user's column behind ``values``, for the error message.
    """
    # pandas orders some mixtures ("a" and 1) without an error; a design of
    # mixed labels is a mistake in the data, not a coding to guess. Only an
    # object column can mix kinds.
    found = {_kind(v) for v in column.ravel()} if column.dtype == object else set()
    # Lists, dicts and arrays (a ragged list of lists) are no labels; tuples
    # are (composite strata such as (region, urban)).
    mixed = len(found) > 1 or bool(found & {"list", "dict", "set", "ndarray"})
    if not mixed:
        with contextlib.suppress(TypeError):  # unorderable kinds: refused below
            return cast("np.ndarray", pd.factorize(values, sort=True)[0])
    kinds = sorted({type(v).__name__ for v in column.ravel()})
    raise ArgumentError(
        f"bootstrap: {name} must hold values of one kind that can be ordered "
        f"(all numbers or all text); got {', '.join(kinds)}"
    )


def _kind(value: Any) -> str:
    """'number' or 'text' for a design label, else its type's name."""
    if isinstance(value, str | np.str_):
        return "text"
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return "number"
    return type(value).__name__


@dataclass(frozen=True)
class _Design:
    """The PSUs of each stratum, and how a replicate draws them.

    ``clusters`` lists the PSUs stratum by stratum (each in the order of its
    code); a replicate draws ``draws[s]`` of the ``sizes[s]`` PSUs of
    stratum ``s`` with replacement and multiplies a PSU's count by ``scale``.
    """

    cluster_index: np.ndarray  # PSU of each household
    clusters: np.ndarray
    first: np.ndarray  # position in ``clusters`` of each draw's stratum's first PSU
    size: np.ndarray  # PSUs in each draw's stratum
    scale: np.ndarray  # per PSU
    certain: np.ndarray  # PSUs alone in their stratum: multiplier 1
    n_strata: int
    n_singletons: int
    #: ``(bound, count)`` of each stratum's draws, in stratum order, when the
    #: strata have many draws each (None: few).
    runs: tuple[tuple[int, int], ...] | None = None
    #: ``clusters`` is ``arange``: the PSUs are numbered in stratum order.
    in_order: bool = False

    @classmethod
    def of(
        cls, cluster: np.ndarray, cluster_stratum: np.ndarray, rescaled: bool
    ) -> _Design:
        clusters = np.argsort(cluster_stratum, kind="stable")
        sizes = np.bincount(cluster_stratum)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        # n_h - 1 draws rescaled by n_h / (n_h - 1) (Rao-Wu), or n_h (naive); none
        # in a stratum of one PSU.
        draws = np.where(sizes > 1, sizes - 1 if rescaled else sizes, 0)
        per_stratum = np.where(draws > 0, sizes / np.maximum(draws, 1), 1.0)
        return cls(
            cluster_index=cluster,
            clusters=clusters,
            first=np.repeat(starts, draws),
            size=np.repeat(sizes, draws),
            scale=per_stratum[cluster_stratum],
            certain=(sizes == 1)[cluster_stratum],
            n_strata=sizes.size,
            n_singletons=int((sizes == 1).sum()),
            runs=(
                tuple((int(b), int(c)) for b, c in zip(sizes, draws, strict=True) if c)
                if sizes.size == 1 or sizes.size * _DRAWS_PER_CALL <= draws.sum()
                else None
            ),
            in_order=bool((clusters == np.arange(clusters.size)).all()),
        )

    def draws(self, rng: np.random.Generator) -> np.ndarray:
        """The draws of one replicate: ``rng.integers(0, size)``, in stratum order.

        With many draws per stratum, one call per stratum with its scalar bound:
        NumPy then gives the same numbers and leaves the generator in the same
        state as the call with an array of bounds
        (tests/unit/test_bootstrap_draws.py), three times as fast (6 against 19
        ms for 1e6 draws).
        """
        if self.runs is None:
            return rng.integers(0, self.size)
        if len(self.runs) == 1:
            bound, count = self.runs[0]
            return rng.integers(0, bound, size=count)
        return np.concatenate(
            [rng.integers(0, bound, size=count) for bound, count in self.runs]
            or [np.zeros(0, dtype=np.int64)]
        )

    def psu_multipliers(self, rng: np.random.Generator) -> np.ndarray:
        """Each PSU's weight multiplier in one replicate."""
        return cast(
            "np.ndarray",
            resample.psu_multipliers(
                self.draws(rng),
                self.clusters,
                self.first,
                self.scale,
                self.certain,
                self.in_order,
            ),
        )


def _indicator_function(
    result: Result, indicator: str, cluster: np.ndarray
) -> Callable[[np.ndarray], float]:
    """The indicator as a function of the PSUs' weight multipliers of a replicate.

    ``cluster``: each household's PSU (an index into the multipliers).
    """
    pop = result.population
    hh = result.households
    disp = hh["disposable_income"].to_numpy()
    size = pop.size.astype(np.float64)
    pc = disp / size
    urban = pop.urban
    # 3 x income / persons, as simulate rounds it: 3 x (income / persons) put a
    # household on a band edge (166,666.67 yuan, 5 persons) outside the band.
    band_income = 3.0 * disp / size if result.band_basis == "three_person" else disp
    band1 = (band_income >= BAND_EDGES[0]) & (band_income < BAND_EDGES[1])
    band2 = (band_income >= BAND_EDGES[2]) & (band_income < BAND_EDGES[3])
    iit = (hh["iit"] + hh["business_tax"] + hh["property_tax"]).to_numpy()
    contributions = hh["contributions"].to_numpy()
    transfers = (
        hh["dibao"] + hh["residents_pension"] + hh["child_allowance"]
    ).to_numpy()
    # Every indicator reads the households in id order (ties and sums alike).
    by_id = np.argsort(pop.household_id, kind="stable")
    if indicator == "gini":
        # The rows in income order: sorted once, and everything a replicate reads
        # put in that order once, so that a replicate's person weights are one
        # sequential pass (and a gather of its PSUs' multipliers), then the Gini
        # another: a replicate took 30-45 ms at 1e6 households, against 58-84 ms
        # with NumPy's multipliers and a gather of the weights. As simulate:
        # undefined unless the per-capita income is positive (else the formula
        # divides by a non-positive mean and gave negative "Ginis").
        # Ties in household-id order (a stable sort of the rows in id order):
        # in row order, shuffled households summed tied incomes' weights in
        # another order and moved the replicates by an ulp.
        order = by_id[income_order(pc[by_id], stable=True)]
        pc_sorted = pc[order]
        # Scaled by a power of two as simulate's Gini weights (exact; the Gini
        # does not depend on the weights' scale): tiny weights underflowed.
        weight_sorted = np.ldexp(pop.weight[order], -_gini_weight_exponent(pop))
        cluster_sorted = np.ascontiguousarray(cluster[order], dtype=np.int64)
        size_sorted = size[order]
        disp_sorted = disp[order]
        in_order = np.arange(pc.shape[0])

        def gini(multiplier: np.ndarray) -> float:
            w, total = resample.sorted_replicate_weights(
                weight_sorted, cluster_sorted, size_sorted, disp_sorted, multiplier
            )
            return (
                gini_exact_from_order(pc_sorted, w, in_order) if total > 0 else np.nan
            )

        return gini

    # The sums take the households in id order, so that a replicate's value
    # does not depend on the order of the rows (in row order shuffled rows moved
    # the band shares and the urban/rural ratio by an ulp).
    disp, size, urban, band1, band2, iit, contributions, transfers = (
        cast("np.ndarray", a[by_id])
        for a in (disp, size, urban, band1, band2, iit, contributions, transfers)
    )
    city = pop.city_code[by_id]
    cluster = cluster[by_id]

    def per_capita(w: np.ndarray) -> float:
        return float(dot(w, disp) / dot(w, size))

    # As simulate's indicators: undefined (nan) unless both incomes are > 0 (a
    # ratio <= 0 is no income gap).
    def ratio(top: float, bottom: float) -> float:
        return top / bottom if bottom > 0 and top > 0 else np.nan

    weight = pop.weight[by_id]
    if indicator in _BY_AREA or indicator == "city_max_min_ratio":
        # Each group's households in one slice, in id order within it, so that a
        # replicate's sums are the masks' bit for bit: masks gathered three
        # arrays a group every replicate (the city ratio took 15 ms a replicate
        # at 1e5 households, 18 times grouped sums).
        by_city = indicator == "city_max_min_ratio"
        codes = city if by_city else (~urban).view(np.int8)
        order = np.argsort(codes, kind="stable")
        disp, size, weight, cluster = (a[order] for a in (disp, size, weight, cluster))
        n_groups = len(CITIES) if by_city else 2
        edges = np.searchsorted(codes[order], np.arange(n_groups + 1))
        # Urban households first (code 0), rural second; the cities of the
        # sample: a replicate that draws none of a city's households has no
        # value for it, and its ratio over the other cities (the lowest city
        # left out) is another indicator: undefined, as the urban/rural ratio
        # of a draw without rural households.
        groups = [(int(a), int(b)) for a, b in itertools.pairwise(edges)]

        def per_capita_of(w: np.ndarray, group: tuple[int, int]) -> float:
            a, b = group
            den = dot(w[a:b], size[a:b])
            return float(dot(w[a:b], disp[a:b]) / den) if den > 0 else np.nan

        def city_ratio(w: np.ndarray) -> float:
            values = [per_capita_of(w, g) for g in groups if g[1] > g[0]]
            if len(values) < 2 or any(np.isnan(v) for v in values):
                return np.nan
            return ratio(max(values), min(values))

        by_group: Callable[[np.ndarray], float] = {
            "urban_per_capita_disposable_income": lambda w: per_capita_of(w, groups[0]),
            "rural_per_capita_disposable_income": lambda w: per_capita_of(w, groups[1]),
            "urban_rural_ratio": lambda w: ratio(
                per_capita_of(w, groups[0]), per_capita_of(w, groups[1])
            ),
            "city_max_min_ratio": city_ratio,
        }[indicator]
        return lambda multiplier: by_group(weight * multiplier[cluster])

    of_weights: Callable[[np.ndarray], float] = {
        "per_capita_disposable_income": lambda w: per_capita(w),
        "band_share_100k_500k": lambda w: float(w[band1].sum() / w.sum()),
        "band_share_200k_600k": lambda w: float(w[band2].sum() / w.sum()),
        "urbanization_rate": lambda w: float(dot(w[urban], size[urban]) / dot(w, size)),
        "iit_revenue": lambda w: float(dot(w, iit)),
        "social_insurance_contributions": lambda w: float(dot(w, contributions)),
        "transfer_spending": lambda w: float(dot(w, transfers)),
    }[indicator]
    # NumPy's indexing, not the parallel gather: a parallel kernel between BLAS
    # calls (the dot products) left each pool's threads spinning against the
    # other's (8.8 against 0.3 ms a replicate at 1e5 households).
    return lambda multiplier: of_weights(weight * multiplier[cluster])


@interruptible
def bootstrap(
    result_or_population: Result | Population,
    indicator: str,
    n: int = 200,
    seed: int = 0,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    *,
    scenario: Scenario | None = None,
    level: float = 0.95,
    method: str = "rescaled",
) -> BootstrapResult:
    """Bootstrap standard error and percentile interval of one indicator.

    Parameters
    ----------
    result_or_population : Result or Population
        A simulated result, or a population to simulate under ``scenario``.
    indicator : str
        One of the contract indicator names (e.g. ``"gini"``).
    n : int, default 200
        Replicates (10–100,000).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; same seed, same replicates, in
        any order of the rows (strata and PSUs are drawn in the order of their
        codes, households that are their own PSU in the order of their ids).
    strata, psu : ndarray of int, shape (n_households,), optional
        Survey design, a value for every household; default: the population's own
        ``stratum``/``psu`` if it has them, else every household is its own PSU in
        one stratum. PSU labels are nested in strata: PSU 0 of stratum 1 and PSU 0
        of stratum 2 are two PSUs (R's ``svydesign(..., nest=TRUE)``).
    scenario : Scenario, optional
        Needed when a Population is passed; with a Result, only its own scenario
        is accepted.
    level : float, default 0.95
        Coverage of the percentile interval, in (0, 1).
    method : {"rescaled", "naive"}
        ``"rescaled"`` (default): Rao and Wu's rescaling bootstrap, drawing
        ``n_h - 1`` PSUs in a stratum of ``n_h``; ``"naive"``: Efron's, drawing
        ``n_h``, whose variance is ``(n_h - 1) / n_h`` of the design's (half of it
        with two PSUs per stratum).

    Returns
    -------
    BootstrapResult
        The standard error and interval come from the replicates where the
        indicator is defined; all replicates are in ``replicates`` (``nan`` where
        it is not).

    Raises
    ------
    CommonProsperityError
        For an unknown indicator; ``n``, ``seed`` or ``level`` out of range; a
        Population without ``scenario``, or a Result with another ``scenario``;
        ``strata`` or ``psu`` of the wrong length or with missing values.

    Warns
    -----
    UserWarning
        When the indicator is undefined in some replicates (e.g. the urban/rural
        ratio of a draw without rural households), with their number: the
        interval is then conditional on the indicator being defined. When
        ``n * (1 - level) / 2 < 1``: fewer than one replicate is expected beyond
        each end, and the interval is about the replicates' range.

    Notes
    -----
    PSUs are drawn with replacement within each stratum, independently across
    strata. In the rescaling bootstrap (Rao, J. N. K. and C. F. J. Wu, 1988,
    "Resampling inference with complex survey data", *Journal of the American
    Statistical Association* 83(401): 231–241, with ``m_h = n_h - 1``; the
    default of R survey's ``subbootstrap`` and Stata's ``bsweights``) a
    household's replicate weight is its design weight times ``n_h / (n_h - 1)``
    times the number of times its PSU was drawn, so that the replicates'
    variance of an estimated total equals the with-replacement design variance
    ``sum_h n_h / (n_h - 1) sum_i (z_hi - z_h)^2`` of PSU totals ``z_hi``. A
    stratum with one PSU adds no variance (a certainty unit, with a warning).
    Rules are household-level, so only weights change across replicates:
    per-capita incomes are sorted once. Replicate weights are not calibrated
    again: an indicator that calibration fixes (the baseline's per-capita income,
    a projected year's urbanisation) still shows a standard error, that of the
    records before calibration.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=1)
    >>> r = cp.simulate(pop, cp.Scenario.status_quo(2021))
    >>> b = bootstrap(r, "gini", n=50, seed=3)
    >>> bool(b.ci_lower < r.indicators["gini"] < b.ci_upper)
    True
    """
    if isinstance(result_or_population, Population):
        if scenario is None:
            raise ArgumentError("bootstrap of a Population needs scenario=")
        result = simulate(result_or_population, scenario)
    elif isinstance(result_or_population, Result):
        result = result_or_population
        if scenario is not None and not isinstance(scenario, Scenario):
            raise ArgumentTypeError(
                f"bootstrap: scenario must be a Scenario; got {type(scenario).__name__}"
            )
        if scenario is not None and scenario != result.scenario:
            # It was ignored: the replicates are of the Result's own scenario.
            raise ArgumentError(
                "bootstrap: scenario= is used only with a Population; this Result "
                f"was simulated under its own scenario (year {result.scenario.year})"
                ", which differs from the one given: simulate the population under "
                "it, or pass the Population with scenario="
            )
    else:
        raise ArgumentError(
            "bootstrap needs a Result or a Population; got "
            + type(result_or_population).__name__
        )
    if not one_of(indicator, INDICATOR_NAMES):
        raise ArgumentError(
            f"bootstrap: unknown indicator {quoted(indicator)}; "
            f"allowed: {list(INDICATOR_NAMES)}"
        )
    if not is_integer(n) or not 10 <= n <= 100_000:
        raise ArgumentError(
            f"bootstrap: n must be an integer in 10–100,000; got {quoted(n)}"
        )
    # ``problem`` later holds a Series' index problem; ``given``, strata and psu.
    problem: str | list[str] | None
    if (problem := seed_problem(seed)) is not None:
        raise ArgumentError(f"bootstrap: {problem}")
    given: float | np.ndarray | None = level
    # Held as a float: a Fraction formatted with "%" raised in the result's repr.
    level = finite_float(given)  # type: ignore[assignment]  # None refused below
    if level is None or not 0 < level < 1:
        raise ArgumentError(
            f"bootstrap: level must be a number in (0, 1); got {quoted(given)}"
        )
    if not one_of(method, ("rescaled", "naive")):
        raise ArgumentError(
            f"bootstrap: method must be 'rescaled' or 'naive'; got {quoted(method)}"
        )
    pop = result.population
    nh = pop.n_households
    for name, given in (("strata", strata), ("psu", psu)):
        if isinstance(given, str | bytes) or (given is not None and _ndim(given) == 0):
            # np.asarray("region") or np.asarray(True) is a 0-d array: "got
            # shape ()" named nothing.
            what = "a column name" if isinstance(given, str | bytes) else "one value"
            raise ArgumentError(
                f"bootstrap: {name} must be an array of one value per household "
                f"({nh}), not {what}; got {quoted(given)} (the population's own "
                f"design is used when {name} is None)"
            )
    for name, given in (("strata", strata), ("psu", psu)):
        if isinstance(given, pd.Series) and (
            problem := series_index_problem(name, given, pop.household_id)
        ):
            raise ArgumentError(f"bootstrap: {problem[0]}")
    strata = (
        pop.stratum
        if strata is None
        else native_order(masked_as_missing(strata, ragged=True))
    )
    psu = pop.psu if psu is None else native_order(masked_as_missing(psu, ragged=True))
    for name, arr in (("strata", strata), ("psu", psu)):
        if arr is not None and arr.shape != (nh,):
            raise ArgumentError(
                f"bootstrap: {name} must have one value per household ({nh}); "
                "got shape "
                f"{arr.shape}"
            )
        # factorize would silently make missing strata a stratum of their own and
        # pool every household with a missing PSU into one PSU.
        missing = None if arr is None else pd.isna(arr)
        if missing is not None and missing.any():
            raise ArgumentError(
                f"bootstrap: {name} must have a value for every household; missing "
                f"at {describe_rows(missing)}"
            )
        # An infinite label is a computation gone wrong, as NaN is missing data;
        # it became a design unit of its own.
        infinite = None
        if arr is not None and arr.dtype.kind == "f":
            infinite = np.isinf(arr)
        elif arr is not None and arr.dtype.kind == "O":
            infinite = np.array([_infinite(v) for v in arr], dtype=bool)
        if infinite is not None and infinite.any():
            raise ArgumentError(
                f"bootstrap: {name} labels must be finite; infinite at "
                f"{describe_rows(infinite)}"
            )
    # Strata and PSUs numbered in the order of their codes, households alone in
    # the order of their ids: the replicates draw the same PSUs whatever the
    # order of the rows (numbered by first appearance, shuffled rows gave
    # another standard error for the same seed).
    strata_codes = (
        np.zeros(nh, dtype=np.int64)
        if strata is None
        else _sorted_codes("strata", strata, strata)
    )
    if psu is None:
        cluster = _sorted_codes("household_id", pop.household_id, pop.household_id)
    else:
        # PSUs within strata, in the order of (stratum, psu) pairs: the pairs
        # as one integer, which orders as the pairs do. Factorizing the pairs as
        # a MultiIndex sorted Python tuples (4.6 s at 1e6 households).
        psu_codes = _sorted_codes("psu", psu, psu)
        pairs = strata_codes * (int(psu_codes.max()) + 1) + psu_codes
        cluster = np.unique(pairs, return_inverse=True)[1].reshape(-1)
    cluster_stratum = np.zeros(cluster.max() + 1, dtype=np.int64)
    cluster_stratum[cluster] = strata_codes
    design = _Design.of(cluster, cluster_stratum, method == "rescaled")
    if design.n_singletons:
        # Redrawing the only PSU of a stratum reproduces it: the stratum adds no
        # variance (Stata's singleunit(certainty)); say so rather than understate
        # the error silently.
        warn_user(
            f"bootstrap: {design.n_singletons} of {design.n_strata} strata have a "
            "single PSU; they add no variance to the replicates (treated as "
            "certainty units), so the standard error may be understated"
        )
    f = _indicator_function(result, indicator, cluster)
    rng = np.random.default_rng(seed)
    reps = np.empty(n)
    for i in range(n):
        reps[i] = f(design.psu_multipliers(rng))
    reps = sealed(reps)  # the result's, read-only
    alpha = (1.0 - level) / 2.0
    estimate = float(result.indicators[indicator])
    basis = result.band_basis if indicator.startswith("band_share") else None
    if not np.isfinite(estimate):
        # The replicates that are defined measure something the sample does
        # not (a city ratio without the city whose income is not positive):
        # no standard error or interval of an undefined estimate.
        reason = result.undefined.get(indicator, "")
        warn_user(
            f"bootstrap: {indicator} is undefined in the sample"
            + (f" ({reason})" if reason else "")
            + "; no standard error or interval"
        )
        return BootstrapResult(
            indicator=indicator,
            estimate=estimate,
            std_error=np.nan,
            ci_lower=np.nan,
            ci_upper=np.nan,
            level=level,
            replicates=reps,
            band_basis=basis,
        )
    finite = reps[np.isfinite(reps)]
    if finite.size < n:
        warn_user(
            f"bootstrap: {indicator} is undefined in {n - finite.size} of {n} "
            "replicates (a draw without the households it needs, or with a "
            "per-capita income that is not positive); the standard "
            "error and interval use the other "
            f"{finite.size}"
        )
    if finite.size and finite.size * (1.0 - level) / 2.0 < 1.0 - 1e-9:
        # Fewer than one replicate is expected beyond each end: the interval is
        # the replicates' range, whatever level it is labelled with. Counted
        # over the replicates it is taken from, the defined ones.
        warn_user(
            f"bootstrap: a {100 * level:.6g} % percentile interval from "
            f"{finite.size} replicates has fewer than one replicate beyond each "
            "end, so it is about their range, not an interval at that level; "
            f"use n >= {math.ceil(2.0 / (1.0 - level) - 1e-9):,} defined "
            "replicates (more for a stable interval)"
        )
    lo, hi = (
        np.quantile(finite, [alpha, 1.0 - alpha]) if finite.size else (np.nan, np.nan)
    )
    return BootstrapResult(
        indicator=indicator,
        estimate=estimate,
        std_error=_spread(finite) if finite.size > 1 else np.nan,
        ci_lower=float(lo),
        ci_upper=float(hi),
        level=level,
        replicates=reps,
        band_basis=basis,
    )


def _spread(values: np.ndarray) -> float:
    """Sample standard deviation, taken on values scaled by a power of two.

    Replicates of totals of a population weighted 1e-170 are about 1e-166: their
    squared deviations underflowed to 0, and the standard error read 0.0 beside
    a wide interval. The scaling is exact. Taken about the first replicate
    (the deviation is shift-invariant): identical replicates (every stratum a
    single PSU) gave 5.9e-17 for a Gini, their mean rounded off their value.
    """
    scaled, exponent = pow2_normalised(values)
    # Differences of values within a factor 2 of each other are exact
    # (Sterbenz); those further apart round once, as np.std's own would.
    centred = scaled - scaled[0] if scaled.shape[0] else scaled
    return float(np.ldexp(np.std(centred, ddof=1), exponent))
