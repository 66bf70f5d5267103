"""Warnings for a population whose numbers look like a unit or coding slip.

Private helper of :meth:`commonprosperity.population.Population.from_arrays`,
which every reader goes through. Each check is a sign no Zhejiang survey gives,
judged on at least :data:`MIN_RECORDS` records (a hand-made household says
nothing), and each warning, an
:class:`~commonprosperity.errors.ImplausibleDataWarning`, names the likely slip,
its fix and how to silence it: a warning, not an error, since a study of an
unusual group can be right to hold such numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from commonprosperity._sums import weighted_median, weighted_quantile
from commonprosperity._warn import warn_user
from commonprosperity.errors import ImplausibleDataWarning

if TYPE_CHECKING:
    from commonprosperity.population import Population

#: Records below which a check says nothing.
MIN_RECORDS = 30
#: Urban over rural income per person below which the urban flag looks coded
#: backwards: flipped, Zhejiang's ratio of about 1.9 reads about 0.53, while
#: inside an income band (a decile of a study) urban and rural are near equal
#: (0.989 to 1.023 on the baseline's deciles, which warned at any ratio under 1).
BACKWARDS_URBAN_SIGN = 0.8
#: Yuan a year: wages whose tenth percentile is above it too are fen (fen push
#: the lowest earners into the millions; a study of top earners still holds
#: their spouses' ordinary wages).
FEN_LOW_SIGN = 300_000.0
#: Yuan a year: 1,000 a month, 60 % of the lowest minimum-wage tier shipped
#: (1,660 a month, Zhejiang tier 3 from Dec 2017; data/policy.toml). A median
#: wage below it is a monthly column read as annual, not a labour market.
MONTHLY_WAGE_SIGN = 12_000.0
#: The first year whose lowest minimum wage the monthly sign is under (tier 3
#: of Dec 2017); data of earlier years are not judged by it.
MONTHLY_SIGN_FROM = 2018
#: Yuan a year: a median wage below it is 万元 or thousands of yuan (a monthly
#: wage of Zhejiang is in the thousands).
TEN_THOUSANDS_SIGN = 500.0
#: Yuan a year: a median wage above it is fen (the calibrated baseline's median
#: wage is 55,745 yuan in 2021 and 66,359 in 2024, 20,000 households, seed 0; a
#: median earner at a million is a unit).
FEN_SIGN = 1_000_000.0
#: Share of wage earners under 16 above which ages look like codes.
YOUNG_EARNERS_SIGN = 0.1
#: Mean weight below which weights look like probabilities or normalised to 1
#: (weights normalised to a mean of 1 average 0.9999999999999999).
MEAN_WEIGHT_SIGN = 0.5
#: After 2025 the fen sign grows this much a year: a generous wage growth (the
#: projection's default is 4.35 %), still a hundredth of fen until about 2070.
FEN_SIGN_GROWTH = 0.10
#: Residents over the province's published total above which weights look like
#: person weights (weight × size) or a sum over several years.
RESIDENTS_SIGN = 1.5
#: Yuan a year: a median pension of urban persons aged 60 or over below it is
#: monthly (1,000 a month; the calibrated baseline's is 45,354 yuan in 2021 and
#: 54,963 in 2024, 20,000 households, seed 0, and even its rural one is 26,181).
MONTHLY_PENSION_SIGN = 12_000.0
#: The first year judged by it (urban pensions were under 1,000 a month in the
#: early 2000s).
MONTHLY_PENSION_FROM = 2010
#: The ninetieth percentile must be under the sign too: a monthly slip divides
#: every pension by 12, the highest too, while a study of the poor holds a tail
#: of ordinary pensions (the bottom 5 % of the baseline: a median of 8,331 yuan,
#: a tail from 20,564).
MONTHLY_PENSION_QUANTILE = 0.9
#: Business incomes that are survey codes, not losses: CFPS's -1 不知道, -2 拒绝
#: 回答, -8 不适用, -9 缺失 (and -3, -7, -10), and the -99 ... of other surveys.
SPECIAL_CODES = (-1.0, -2.0, -3.0, -7.0, -8.0, -9.0, -10.0, -99.0, -999.0, -9999.0)
#: Records holding such codes from which they are said to be codes.
SPECIAL_CODE_RECORDS = 3
#: What every message ends with: the data may be right (the command line says
#: it in its own words: a Python filter is no option of a command).
RIGHT = (
    " (if the data are right, a study of such a group, silence this with "
    "warnings.simplefilter('ignore', commonprosperity.ImplausibleDataWarning))"
)


def warn_if_implausible(pop: Population, where: str) -> None:
    """Warn of each sign of a unit or coding slip in ``pop`` (see the module)."""
    hh = pop.person_household_index
    person_weight = pop.weight[hh]
    ages_are_codes = _wages(pop.wage, person_weight, pop.age, pop.year, where)
    mean_weight = pop.households_represented / pop.n_households
    if pop.n_households >= MIN_RECORDS and mean_weight < MEAN_WEIGHT_SIGN:
        shown = f"{mean_weight:.3g}"
        if float(shown) >= MEAN_WEIGHT_SIGN:
            shown = repr(mean_weight)  # 0.49996 is not "0.5, under 0.5"
        _say(
            f"{where}the weights average {shown}, under "
            f"{MEAN_WEIGHT_SIGN}: are they inclusion probabilities (give 1 / p) or "
            "normalised to sum to 1? A weight is the number of households the "
            "record represents; totals (residents, fiscal cost) are read from them"
        )
    _urban_poorer(pop, hh, where)
    more_than_the_province(pop, pop.year, where)
    _flags_and_signs(pop, person_weight, where, ages_are_codes)
    _monthly_pensions(pop, hh, person_weight, where)
    _copied_family_amounts(pop, where)
    _business_codes(pop.business, where)


def _say(message: str) -> None:
    warn_user(message + RIGHT, ImplausibleDataWarning)


def _wages(
    wage: np.ndarray,
    person_weight: np.ndarray,
    age: np.ndarray,
    year: int | None,
    where: str,
) -> bool:
    """Monthly, 万元 or fen wages, and ages that are codes, from the wage earners.

    A survey of a year before :data:`MONTHLY_SIGN_FROM` is judged by the 万元
    sign only (a 2005 median wage of 11,000 yuan a year is no slip); after 2025
    the fen sign grows by :data:`FEN_SIGN_GROWTH` a year. Returns whether the
    ages were said to be codes.
    """
    earners = wage > 0.0
    if np.count_nonzero(earners) < MIN_RECORDS:
        return False
    amount, weight = wage[earners], person_weight[earners]
    total = weight.sum()
    count = amount.shape[0]
    low = MONTHLY_WAGE_SIGN
    if year is not None and year < MONTHLY_SIGN_FROM:
        low = TEN_THOUSANDS_SIGN
    if weight[amount < low].sum() * 2 > total:
        median = weighted_median(amount, weight)
        if median < TEN_THOUSANDS_SIGN:
            guess = (
                "are incomes in 万元 or thousands of yuan? Multiply them by 10,000 "
                "or 1,000"
            )
        else:
            guess = "are the wages monthly? Multiply monthly columns by 12"
        under = (
            f"{MONTHLY_WAGE_SIGN:,.0f} (1,000 a month, below every Zhejiang minimum "
            "wage since 2017)"
            if low == MONTHLY_WAGE_SIGN
            else f"{low:,.0f}"
        )
        _say(
            f"{where}the median wage of the {count:,} persons with a wage is "
            f"{median:,.0f} yuan a year, under {under}: {guess}; the library reads "
            "incomes in yuan per year"
        )
    elif (
        weight[amount > (high := _fen_sign(year))].sum() * 2 > total
        and weighted_quantile(amount, weight, 0.1) > FEN_LOW_SIGN
    ):
        _say(
            f"{where}the median wage of the {count:,} persons with a wage is "
            f"{weighted_median(amount, weight):,.0f} yuan a year, over "
            f"{high:,.0f}: are incomes in fen (payroll and tax records)? "
            "Divide them by 100; the library reads incomes in yuan per year"
        )
    young = weight[age[earners] < 16].sum() / total
    if young > YOUNG_EARNERS_SIGN:
        _say(
            f"{where}{young:.0%} of the weighted wage earners are under 16: are the "
            "ages age-group codes or other codes? persons.age is the age in "
            "completed years (children count for the deductions and allowances)"
        )
        return True
    return False


def _fen_sign(year: int | None) -> float:
    """:data:`FEN_SIGN`, grown by :data:`FEN_SIGN_GROWTH` a year after 2025."""
    if year is None or year <= 2025:
        return FEN_SIGN
    return FEN_SIGN * (1.0 + FEN_SIGN_GROWTH) ** (year - 2025)


def _urban_poorer(pop: Population, hh: np.ndarray, where: str) -> None:
    """Urban residents poorer than rural ones: an urban flag coded backwards."""
    urban = pop.urban
    if min(np.count_nonzero(urban), np.count_nonzero(~urban)) < MIN_RECORDS:
        return
    gross = pop.wage + pop.business + pop.property + pop.pension
    income = np.bincount(hh, weights=gross, minlength=pop.n_households)
    persons = pop.size * pop.weight
    per_person = [
        np.dot(income[area], pop.weight[area]) / persons[area].sum()
        for area in (urban, ~urban)
    ]
    if per_person[0] < BACKWARDS_URBAN_SIGN * per_person[1]:
        _say(
            f"{where}urban residents' gross income per person "
            f"({per_person[0]:,.0f} yuan) is below rural residents' "
            f"({per_person[1]:,.0f}), as in no Chinese province: is the urban flag "
            "coded backwards (rural = 1, or a 1/2 code recoded the wrong way)? "
            "households.urban is True for urban households"
        )


def more_than_the_province(pop: Population, year: int | None, where: str) -> None:
    """Warn of more residents than the province has in ``year``.

    Person weights (weight × size), or survey years summed. The command line
    judges a file without a year by its policy year.
    """
    from commonprosperity import statistics

    if year is None or year < 2020 or pop.n_households < MIN_RECORDS:
        return
    published = statistics.population(min(year, 2025))
    if pop.residents > RESIDENTS_SIGN * published:
        _say(
            f"{where}the population holds {pop.residents:,.0f} residents (weights × "
            f"household sizes), {pop.residents / published:.1f}× Zhejiang's "
            f"{published:,.0f} in {min(year, 2025)}: are the weights person "
            "weights (weight × size) or summed over survey years? A household's "
            "weight is the number of households it represents"
        )


def _share(mask: np.ndarray, weight: np.ndarray) -> float:
    return float(weight[mask].sum() / weight.sum())


def _flags_and_signs(
    pop: Population, person_weight: np.ndarray, where: str, ages_are_codes: bool
) -> None:
    """An employed flag coded backwards; business costs read as business income.

    Not the flag when the ages were said to be codes: the same young employed
    persons, one cause.
    """
    employed = pop.employed
    if not ages_are_codes and np.count_nonzero(employed) >= MIN_RECORDS:
        young = _share(pop.age[employed] < 16, person_weight[employed])
        if young > YOUNG_EARNERS_SIGN:
            _say(
                f"{where}{young:.0%} of the weighted persons flagged employed are "
                "under 16: is the employed flag coded backwards (or another code)? "
                "persons.employed is True for employees covered by the minimum wage "
                "and social insurance"
            )
    trading = pop.business != 0.0
    if np.count_nonzero(trading) >= MIN_RECORDS:
        losses = _share(pop.business[trading] < 0.0, person_weight[trading])
        if losses > 0.5:
            _say(
                f"{where}{losses:.0%} of the weighted persons with business income "
                "have a loss: is the column business costs, or income net of costs "
                "with the sign reversed? persons.business is net business income "
                "(a loss is negative)"
            )


def _monthly_pensions(
    pop: Population, hh: np.ndarray, person_weight: np.ndarray, where: str
) -> None:
    """Monthly pensions read as yearly ones, from urban persons aged 60 or over.

    Urban ones only: a rural elder's pension may be the residents' pension alone
    (285 yuan a month in 2024).
    """
    if pop.year is not None and pop.year < MONTHLY_PENSION_FROM:
        return
    elders = pop.urban[hh] & (pop.age >= 60) & (pop.pension > 0.0)
    count = int(np.count_nonzero(elders))
    if count < MIN_RECORDS:
        return
    amount, weight = pop.pension[elders], person_weight[elders]
    median = weighted_median(amount, weight)
    if (
        median < MONTHLY_PENSION_SIGN
        and weighted_quantile(amount, weight, MONTHLY_PENSION_QUANTILE)
        < MONTHLY_PENSION_SIGN
    ):
        _say(
            f"{where}the median pension of the {count:,} urban persons aged 60 or "
            f"over with one is {median:,.0f} yuan a year, under "
            f"{MONTHLY_PENSION_SIGN:,.0f} (1,000 a month; Zhejiang's urban pensions "
            "are thousands a month): are the pensions monthly? Multiply monthly "
            "columns by 12; the library reads incomes in yuan per year"
        )


def _copied_family_amounts(pop: Population, where: str) -> None:
    """A family's amount copied onto every member, children included.

    A family-level survey (CFPS's family file) merged onto its persons gives
    each member the family's business income: counted once per member. A child
    has no income of its own, so households with children tell.
    """
    starts = pop.offsets[:-1]
    has_child = np.maximum.reduceat(pop.age < 16, starts) & (pop.size >= 2)
    if np.count_nonzero(has_child) < MIN_RECORDS:
        return
    for name in ("business", "property", "pension"):
        x = getattr(pop, name)
        low = np.minimum.reduceat(x, starts)
        high = np.maximum.reduceat(x, starts)
        with_amount = has_child & ((low != 0.0) | (high != 0.0))
        copied = with_amount & (low == high)
        n = int(np.count_nonzero(with_amount))
        if n >= MIN_RECORDS and np.count_nonzero(copied) * 2 > n:
            _say(
                f"{where}in {np.count_nonzero(copied):,} of the {n:,} households "
                f"with children and {name} income, every member, children "
                f"included, has the same {name}: is it a family's amount copied "
                "onto each member? It is then counted once per member; put it on "
                "one member (e.g. an adult without wages or the household head). "
                "If it is the amount split equally, the total is right, but the "
                "rules of each person (business tax, the residents' pension) "
                "apply to each share"
            )


def _business_codes(business: np.ndarray, where: str) -> None:
    """Survey codes (-8 不适用 ...) read as business losses.

    A loss is legitimate data, so a code cannot be refused as other columns'
    negative values are; whole-yuan losses of exactly these amounts on several
    records (of a population of :data:`MIN_RECORDS` persons or more) are codes.
    """
    if business.shape[0] < MIN_RECORDS:
        return
    coded = np.isin(business, SPECIAL_CODES)
    n = int(np.count_nonzero(coded))
    if n < SPECIAL_CODE_RECORDS:
        return
    values, counts = np.unique(business[coded], return_counts=True)
    shown = ", ".join(f"{v:g} ({c:,})" for v, c in zip(values, counts, strict=True))
    _say(
        f"{where}{n:,} persons have business income of exactly {shown} yuan "
        "(value (persons)): survey codes ("
        "CFPS: -1 don't know, -2 refused, -8 not applicable, -9 missing), not "
        "losses? Map them to amounts (read_stata's recode=, or replace them "
        "before from_frames); persons.business is net business income (a loss "
        "is negative)"
    )
