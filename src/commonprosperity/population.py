"""A weighted population of households and their persons (struct of arrays)."""

from __future__ import annotations

import builtins
import datetime
import decimal
import hashlib
import os
import re
import unicodedata
import weakref
from collections.abc import Collection, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from commonprosperity._kernels.gather import gather, gather_ranges
from commonprosperity._plausible import SPECIAL_CODES, warn_if_implausible
from commonprosperity._sums import dot
from commonprosperity._validate import (
    beyond_float64,
    describe_rows,
    is_integer,
    masked_as_missing,
    not_a_pandas_frame,
    quoted,
    quoted_items,
    quoted_mapping,
    strictly_increasing,
    wider_than_float64,
)
from commonprosperity.errors import ArgumentError, PopulationError
from commonprosperity.published import (
    _ADMINISTRATIVE_CITY_CODES,
    CITIES,
    CITY_NAMES_EN,
    PROVINCE,
    _known_label,
    city_label,
)

__all__ = ["CITY_LABELS", "Population"]

#: City codes used inside the model: the 11 prefecture-level cities, then the
#: province as a whole for records without city information.
CITY_LABELS: tuple[str, ...] = (*CITIES, PROVINCE)

HOUSEHOLD_REQUIRED = ("household_id", "weight", "urban")
HOUSEHOLD_OPTIONAL = ("city", "stratum", "psu")
HOUSEHOLD_COLUMNS = HOUSEHOLD_REQUIRED + HOUSEHOLD_OPTIONAL
PERSON_REQUIRED = (
    "household_id",
    "age",
    "employed",
    "wage",
    "business",
    "property",
    "pension",
)
#: Every column the library reads, households' then persons' (after the id).
OUR_COLUMNS = HOUSEHOLD_COLUMNS + PERSON_REQUIRED[1:]
INCOME_COLUMNS = ("wage", "business", "property", "pension")
#: Person columns that are not incomes (read from the persons only).
PERSON_ONLY = tuple(c for c in PERSON_REQUIRED[1:] if c not in INCOME_COLUMNS)


def is_person_only(target: object) -> bool:
    """Whether a ``columns`` target is a person column read from the persons only.

    Any target: a missing value (pd.NA) made ``in PERSON_ONLY`` raise before
    the mapping's own error.
    """
    return isinstance(target, str) and target in PERSON_ONLY


MAX_WEIGHT = 1e12  # households one record may represent
#: The least weight: below it the weighted sums w·x lose digits (subnormal
#: products), so scaling every weight by 1e-320 moved the indicators by 5e-7.
MIN_WEIGHT = 1e-300
MAX_INCOME = 1e12  # yuan per year, any source, in absolute value
MAX_AGE = 120
MAX_HOUSEHOLD_SIZE = 100
#: Values that are no number although ``float()`` may read some of them: a
#: ``np.datetime64`` in an object column became its days since 1970 in yuan.
_NOT_NUMBERS = (
    str,
    bytes,
    complex,
    np.complexfloating,
    np.datetime64,
    np.timedelta64,
    datetime.date,
    datetime.timedelta,
)


#: The arrays whose memory a population holds, by id (see :func:`sealed`).
_SEALED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def sealed(a: np.ndarray) -> np.ndarray:
    """``a`` sealed: a read-only view of a read-only array only the library holds.

    ``a`` must be the library's own (a copy, or an array it built). A read-only
    array that owns its memory can be made writeable again by anyone holding it
    (``pop.weight.flags.writeable = True``, then a negative weight, or an
    offset that crashed the kernels); a view of a read-only base cannot. (Its
    owner stays reachable as ``.base``: code that turns that back to writeable
    on purpose is past what a population checks, and its kernels trust the
    offsets they were built with.)
    """
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    view = a.view()
    owner = cast(np.ndarray, view.base)  # a view's base: never None
    _SEALED[id(owner)] = owner
    return view


def source_prefix(source: Any) -> str:
    """``"<source>: "`` for error messages, a long source shortened.

    A 1 MB source made every message as long.
    """
    # isinstance first: `not source` on an array is ambiguous (a bare ValueError
    # before the source was checked to be a string).
    if not isinstance(source, str) or not source:
        return ""
    text = source
    if len(text) > 200:
        text = f"{text[:190]}… ({len(text):,} characters)"
    return f"{text}: "


def set_sealed_state(obj: Any, state: Mapping[str, Any]) -> None:
    """Restore a frozen object's pickled ``state`` with its arrays sealed again.

    Unpickling and deepcopy hand back writeable arrays (or, with protocol 5's
    out-of-band buffers, views of the caller's buffers, which are copied).
    """
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            value = sealed(value if value.flags.owndata else value.copy())
        object.__setattr__(obj, name, value)


def _is_sealed(a: np.ndarray) -> bool:
    """Whether ``a`` came from :func:`sealed` (or is a slice of such an array)."""
    owner = a.base
    return (
        not a.flags.writeable
        and isinstance(owner, np.ndarray)
        and _SEALED.get(id(owner)) is owner
    )


@dataclass(frozen=True, eq=False)
class Population:
    """Households and their persons as aligned, read-only NumPy arrays.

    Build one with :meth:`from_frames` (pandas), :meth:`from_arrays` (NumPy),
    :func:`commonprosperity.synthetic_population` or
    :func:`commonprosperity.baseline`. Persons are stored sorted by household, in
    the households' input order; the persons of household ``h`` are rows
    ``offsets[h]:offsets[h + 1]``.

    Attributes
    ----------
    household_id : ndarray of int64, shape (n,)
        Household identifiers, unique.
    weight : ndarray of float64, shape (n,)
        Households each record represents (> 0). Σ weight = households,
        Σ weight × size = residents.
    urban : ndarray of bool, shape (n,)
        True for urban households (城镇常住居民).
    city_code : ndarray of int64, shape (n,)
        Index into :data:`CITY_LABELS`.
    offsets : ndarray of int64, shape (n + 1,)
        Person row ranges of the households.
    age : ndarray of int64, shape (m,)
        Age in completed years, 0–120.
    employed : ndarray of bool, shape (m,)
        Whether the person is employed (employee social insurance applies).
    wage, business, property, pension : ndarray of float64, shape (m,)
        Gross annual income by source, yuan per year. ``business`` may be negative.
    stratum, psu : ndarray of int64, shape (n,), or None
        Survey design variables, when known.
    year : int or None
        The income year the population describes.
    source : str
        Where the data came from (a file, a generator and its seed), then what
        was done to it, each step appended as ``" | step(...)"`` (``project``,
        ``with_year``, ``with_weights``, ``calibrate``). The steps are read back
        as the population's history (the income growth a projection assumed,
        whether weights were reset): a source given to a constructor that
        records such steps (``source=pop.source`` after editing ``pop``'s
        frames) is taken as that history.

    Examples
    --------
    >>> import commonprosperity as cp
    >>> pop = cp.synthetic_population(2_000, seed=1)
    >>> pop.n_households, int(pop.size.sum()) == pop.n_persons
    (2000, True)

    The persons of household ``h`` are the rows ``offsets[h]:offsets[h + 1]`` of
    the person arrays:

    >>> h = 0
    >>> persons = slice(pop.offsets[h], pop.offsets[h + 1])
    >>> len(pop.age[persons]) == int(pop.size[h])
    True
    >>> round(pop.residents / pop.households_represented, 2)  # persons a household
    2.65

    The arrays are read-only, and ``source`` records where the data came from:

    >>> pop.weight.flags.writeable
    False
    >>> pop.source
    'synthetic_population(n_households=2000, seed=1)'
    >>> pop.with_year(2021).source
    'synthetic_population(n_households=2000, seed=1) | with_year(2021)'
    """

    household_id: np.ndarray
    weight: np.ndarray
    urban: np.ndarray
    city_code: np.ndarray
    offsets: np.ndarray
    age: np.ndarray
    employed: np.ndarray
    wage: np.ndarray
    business: np.ndarray
    property: np.ndarray
    pension: np.ndarray
    stratum: np.ndarray | None = None
    psu: np.ndarray | None = None
    year: int | None = None
    source: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # Not the cache: __setstate__ drops it, and a simulated population's
        # Gini weights and tiers made its pickle 12 % larger for nothing.
        state = dict(self.__dict__)
        state.pop("_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Pickle (protocols below 5) and deepcopy hand back writeable copies of the
        # arrays: writing into them changed the population under an existing Result
        # and left its cached weights stale. Sealed again, and no cache. Protocol
        # 5 with out-of-band buffers hands back views of the caller's buffers
        # (writing them gave -781 residents): those are copied.
        set_sealed_state(self, state)
        object.__setattr__(self, "_cache", {})

    def __post_init__(self) -> None:
        # Populations built directly (or by dataclasses.replace) skip the
        # constructors' checks: a negative weight gave negative residents and a
        # Gini of -0.01, a city code of 99 a pandas error much later.
        problems = _invariant_problems(self)
        if problems:
            raise PopulationError(
                "Population: "
                + "; ".join(problems)
                + " (Population.from_frames and from_arrays convert and check "
                "columns)"
            )
        # dataclasses.replace(pop, weight=...) handed the new population the old
        # one's cache (its Gini weights: the Gini of the old weights, silently);
        # and arrays the caller can still write would change it, and the Results
        # made from it, behind their backs (a read-only view of a writeable
        # array too: writing an offset through it crashed the process). A fresh
        # cache; arrays copied and sealed, except another population's (sealed).
        object.__setattr__(self, "_cache", {})
        if self.year is not None:
            # A NumPy year (a frame's year column) stayed one, and
            # write_parquet's JSON then failed with a bare TypeError.
            object.__setattr__(self, "year", int(self.year))
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and not _is_sealed(value):
                object.__setattr__(self, f.name, sealed(value.copy()))

    @classmethod
    def _trusted(cls, **values: Any) -> Population:
        """A Population of arrays its builder has already checked.

        ``__post_init__``'s checks are not run again: :meth:`from_arrays` has just
        made them, :func:`subsets` slices a valid population and the baseline
        generates valid arrays (27 ms at 1e6 households, per build, for nothing).
        Not for arrays from outside the library.
        """
        pop = object.__new__(cls)
        for f in fields(cls):
            if f.name in values:
                value = values[f.name]
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            elif f.default is not MISSING:
                value = f.default
            else:
                raise TypeError(f"Population._trusted: missing field {f.name!r}")
            object.__setattr__(pop, f.name, value)
        return pop

    def equals(self, other: object) -> bool:
        """Whether ``other`` is a Population holding the same data.

        ``==`` is identity (a population is a large, immutable object, hashed
        by identity like an array); this compares the content: every array
        (values and dtype), the design variables, ``year`` and ``source``.

        Parameters
        ----------
        other : object

        Returns
        -------
        bool

        Examples
        --------
        >>> import pickle
        >>> from commonprosperity import synthetic_population
        >>> pop = synthetic_population(100, seed=1)
        >>> copy = pickle.loads(pickle.dumps(pop))
        >>> copy == pop, copy.equals(pop)
        (False, True)
        """
        if not isinstance(other, Population):
            return False
        for f in fields(self):
            if f.name == "_cache":
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, np.ndarray) or isinstance(theirs, np.ndarray):
                if not (
                    isinstance(mine, np.ndarray)
                    and isinstance(theirs, np.ndarray)
                    and mine.dtype == theirs.dtype
                    and np.array_equal(mine, theirs)
                ):
                    return False
            elif mine != theirs:
                return False
        return True

    # ----------------------------------------------------------------- sizes
    # builtins.property: type checkers read a bare @property as the field
    # `property` (property income) declared above, and these as arrays.
    @builtins.property
    def n_households(self) -> int:
        """Number of household records."""
        return int(self.weight.shape[0])

    @builtins.property
    def n_persons(self) -> int:
        """Number of person records."""
        return int(self.age.shape[0])

    @builtins.property
    def size(self) -> np.ndarray:
        """Household size (persons per household), int64, shape (n,)."""
        if "size" not in self._cache:
            self._cache["size"] = sealed(np.diff(self.offsets))
        return cast(np.ndarray, self._cache["size"])

    @builtins.property
    def city(self) -> np.ndarray:
        """City label of each household, object array of str, shape (n,)."""
        return cast(np.ndarray, np.asarray(CITY_LABELS, dtype=object)[self.city_code])

    @builtins.property
    def person_household_index(self) -> np.ndarray:
        """Position of each person's household, int64, shape (m,)."""
        return np.repeat(np.arange(self.n_households, dtype=np.int64), self.size)

    @builtins.property
    def households_represented(self) -> float:
        """Σ weight: households in the population represented."""
        return float(np.sum(self.weight))

    @builtins.property
    def residents(self) -> float:
        """Σ weight × size: residents represented."""
        return float(dot(self.weight, self.size))

    def __repr__(self) -> str:
        year = "unknown year" if self.year is None else f"year {self.year}"
        return (
            f"Population({self.n_households:,} households, {self.n_persons:,} persons, "
            f"{year}, representing {self.residents:,.0f} residents)"
        )

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_frames(
        cls,
        households: pd.DataFrame,
        persons: pd.DataFrame,
        columns: Mapping[str, str | None] | None = None,
        *,
        year: int | None = None,
        source: str = "",
    ) -> Population:
        """Build a population from a household frame and a person frame.

        Parameters
        ----------
        households : pandas.DataFrame
            One row per household: ``household_id``, ``weight``, ``urban`` and
            optionally ``city`` (one of the 11 cities, Chinese or English name;
            see :func:`city_name` for the spellings), ``stratum``, ``psu``. Other
            columns are not read. Incomes are read from the person rows only: a
            person income here (``wage``, ``business``, ``property``,
            ``pension``, by name or mapped by ``columns``) must be, in each
            household, the sum of its persons' or one of theirs (the first
            person's, of ``flat.drop_duplicates("household_id")``); a family's
            amount (CFPS's family business income) is refused, since it would
            not be read: put it on one member of the persons frame.
        persons : pandas.DataFrame
            One row per person: ``household_id``, ``age``, ``employed``, ``wage``,
            ``business``, ``property``, ``pension`` (yuan per year).
        columns : mapping of str to str, optional
            Renames applied to both frames first, ``{"theirs": "ours"}``. Every key
            must be a column of one of the frames and every value one of the
            library's columns (so a misspelt name is an error, not ignored), or
            None to leave that column unread (a person weight named ``weight``
            beside the household weight mapped onto ours).
        year : int, optional
            The income year the data describe.
        source : str, optional
            Where the frames came from (a file name), quoted in error messages.

        Returns
        -------
        Population

        Raises
        ------
        PopulationError
            Listing every problem found: a ``columns`` entry naming no column of
            the frames or none of the library's, missing columns, a column named
            like one of the library's but for case, full-width letters or
            surrounding spaces (``"City"``, ``"ｃｉｔｙ"``, ``"weight "``: it
            would not be read) or, for ``city``
            and ``stratum``, one letter or a synonym (``"cty"``, ``"cities"``,
            ``"strata"``; :func:`misnamed_columns`) while the library's own is
            absent (beside it, it is another column),
            household columns on the person rows only, or repeated there with
            other values than the households frame's, a person income in the
            households frame that is no sum or value of its persons', wrong
            types, NaN
            or infinite values, out-of-range values, duplicate ids, persons of
            unknown households, households without persons, empty tables,
            MultiIndex columns, a column of ours only as the index. A
            renamed column is named by the frame's name too (``column 'wt'
            (households.weight)``). Rows are 0-based positions in each frame.

        Examples
        --------
        >>> import pandas as pd
        >>> hh = pd.DataFrame({"household_id": [1, 2], "weight": [10.0, 5.0],
        ...                    "urban": [True, False], "city": ["杭州", "Lishui"]})
        >>> pp = pd.DataFrame({"household_id": [1, 1, 2], "age": [40, 8, 70],
        ...                    "employed": [True, False, False],
        ...                    "wage": [90_000.0, 0.0, 0.0],
        ...                    "business": [0.0, 0.0, -500.0],
        ...                    "property": [1_000.0, 0.0, 0.0],
        ...                    "pension": [0.0, 0.0, 0.0]})
        >>> pop = Population.from_frames(hh, pp, year=2021)
        >>> pop.n_households, pop.n_persons, pop.residents
        (2, 3, 25.0)
        """
        where = source_prefix(source)
        problems: list[str] = []
        for name, frame in (("households", households), ("persons", persons)):
            if not isinstance(frame, pd.DataFrame):
                raise PopulationError(
                    f"{where}{name} must be a pandas DataFrame; "
                    f"got {not_a_pandas_frame(frame)}"
                )
        # Before the renames: pandas' rename of column levels raised its own
        # NotImplementedError.
        levels = [
            p
            for name, frame in (("households", households), ("persons", persons))
            if (p := _multiindex_problem(name, frame))
        ]
        if levels:
            raise PopulationError(where + "; ".join(levels))
        theirs: dict[tuple[str, str], str] = {}
        renames: dict[Any, Any] = {}
        household_names = set(households.columns)
        if columns is not None:
            renames = _check_renames(columns, households, persons, where)
            theirs = renamed_columns(
                renames,
                {
                    "households": set(households.columns),
                    "persons": set(persons.columns),
                },
            )
            # None: a column of the frames left unread (a person weight named
            # "weight" beside the household weight mapped onto ours).
            unread = [k for k, v in renames.items() if v is None]
            households = households.drop(
                columns=[c for c in unread if c in households.columns]
            ).rename(columns=renames)
            persons = persons.drop(
                columns=[c for c in unread if c in persons.columns]
            ).rename(columns=renames)
        ours: tuple[str, ...] | list[str]  # each frame's columns, then those guessed
        for name, frame, ours in (
            ("households", households, HOUSEHOLD_COLUMNS),
            ("persons", persons, PERSON_REQUIRED),
        ):
            # Only ours: other columns are not read (read_parquet takes a file
            # with two "note" columns too).
            dup = [
                c
                for c in frame.columns[frame.columns.duplicated()].unique()
                if c in OUR_COLUMNS
            ]
            if dup:
                problems.append(f"{name} has duplicate columns {dup}")
            misnamed = misnamed_columns(frame.columns, ours)
            if misnamed:
                problems.append(f"{name} {misnamed_problem(misnamed)}")
            problems += _index_problem(name, frame, ours, renames)
        problems += _family_amounts_of_frames(
            households, persons, renames, household_names
        )
        # Household columns on the person rows (a flat one-row-per-person table
        # passed as persons) are not read: an optional one missing from the
        # households frame would vanish, every household falling to the province.
        stray = [
            c
            for c in HOUSEHOLD_OPTIONAL
            if c in persons.columns and c not in households.columns
        ]
        if stray:
            problems.append(
                f"persons has household column(s) {stray} that households lacks; "
                + _READ_FROM_HOUSEHOLDS
            )
        # The same under another name (城市, City): the file readers, which read
        # one flat table, refused it; here every household fell to the province.
        guessed = {
            theirs: ours
            for theirs, ours in misnamed_columns(
                persons.columns, _GUESSED_OPTIONAL
            ).items()
            if ours not in households.columns
        }
        if guessed:
            ours = sorted(set(guessed.values()))
            problems.append(
                f"persons has column(s) {list(guessed)}, which look like the "
                f"library's household column(s) {ours} that households lacks; "
                f"{_READ_FROM_HOUSEHOLDS}, as {ours}, or leave them unread with "
                f"columns={dict.fromkeys(guessed)!r}"
            )
        if problems:
            raise PopulationError(where + "; ".join(problems))
        hh_cols = {
            c: households[c].to_numpy()
            for c in households.columns
            if c in HOUSEHOLD_COLUMNS
        }
        p_cols = {
            c: persons[c].to_numpy() for c in persons.columns if c in PERSON_REQUIRED
        }
        try:
            pop = cls.from_arrays(hh_cols, p_cols, year=year, source=source)
            copies = household_copy_problems(persons, pop)
            if copies:
                raise PopulationError(where + "; ".join(copies))
        except PopulationError as exc:
            raise with_row_note(
                with_their_names(exc, theirs),
                "rows are 0-based positions in each frame, not its index labels",
            ) from None
        return pop

    @classmethod
    def from_arrays(
        cls,
        households: Mapping[str, Any],
        persons: Mapping[str, Any],
        *,
        year: int | None = None,
        source: str = "",
    ) -> Population:
        """Build a population from mappings of column name to array.

        The columns and rules are those of :meth:`from_frames`; the input arrays are
        copied, never modified. Unlike :meth:`from_frames`, which reads only the
        library's columns from a frame, every key must be one of them: an unknown
        key (a misspelt ``"stratm"``) is an error rather than silently dropped.

        Parameters
        ----------
        households : mapping of str to array-like
            Household columns: ``household_id``, ``weight`` (households
            represented), ``urban``; optional ``city``, ``stratum``, ``psu``.
        persons : mapping of str to array-like
            Person columns: ``household_id``, ``age`` (years), ``employed``,
            ``wage``, ``business``, ``property``, ``pension`` (yuan per year).
        year : int, optional
            The year of the incomes.
        source : str, optional
            Where the data came from, kept in results' provenance.

        Returns
        -------
        Population

        Raises
        ------
        PopulationError
            Naming every bad column, value and row (see :meth:`from_frames`);
            also when pandas Series of one table have different indexes, or a
            Series beside arrays is labelled in another order (by household id
            in another order than ``household_id``'s, or by integers out of
            order): the columns are paired by position, not by label.

        Examples
        --------
        >>> pop = Population.from_arrays(
        ...     {"household_id": [7], "weight": [1.0], "urban": [True]},
        ...     {"household_id": [7], "age": [30], "employed": [True],
        ...      "wage": [50_000.0], "business": [0.0], "property": [0.0],
        ...      "pension": [0.0]})
        >>> pop.city[0]
        '浙江'
        """
        where = source_prefix(source)
        problems: list[str] = []
        for name, table, required, allowed in (
            ("households", households, HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS),
            ("persons", persons, PERSON_REQUIRED, PERSON_REQUIRED),
        ):
            if not hasattr(table, "keys"):
                problems.append(
                    f"{name} must be a mapping of column name to array; got "
                    f"{type(table).__name__}"
                )
                continue
            missing = [c for c in required if c not in table]
            if missing:
                problems.append(
                    f"{name} is missing column(s) {missing}; required: {list(required)}"
                )
            # A misspelt optional column ("stratm") would otherwise vanish unseen.
            unknown = [c for c in table if c not in allowed]
            if unknown:
                problems.append(
                    f"{name} has unknown column(s) {unknown}; allowed: {list(allowed)}"
                )
            problems += _misaligned_series(name, table)
            if not problems:
                problems += _series_beside_arrays(name, table)
        if problems:
            raise PopulationError(where + "; ".join(problems))

        hh = {
            k: _as_array(f"households.{k}", v, problems) for k, v in households.items()
        }
        pp = {k: _as_array(f"persons.{k}", v, problems) for k, v in persons.items()}
        if problems:
            raise PopulationError(where + "; ".join(problems))
        n = _common_length("households", hh, problems)
        m = _common_length("persons", pp, problems)
        if problems:
            raise PopulationError(where + "; ".join(problems))
        if n == 0:
            problems.append(
                "households is empty: a population needs at least one household"
            )
        if m == 0:
            problems.append("persons is empty: a population needs at least one person")
        if problems:
            raise PopulationError(where + "; ".join(problems))

        household_id = _integer_column(
            "households.household_id", hh["household_id"], problems
        )
        weight = _float_column(
            "households.weight",
            hh["weight"],
            problems,
            keep_nonfinite=True,
            amount=True,
        )
        urban = _bool_column("households.urban", hh["urban"], problems)
        stratum = (
            _integer_column("households.stratum", hh["stratum"], problems)
            if "stratum" in hh
            else None
        )
        psu = (
            _integer_column("households.psu", hh["psu"], problems)
            if "psu" in hh
            else None
        )
        if "city" in hh:
            city_code = _city_column(hh["city"], problems)
        else:
            city_code = np.full(n, len(CITY_LABELS) - 1, dtype=np.int64)

        p_household = _integer_column(
            "persons.household_id", pp["household_id"], problems
        )
        age = _integer_column(
            "persons.age", pp["age"], problems, allowed=f"in 0–{MAX_AGE}"
        )
        employed = _bool_column("persons.employed", pp["employed"], problems)
        incomes = {
            c: _float_column(
                f"persons.{c}", pp[c], problems, keep_nonfinite=True, amount=True
            )
            for c in INCOME_COLUMNS
        }

        problems += _value_problems(weight, age, incomes, nonfinite_reported=True)

        order = offsets = None
        if household_id is not None:
            dup = _duplicated(household_id)
            if dup.any():
                problems.append(
                    _duplicate_ids_problem("households.", household_id, dup)
                )
            if p_household is not None:
                # Checked against the distinct ids, so unknown persons, households
                # without persons and duplicate ids are all reported at once.
                first = np.flatnonzero(~dup)
                position = pd.Index(household_id[first]).get_indexer(p_household)
                orphan = position < 0
                if orphan.any():
                    problems.append(
                        "persons.household_id must name a household in the household "
                        f"table; unknown at {describe_rows(orphan, p_household)}"
                    )
                counts = np.bincount(position[~orphan], minlength=first.shape[0])
                empty = np.zeros(n, dtype=bool)
                empty[first[counts == 0]] = True
                if empty.any():
                    problems.append(
                        "every household needs at least one person; no persons for "
                        "households.household_id at "
                        + describe_rows(empty, household_id)
                    )
                big = np.zeros(n, dtype=bool)
                big[first[counts > MAX_HOUSEHOLD_SIZE]] = True
                if big.any():
                    size = np.zeros(n, dtype=np.int64)
                    size[first] = counts
                    problems.append(
                        f"a household may have at most {MAX_HOUSEHOLD_SIZE} "
                        "persons; "
                        f"households at {describe_rows(big, size)}"
                    )
                if not dup.any() and not orphan.any():
                    order = np.argsort(position, kind="stable")
                    offsets = np.zeros(n + 1, dtype=np.int64)
                    np.cumsum(counts, out=offsets[1:])
        problems += _label_problems(year, source)
        if problems:
            raise PopulationError(where + "; ".join(problems))
        assert order is not None and offsets is not None  # for mypy: checked above
        # Every column was read: a None came with a problem, raised above.
        pop = cls._trusted(
            household_id=sealed(cast(np.ndarray, household_id)),
            weight=sealed(cast(np.ndarray, weight)),
            urban=sealed(cast(np.ndarray, urban)),
            city_code=sealed(cast(np.ndarray, city_code)),
            offsets=sealed(offsets),
            age=sealed(cast(np.ndarray, age)[order]),
            employed=sealed(cast(np.ndarray, employed)[order]),
            wage=sealed(cast(np.ndarray, incomes["wage"])[order]),
            business=sealed(cast(np.ndarray, incomes["business"])[order]),
            property=sealed(cast(np.ndarray, incomes["property"])[order]),
            pension=sealed(cast(np.ndarray, incomes["pension"])[order]),
            stratum=None if stratum is None else sealed(stratum),
            psu=None if psu is None else sealed(psu),
            year=None if year is None else int(year),
            source=source,
        )
        warn_if_implausible(pop, where)
        return pop

    # ------------------------------------------------------------------ files
    @classmethod
    def read_parquet(
        cls, path: str | Path, columns: Mapping[str, str | None] | None = None
    ) -> Population:
        """Read one Parquet file, one row per person.

        Parameters
        ----------
        path : str or pathlib.Path
            The file (household columns repeated on each person row).
        columns : mapping of str to str or None, optional
            Renames ``{"theirs": "ours"}``; None leaves a column unread.

        Returns
        -------
        Population

        See :func:`commonprosperity.survey.read_parquet` for the layout and errors.
        """
        from commonprosperity.survey import read_parquet

        return read_parquet(path, columns)

    def write_parquet(self, path: str | Path) -> None:
        """Write one Parquet file, one row per person (household columns repeated).

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write (a leading ``~`` is the home directory).

        See :func:`commonprosperity.survey.write_parquet`.
        """
        from commonprosperity.survey import write_parquet

        write_parquet(self, path)

    @classmethod
    def read_stata(
        cls,
        households_path: str | Path,
        persons_path: str | Path,
        columns: Mapping[str, str | None] | None = None,
        *,
        recode: Mapping[str, Mapping[Any, Any]] | None = None,
        value_labels: bool = True,
        encoding: str | None = None,
        year: int | None = None,
    ) -> Population:
        """Read Stata household and person files (CHIP/CFPS style).

        Parameters
        ----------
        households_path, persons_path : str or pathlib.Path
            The two ``.dta`` files.
        columns : mapping of str to str or None, optional
            Renames ``{"theirs": "ours"}``; None leaves a column unread.
        recode : mapping of str to mapping, optional
            Value recodes per column of ours, ``{"urban": {1: True, 2: False}}``.
        value_labels : bool, default True
            Use the files' value labels.
        encoding : str, optional
            Text encoding of files older than format 118 (``"gb18030"``).
        year : int, optional
            The year of the incomes.

        Returns
        -------
        Population

        See :func:`commonprosperity.survey.read_stata` for the rules and errors.
        """
        from commonprosperity.survey import read_stata

        return read_stata(
            households_path,
            persons_path,
            columns,
            recode=recode,
            value_labels=value_labels,
            encoding=encoding,
            year=year,
        )

    # ----------------------------------------------------------------- output
    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return ``(households, persons)`` frames as :meth:`from_frames` reads them.

        Returns
        -------
        households, persons : pandas.DataFrame
            Copies of the columns (incomes in yuan per year). The population's
            ``year`` and ``source`` are not columns: pass them to
            :meth:`from_frames` again (``year=pop.year, source=pop.source``), or
            keep both with :meth:`write_parquet`.

        Examples
        --------
        >>> from commonprosperity import synthetic_population
        >>> pop = synthetic_population(100, seed=1)
        >>> hh, pp = pop.to_frames()
        >>> list(hh.columns)
        ['household_id', 'weight', 'urban', 'city']
        >>> again = Population.from_frames(hh, pp, year=pop.year, source=pop.source)
        >>> (again.year, again.source) == (pop.year, pop.source)
        True
        """
        hh = {
            "household_id": self.household_id.copy(),
            "weight": self.weight.copy(),
            "urban": self.urban.copy(),
            "city": pd.Categorical(self.city.astype(str), categories=list(CITY_LABELS)),
        }
        if self.stratum is not None:
            hh["stratum"] = self.stratum.copy()
        if self.psu is not None:
            hh["psu"] = self.psu.copy()
        persons = pd.DataFrame(
            {
                "household_id": np.repeat(self.household_id, self.size),
                "age": self.age.copy(),
                "employed": self.employed.copy(),
                "wage": self.wage.copy(),
                "business": self.business.copy(),
                "property": self.property.copy(),
                "pension": self.pension.copy(),
            }
        )
        return pd.DataFrame(hh), persons

    def with_weights(self, weight: npt.ArrayLike) -> Population:
        """Return a copy with new household weights (validated, > 0).

        Its ``source`` is this population's followed by
        ``| with_weights(sha256=...)``, the start of the weights' digest
        (:func:`weights_digest`).

        Parameters
        ----------
        weight : array-like, shape (n_households,)
            Households represented by each household, in [1e-300, 1e12].

        Returns
        -------
        Population

        Raises
        ------
        PopulationError
            For a wrong shape, a weight outside [1e-300, 1e12], or a pandas
            Series labelled neither by position (0 … n - 1 in order) nor by
            household id in the population's order (the pairing would be
            ambiguous or wrong; the message says how to align it).

        Examples
        --------
        >>> from commonprosperity import synthetic_population
        >>> pop = synthetic_population(10, seed=1)
        >>> doubled = pop.with_weights(pop.weight * 2)
        >>> doubled.households_represented == 2 * pop.households_represented
        True
        """
        return self._reweighted(weight, "with_weights")

    def _reweighted(self, weight: Any, step: str, arguments: str = "") -> Population:
        """:meth:`with_weights`, its source step ``step(arguments sha256=...)``.

        ``calibrate`` names itself and its arguments (``"method='raking', "``).
        """
        problems: list[str] = []
        if isinstance(weight, pd.Series):
            problems += series_index_problem("weight", weight, self.household_id)
        values = _as_array("weight", weight, problems)
        if not problems and values.ndim != 1:
            # None is a 0-d object array, which the column check iterated.
            problems.append(
                f"weight must be a one-dimensional array of shape "
                f"{self.weight.shape}; got {quoted(weight)}"
            )
        w = None if problems else _float_column("weight", values, problems, amount=True)
        if w is not None and w.shape != self.weight.shape:
            problems.append(
                f"weight must have shape {self.weight.shape}; got {w.shape}"
            )
        elif w is not None:
            bad = ~(w >= MIN_WEIGHT) | (w > MAX_WEIGHT)
            if bad.any():
                problems.append(
                    f"weight must be in [{MIN_WEIGHT:g}, {MAX_WEIGHT:g}] for every "
                    f"household; {describe_rows(bad, w)}"
                )
        if problems:
            raise PopulationError("; ".join(problems))
        w = cast(np.ndarray, w)  # read: None only beside a problem, raised above
        # The source says so: it names the generator's call and seed, which no
        # longer make these weights (provenance, the T6 note); and which
        # weights (two reweightings of one population had one source).
        return _replace(
            self,
            weight=sealed(w),
            source=f"{self.source} | {step}({arguments}sha256={weights_digest(w)})",
        )

    def with_year(self, year: int | None) -> Population:
        """Return a copy labelled with another income year (data unchanged).

        Parameters
        ----------
        year : int or None
            The year of the incomes (1900–2100), or None for none.

        Returns
        -------
        Population
            Its ``source`` is this population's followed by ``| with_year(YEAR)``
            (a result's provenance named a 2024 baseline beside a 2021 income
            year without saying why).

        Raises
        ------
        PopulationError
            For a year that is not an integer in 1900–2100.
        """
        if year is not None and (not is_integer(year) or not 1900 <= year <= 2100):
            raise PopulationError(
                f"year must be an integer in 1900–2100 or None; got {quoted(year)}"
            )
        year = None if year is None else int(year)
        if year == self.year:
            return _replace(self)
        return _replace(self, year=year, source=f"{self.source} | with_year({year})")


#: The household and person arrays every population has (the fields without a
#: default): two populations with equal ones describe the same people.
DATA_ARRAYS: tuple[str, ...] = tuple(
    f.name
    for f in fields(Population)
    if f.default is MISSING and f.default_factory is MISSING
)


def subsets(pop: Population, groups: list[np.ndarray]) -> list[Population]:
    """The households at each array of positions in ``groups``, with their persons.

    No revalidation; same year, and ``source`` notes the subset. Each group's
    positions must be increasing (``DataFrame.groupby(...).indices``
    gives them so); the groups need not cover the population. The households are
    gathered once into group order and each group is a slice of them: one gather
    instead of one masked copy of every column per group (22 groups of 1e6
    households took 1.3 s as masked copies).
    """
    if not groups:
        return []
    for k, g in enumerate(groups):
        g = np.asarray(g)
        if g.ndim != 1 or g.dtype.kind not in "iu":
            raise ArgumentError(
                f"subsets: group {k} must be a 1-D array of integer positions; got "
                f"{g.dtype} of shape {g.shape}"
            )
        if g.size and not (
            g.min() >= 0 and g.max() < pop.n_households and strictly_increasing(g)
        ):
            raise ArgumentError(
                f"subsets: group {k} must hold increasing positions in "
                f"0–{pop.n_households - 1}, each once; got {quoted(g)}"
            )
    order = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    size = pop.size[order]
    offsets = np.zeros(order.shape[0] + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    households = {
        name: gather(getattr(pop, name), order)
        for name in ("household_id", "weight", "urban", "city_code")
    }
    # Each household's persons, copied whole to its new place (the sweep's reorder).
    starts = pop.offsets[order]
    people = {
        name: gather_ranges(
            getattr(pop, name), starts, starts + size, offsets[:-1], int(offsets[-1])
        )
        for name in PERSON_REQUIRED[1:]
    }
    extra = {
        name: None if getattr(pop, name) is None else getattr(pop, name)[order]
        for name in ("stratum", "psu")
    }
    # Read-only before they are sliced: the slices' owner is the whole array
    # (or the buffer the gather returned a view of), and a writeable owner lets
    # anyone make a slice writeable again (sealed).
    for arrays in (households, people, extra):
        for v in arrays.values():
            if v is not None:
                v.flags.writeable = False
                if isinstance(v.base, np.ndarray):
                    v.base.flags.writeable = False
    out = []
    h0 = 0
    for g in groups:
        h1 = h0 + len(g)
        p0, p1 = offsets[h0], offsets[h1]
        out.append(
            Population._trusted(
                **{k: sealed(v[h0:h1]) for k, v in households.items()},
                offsets=sealed(offsets[h0 : h1 + 1] - p0),
                **{k: sealed(v[p0:p1]) for k, v in people.items()},
                **{
                    k: None if v is None else sealed(v[h0:h1]) for k, v in extra.items()
                },
                year=pop.year,
                source=f"subset of {pop.source}" if pop.source else "subset",
            )
        )
        h0 = h1
    return out


def weights_digest(weight: np.ndarray) -> str:
    """The first 16 hex digits of the SHA-256 of ``weight`` as little-endian float64.

    Recorded in a reweighted population's ``source``: the weights themselves
    are too many to write there.
    """
    data = np.ascontiguousarray(weight, dtype="<f8").tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _replace(pop: Population, **changes: Any) -> Population:
    values = {
        name: getattr(pop, name)
        for name in Population.__dataclass_fields__
        if name != "_cache"
    }
    values.update(changes)
    # with_weights and with_year check what they change; the rest was valid.
    return Population._trusted(**values)


#: Why a household column on the person rows is refused, and the fix.
def family_amount_hint(
    persons: str | os.PathLike[str], households: str | os.PathLike[str]
) -> str:
    """Where a family's amount of a person income goes, for the messages."""
    return (
        f"person columns are read from {persons} only: put a family's amount (a "
        "family's business or property income, its transfers) on one member, "
        "e.g. an adult without wages or the household head (which one can change "
        f"the income tax: docs/model-rules.md §5), not in {households}"
    )


def family_amounts(
    household_id: Any,
    given: Mapping[str, Any],
    person_household_id: Any,
    persons: Mapping[str, Any],
    names: Mapping[str, str],
) -> list[str]:
    """Person incomes given per household, where they are not read.

    Family-level surveys (CFPS's family file: ``foperate``, ``fproperty``,
    ``ftransfer``) hold business and property income and transfers per family:
    mapped onto ``business`` in the households table they went unread, without
    a word. ``given``: such columns of the households table (ours → values, in
    the order of ``household_id``); ``persons``: the person table's columns
    (ours → values, in the order of ``person_household_id``); ``names``: how
    the messages name a column of ours in the households table. A column is
    refused where the persons lack it, and where a household's amount is
    neither the sum of its persons' nor one of theirs (a households table of
    sums, or cut from a flat table of person rows, agrees with its persons).
    Amounts that are not numbers (text, categories) are refused as such; where
    the persons' amounts or the ids are not yet clean, the checks that follow
    name those problems.
    """
    problems = []
    # Each person's household, by position (-1: none), found once for all the
    # columns; households without persons (or ids typed apart, "1" and 1) are
    # the id checks' to name: compared here, their amounts read as families'.
    position = None
    try:
        index = pd.Index(household_id)
        if index.is_unique:
            position = index.get_indexer(pd.Index(person_household_id))
    except (TypeError, ValueError):
        pass
    for column, values in given.items():
        shown = names.get(column, column)
        if column not in persons:
            problems.append(f"{shown} is a person column the persons lack")
            continue
        try:
            amount = pd.to_numeric(pd.Series(values), errors="raise").to_numpy(float)
        except (TypeError, ValueError):
            # Labelled codes read as categories, "50,000": not read either.
            example = pd.Series(values).dropna().head(1).tolist()
            problems.append(
                f"{shown} holds a person income as values that are not numbers "
                f"(e.g. {quoted(example[0] if example else None)})"
            )
            continue
        try:
            theirs = pd.to_numeric(pd.Series(persons[column]), errors="raise")
        except (TypeError, ValueError):
            continue
        if position is None or amount.shape[0] != index.shape[0]:
            continue
        theirs = theirs.to_numpy(float)
        known = position >= 0
        at = position[known]
        n = amount.shape[0]
        sums = np.bincount(at, weights=np.nan_to_num(theirs[known]), minlength=n)
        # A household's amount is one of its persons' (a flat table's first
        # person's wage) when some person of it has that amount; rtol: a total
        # stored as a Stata float (float32) is 6e-8 off its sum.
        member = (
            np.bincount(
                at,
                weights=np.isclose(theirs[known], amount[at], rtol=1e-6, atol=0.5),
                minlength=n,
            )
            > 0
        )
        present = np.bincount(at, minlength=n) > 0
        off = (
            ~np.isclose(amount, sums, rtol=1e-6, atol=0.5)
            & ~member
            & ~np.isnan(amount)
            & present
        )
        if off.any():
            first = int(np.flatnonzero(off)[0])
            problems.append(
                f"{shown} is neither the sum of the household's persons' {column} "
                f"nor one of theirs in {int(off.sum())} household(s), e.g. "
                f"household {quoted(index[first : first + 1].tolist()[0])}: "
                f"{amount[first]:,.2f} against {sums[first]:,.2f}"
            )
    return problems


def _family_amounts_of_frames(
    households: pd.DataFrame,
    persons: pd.DataFrame,
    renames: Mapping[Any, Any],
    household_names: Collection[Any],
) -> list[str]:
    """:func:`family_amounts` of :meth:`Population.from_frames`' frames.

    ``household_names``: the households frame's names before ``renames``.
    """
    listed = households.columns.tolist()
    given = {
        c: households[c].to_numpy() for c in INCOME_COLUMNS if listed.count(c) == 1
    }
    if not given or "household_id" not in listed or "household_id" not in persons:
        return []
    names = {}
    for c in given:
        renamed = [k for k, v in renames.items() if v == c and k in household_names]
        names[c] = (
            f"households column {quoted(renamed[0])} (mapped to {c})"
            if renamed
            else f"households column {c!r}"
        )
    problems = family_amounts(
        households["household_id"].to_numpy(),
        given,
        persons["household_id"].to_numpy(),
        {c: persons[c].to_numpy() for c in INCOME_COLUMNS if c in persons.columns},
        names,
    )
    if not problems:
        return []
    hint = family_amount_hint("the persons frame", "the households frame")
    return ["; ".join(problems) + "; " + hint]


_READ_FROM_HOUSEHOLDS = (
    "they would not be read (household columns are read from the households "
    "frame only): add them to households, one value per household"
)


def renames_onto_ours(columns: Any, where: str) -> tuple[dict[Any, str], list[str]]:
    """Check ``columns={"theirs": "ours"}``: a mapping onto the library's columns.

    Parameters
    ----------
    columns : mapping
        The renames as given.
    where : str
        Prefix of error messages (the source or the function, or empty).

    Returns
    -------
    (dict, list of str)
        The renames as a dict, and the problem of renames onto a name that is not
        one of :data:`OUR_COLUMNS` (empty if none), for the caller to report with
        its own.

    Raises
    ------
    PopulationError
        If ``columns`` is not a mapping.
    """
    if not isinstance(columns, Mapping):
        raise PopulationError(
            f"{where}columns must be a mapping {{'theirs': 'ours'}}; got "
            f"{type(columns).__name__}"
        )
    # Only a str can name one of our columns; `in` on other values (pd.NA) may
    # not even give a bool.
    unknown = {
        k: v
        for k, v in columns.items()
        if v is not None and not (isinstance(v, str) and v in OUR_COLUMNS)
    }
    problems = []
    if unknown:
        problems.append(
            f"columns maps to unknown column(s) {quoted_mapping(unknown)}; the "
            f"library's columns are {list(OUR_COLUMNS)}, or None to leave a column "
            "unread"
        )
    monthly = {
        k: v
        for k, v in columns.items()
        if isinstance(v, str)
        and v in INCOME_COLUMNS
        and isinstance(k, str)
        and says_monthly(k)
    }
    if monthly:
        # A monthly wage read as annual puts nearly every earner under the
        # minimum wage, which then lifts them all, with no other sign.
        problems.append(
            f"columns maps {quoted_mapping(monthly)}: the name(s) say monthly amounts "
            "(or some months'), but the library reads incomes in yuan per year; "
            "convert those columns to a year's amounts before reading them (a monthly "
            "amount times 12), or rename them if they hold annual amounts"
        )
    return dict(columns), problems


#: What makes a name with "month" or 月 annual: twelve months, the factor of 12
#: applied, January to December, the whole year ("wage_past_12_months",
#: "income_12_month_total", 月工资×12, 2019年1-12月工资, 2018年1月至12月, 全年工资).
_ANNUAL_NAME = re.compile(
    r"(?<!\d)12[\s_-]*months?(?!ly)|twelve[\s_-]*months?(?!ly)|[x×*]\s*12(?!\d)"
    r"|(?<![\d.])12\s*[x×*]|from[\s_-]*monthly|annuali[sz]ed"
    r"|months?\s*1\s*(?:[-—–~～]|to)\s*12(?!\d)"
    # "1\s*(?:月\s*)?", not "1\s*月?\s*": two runs of spaces side by side
    # tried every split of a long one (16,000 spaces took 2 s).
    r"|(?<!\d)1\s*(?:月\s*)?(?:[-—–~～至到])\s*12\s*月|全年|12个月|十二个月"
)
#: Units: yuan a year or a month ("工资（元/年），每月发放" is yearly).
_YEARLY_UNIT = re.compile(r"元\s*/\s*年|per[\s_-]*year|/\s*year")
_MONTHLY_UNIT = re.compile(r"元\s*/\s*月|per[\s_-]*month|/\s*month")
#: Words for a month or a year; where both stand, the first says what the amount
#: is ("monthly wage (annual survey)", "annual sum of monthly wages"). Not half
#: a year (半年收入, semiannual).
_PERIOD_WORD = re.compile(
    r"(?P<month>每月|(?<![a-z])monthly)|(?P<year>(?<![a-z])(?:annual|yearly)|(?<!半)年收入)"
)
#: Survey abbreviations of "a month" (wage_mth, wage_pm, wage_per_mo).
_MONTH_ABBREVIATION = re.compile(r"(?<![a-z])(mth|pm|mo)(?![a-z])")
#: A monthly average stays monthly whatever period it averages
#: ("monthly_avg_wage_past_12_months", 近12个月月均工资).
_AVERAGE_NAME = re.compile(r"avg|average|mean|月均|平均")


def says_monthly(name: str) -> bool:
    """Whether a column's name (or a Stata label) says amounts of less than a year.

    ``wage_monthly``, 月养老金, ``wage_last_3_months``, 近3个月工资, 上半年收入
    (1-6月) and monthly averages do; ``wage_past_12_months``, 近12个月工资,
    月工资×12, 2019年1-12月工资 and "工资（元/年），每月发放" do not. In that
    order: an average is monthly; twelve months or the factor of 12 are a year;
    a unit (元/年, 元/月, per year, per month) says it; else the first of the
    words for a month (每月, monthly) or a year (annual, 年收入); else monthly.
    """
    key = unicodedata.normalize("NFKC", name).casefold()
    if not ("month" in key or "月" in key or _MONTH_ABBREVIATION.search(key)):
        return False
    if _AVERAGE_NAME.search(key):
        return True
    if _ANNUAL_NAME.search(key):
        return False
    if _YEARLY_UNIT.search(key):
        return False
    if _MONTHLY_UNIT.search(key):
        return True
    word = _PERIOD_WORD.search(key)
    return word is None or word.group("month") is not None


def mapped_twice(
    theirs: list[Any],
    ours: str,
    renames: Mapping[Any, Any],
    other: Collection[Any] | None = (),
) -> str:
    """The problem of several of the data's columns ``theirs`` mapping to ``ours``.

    Names a fix: read one and leave the others unread. ``columns=`` applies to
    both tables of a household and a person table, so a name left unread is
    unread in the other table too: ``other`` holds the other table's column names
    (``()`` for data of one table, None when they are not known, as for a Stata
    file read before the other). The column kept is the renamed one unless that
    leaves the other table no column for ``ours``; then one the other table reads.
    """
    known = () if other is None else other
    # The other table's columns for ours; one must stay read (there is always
    # one among theirs, or one not among them).
    sources = [c for c in known if renames.get(c, c) == ours]

    def keeps_other_whole(keep: Any) -> bool:
        return not sources or any(c == keep or c not in theirs for c in sources)

    renamed = [t for t in theirs if t in renames]
    # Not knowing the other file, keep the column already named ours: leaving
    # it unread would drop it there too, where it is likely the column.
    order = (
        [ours, *renamed] if other is None and ours in theirs else [*renamed, *theirs]
    )
    keep = next(t for t in order if keeps_other_whole(t))
    example = {keep: ours} if keep != ours else {}
    example.update({t: None for t in theirs if t != keep})
    return (
        f"columns {theirs} all map to {ours!r}; read one and leave the "
        f"others unread with None, e.g. columns={example}"
        + (
            " (columns= applies to both files: a column left unread is unread "
            "in the other file too, unless its name is prefixed with the file's, "
            "'households.' or 'persons.')"
            if other is None
            else ""
        )
    )


def _collisions(
    frame: pd.DataFrame, renames: Mapping[Any, Any], other: pd.DataFrame
) -> list[str]:
    """:func:`mapped_twice` problems of a frame's distinct columns under ``renames``.

    ``other``: the other frame, which the same renames apply to. A frame's own
    duplicate names are reported as such, not here.
    """
    found: dict[Any, list[Any]] = {}
    for name in dict.fromkeys(frame.columns):
        ours = renames.get(name, name)
        if ours is not None:
            found.setdefault(ours, []).append(name)
    return [
        mapped_twice(theirs, ours, renames, set(other.columns))
        for ours, theirs in found.items()
        if len(theirs) > 1
    ]


def _check_renames(
    columns: Any, households: pd.DataFrame, persons: pd.DataFrame, where: str
) -> dict[Any, str]:
    """:func:`renames_onto_ours` for :meth:`Population.from_frames`.

    Also refuses a name that is in neither frame (it would be ignored without a
    word); every problem is reported at once.
    """
    renames, problems = renames_onto_ours(columns, where)
    absent = [
        k for k in renames if k not in households.columns and k not in persons.columns
    ]
    if absent:
        problems.insert(
            0,
            f"columns renames {quoted_items(absent)}, which are in neither the "
            "households frame "
            f"{list(households.columns)[:20]} nor the persons frame "
            f"{list(persons.columns)[:20]}; check the spelling"
            + "".join(
                f" ({name}' index is {list(indexed)}: frame.reset_index() makes it "
                "a column)"
                for name, frame in (("households", households), ("persons", persons))
                if (indexed := [k for k in absent if k in frame.index.names])
            ),
        )
    # A households column mapped onto a person column other than an income
    # (those are compared with the persons': family amounts) would not be read:
    # person columns are read from the persons frame only.
    onto_persons = [
        k
        for k, v in renames.items()
        if is_person_only(v) and k in households.columns and k not in persons.columns
    ]
    if onto_persons:
        problems.append(
            f"columns maps households column(s) {quoted_items(onto_persons)} onto "
            f"{sorted({renames[k] for k in onto_persons})}, which are read from the "
            "persons frame only (one value per person): they would not be read; "
            "map a persons column instead"
        )
    # Two columns renamed onto one name were "duplicate columns ['wage']". Of
    # the renames onto our columns only: a list given for a name (refused
    # above) is no key, and raised a bare "unhashable type".
    renames = {
        k: v
        for k, v in renames.items()
        if v is None or (isinstance(v, str) and v in OUR_COLUMNS)
    }
    problems += [
        f"{name}: {problem}"
        for name, frame, other in (
            ("households", households, persons),
            ("persons", persons, households),
        )
        for problem in _collisions(frame, renames, other)
    ]
    if problems:
        raise PopulationError(where + "; ".join(problems))
    return renames


#: How validation messages name our columns ("households.weight").
_OUR_COLUMN_IN_MESSAGE = re.compile(r"\b(households|persons)\.([a-z_]+)\b")


def with_their_names(
    error: PopulationError, theirs: Mapping[tuple[str, str], str]
) -> PopulationError:
    """``error`` naming each renamed column by the data's name for it too.

    Validation names our columns (``households.weight``); a caller who renamed
    ``columns={"wt": "weight"}`` looks for ``wt``. ``theirs[(table, ours)]`` is
    the data's name for our column of ``table`` ("households" or "persons"); a
    column named in ``error`` reads ``column 'wt' (households.weight)``, as the
    Stata value checks name theirs.
    """

    def name(match: re.Match[str]) -> str:
        their = theirs.get((match.group(1), match.group(2)))
        if their is None:
            return match.group(0)
        named = f"column {their!r} ("
        # The Stata readers' notes already name their column so.
        if match.string.endswith(named, 0, match.start()):
            return match.group(0)
        return named + match.group(0) + ")"

    return PopulationError(_OUR_COLUMN_IN_MESSAGE.sub(name, str(error)))


def household_copy_problems(persons: pd.DataFrame, pop: Population) -> list[str]:
    """Household columns repeated on the person rows that disagree with them.

    A flat survey file passed as ``persons`` often repeats ``urban`` or ``city``;
    only the households frame is read, so a person row saying otherwise (or a
    person weight that is not the household's) would be ignored without a word.
    Values are compared as read (``"Hangzhou"`` is ``"杭州"``, 1 is True).
    """
    copies = [c for c in HOUSEHOLD_COLUMNS[1:] if c in persons.columns]
    if not copies:
        return []
    scratch: list[str] = []
    ids = _integer_column(
        "persons.household_id", persons["household_id"].to_numpy(), scratch
    )
    assert ids is not None  # from_arrays read the same column
    household = pd.Index(pop.household_id).get_indexer(ids)
    ours = {
        "weight": pop.weight,
        "urban": pop.urban,
        "city": pop.city_code,
        "stratum": pop.stratum,
        "psu": pop.psu,
    }
    problems = []
    for c in copies:
        raw = persons[c].to_numpy()
        unread: list[str] = []
        if c == "weight":
            values = _float_column("persons.weight", raw, unread, keep_nonfinite=True)
        elif c == "urban":
            values = _bool_column("persons.urban", raw, unread)
        elif c == "city":
            values = _city_column(raw, unread, "persons.city")
        else:
            values = _integer_column(f"persons.{c}", raw, unread)
        theirs = ours[c]
        # from_frames refused an optional column on the person rows only.
        assert theirs is not None
        if values is None:
            problems.append(
                f"persons repeats the household column {c!r} but it cannot be "
                "read (household columns are read from households only: drop "
                f"it from persons): {'; '.join(unread)}"
            )
            continue
        differ = values != theirs[household]
        if differ.any():
            first = int(np.flatnonzero(differ)[0])
            problems.append(
                f"persons.{c} differs from households.{c} of the person's "
                f"household at {describe_rows(differ, raw)} (the household's: "
                f"{quoted(_shown(c, theirs[household[first]]))}); household columns "
                "are read from households only: make the person rows agree, or "
                "drop or rename the column in persons"
            )
    return problems


def _shown(column: str, value: Any) -> Any:
    """A household value as a message quotes it (a city by its label)."""
    if column == "city":
        return CITY_LABELS[int(value)]
    return value.item() if isinstance(value, np.generic) else value


def with_row_note(error: PopulationError, note: str) -> PopulationError:
    """``error`` with ``note`` on how its rows count, if it names rows.

    A frame indexed by ids or filtered keeps its labels, and a Stata user counts
    observations from 1: "rows [2]" alone is read as either.
    """
    message = str(error)
    if "rows [" not in message:
        return error
    return PopulationError(f"{message} ({note})")


def renamed_columns(
    renames: Mapping[Any, str | None], names: Mapping[str, Any]
) -> dict[tuple[str, str], str]:
    """``{(table, ours): theirs}`` for :func:`with_their_names`.

    ``renames`` is ``{"theirs": "ours"}``; ``names[table]`` the names of that
    table's columns before the renames (the frame's or file's).
    """
    return {
        (table, str(ours)): str(their)
        for table, present in names.items()
        for their, ours in renames.items()
        if their in present and ours is not None and their != ours
    }


def misnamed_columns(names: Any, ours: tuple[str, ...]) -> dict[str, str]:
    """Columns named like one of ``ours`` but for case, spaces or a misspelling.

    Parameters
    ----------
    names : iterable
        A table's column names (after any renames).
    ours : tuple of str
        The library's columns that table may hold.

    Returns
    -------
    dict of str to str
        ``{"City": "city"}`` for each name that is not one of ``ours`` but equals
        one after stripping spaces, ignoring case and reading full-width letters
        as ASCII (NFKC: ``ｃｉｔｙ``), while ``ours`` itself is
        absent; and, for the optional household columns ``city`` and ``stratum``,
        a name one letter away (a letter missing, extra, changed or two swapped:
        ``cty``, ``stratm``) or a synonym (``cities``, ``city_name``,
        ``city_code``, ``city_id``, ``prefecture``, ``城市``, ``地市``, ``strata``;
        ``_SYNONYMS`` lists them). Such a column would not be
        read: an optional one would vanish without a word, every household falling
        to the province or the survey design being lost. (Required columns need no
        guessing: their absence is an error of its own.)

    Examples
    --------
    >>> misnamed_columns(["household_id", "City", " weight", "notes"],
    ...                  HOUSEHOLD_COLUMNS)
    {'City': 'city', ' weight': 'weight'}
    >>> misnamed_columns(["household_id", "weight", "urban", "cty", "strata"],
    ...                  HOUSEHOLD_COLUMNS)
    {'cty': 'city', 'strata': 'stratum'}
    """
    names = [n for n in names if isinstance(n, str)]
    present = {n for n in names if n in ours}
    found: dict[str, str] = {}
    for name in names:
        if name in ours:
            continue
        # NFKC: full-width letters (ｃｉｔｙ, as Chinese input methods type them)
        # are the same name to a reader; so is a name behind the byte-order
        # mark of an Excel "CSV UTF-8" file (_without_mark).
        key = unicodedata.normalize("NFKC", _without_mark(name)).strip().casefold()
        if key in ours and key not in present:
            found[name] = key
            continue
        for optional in _GUESSED_OPTIONAL:
            if (
                optional in ours
                and optional not in present
                and (key in _SYNONYMS[optional] or _one_edit(key, optional))
            ):
                found[name] = optional
    return found


#: Optional columns whose near misses are errors (``psu`` is too short: ``ps``,
#: ``pus`` may well be other variables), and common synonyms of each (a
#: ``cities`` column put every household in the province without a word).
_GUESSED_OPTIONAL = ("city", "stratum")
_SYNONYMS = {
    "city": (
        "cities",
        "city_name",
        "cityname",
        "city_code",
        "citycode",
        "city_id",
        "cityid",
        "prefecture",
        "prefecture_city",
        "城市",
        "地市",
        "地级市",
        "市",
        "所在城市",
        "城市名称",
    ),
    "stratum": ("strata",),
}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter missing, extra, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _multiindex_problem(name: str, frame: pd.DataFrame) -> str | None:
    """Why a frame with column levels cannot be read (checked before renames)."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return None
    return (
        f"{name} has MultiIndex columns (first: {list(frame.columns[:3])}); "
        "names must be single strings: flatten them (frame.columns = "
        "frame.columns.get_level_values(0), or join the levels)"
    )


def _index_problem(
    name: str, frame: pd.DataFrame, ours: tuple[str, ...], renames: Mapping[Any, Any]
) -> list[str]:
    """A column of ours, under our name or one mapped onto it, held as the index.

    Only when the frame lacks that column of ours: an id kept as both index and
    column, or another frame's index of the mapped name, is no problem.
    """
    in_index = [
        n
        for n in frame.index.names
        if (target := n if n in ours else renames.get(n)) in ours
        and target not in frame.columns
        and n not in frame.columns
    ]
    if not in_index:
        return []
    return [
        f"{name} has {in_index} as its index, not as column(s); "
        "frame.reset_index() makes them columns"
    ]


def _without_mark(name: str) -> str:
    r"""``name`` without a leading byte-order mark, read as such or misread.

    An Excel "CSV UTF-8" file begins with the bytes EF BB BF: read as UTF-8
    without utf-8-sig they are '\ufeff', as latin-1 'ï»¿', as GB18030 the
    first letters run into them ('锘縞ity').
    """
    if name.startswith("\ufeff"):
        return name[1:]
    for encoding in ("latin-1", "cp1252", "gb18030"):
        try:
            raw = name.encode(encoding)
        except UnicodeEncodeError:
            continue
        if raw.startswith(b"\xef\xbb\xbf"):
            return raw[3:].decode(encoding, errors="replace")
    return name


def misnamed_problem(misnamed: Mapping[str, str]) -> str:
    """The message for :func:`misnamed_columns`' result (without a prefix)."""
    mark = [name for name in misnamed if _without_mark(str(name)) != name]
    return (
        f"has column(s) {list(misnamed)}, which look like the library's "
        f"{sorted(set(misnamed.values()))} (case, full-width letters, surrounding "
        "spaces, one letter or a synonym"
        + (
            f"; {mark} begin with a byte-order mark, read as text: read the CSV "
            "they came from as UTF-8 with encoding='utf-8-sig'"
            if mark
            else ""
        )
        + ") and would not be read (names are exact); "
        "map them with "
        f"columns={dict(misnamed)!r}, or leave them unread with "
        f"columns={dict.fromkeys(misnamed)!r}"
    )


def _as_array(name: str, values: Any, problems: list[str]) -> np.ndarray:
    """``values`` as an array; masked entries become None, to be reported missing.

    ``np.asarray`` dropped a masked array's mask (its masked values were read as
    data) and raised a bare ValueError for ragged lists.
    """
    try:
        return masked_as_missing(values)
    except (TypeError, ValueError) as exc:
        problems.append(
            f"{name} must be a one-dimensional array of values; cannot make an "
            f"array of it (ragged or nested values? {str(exc).split('. ')[0]})"
        )
        return np.empty(0)


def series_index_problem(
    name: str, series: pd.Series, household_id: np.ndarray
) -> list[str]:
    """A problem if a Series of household values is not labelled by position or id.

    The labels must be the positions 0 … n-1 in order, or the household ids in
    the population's order. Values are paired with households by position; a
    Series keyed by household id in another order
    (``df.set_index("household_id")["w"]`` of a sorted frame), or by positions
    in another order (``df.sort_values(...)["w"]``), gave each household
    another's value (``with_weights``' weights, ``bootstrap``'s strata and PSUs).
    """
    index = series.index
    n = household_id.shape[0]
    if len(index) != n:
        return []  # a length mismatch is the shape's problem
    labels = index.to_numpy()
    if np.array_equal(labels, household_id):
        return []  # keyed by household id, in the population's order
    sorted_ids = np.sort(household_id)
    ids_are_positions = bool(np.array_equal(sorted_ids, np.arange(n)))
    if index.equals(pd.RangeIndex(n)):
        if not ids_are_positions:
            return []  # positions, in order
        return [
            f"{name} is a pandas Series labelled 0–{n - 1}, which are both the "
            "households' positions and, in another order, their household_id: "
            f"pass {name}.to_numpy() to pair the values by position, or "
            f"{name}.reindex(population.household_id).to_numpy() to pair them by "
            "household id"
        ]
    shown = quoted(index[:3].tolist())
    if not ids_are_positions and _same_labels(index, np.arange(n)):
        return [
            f"{name} is a pandas Series whose index holds the positions 0–{n - 1} "
            f"in another order (first labels {shown}; a sorted frame's column?): "
            f"pass {name}.sort_index().to_numpy() to pair the values with the "
            "households by position"
        ]
    if _same_labels(index, household_id):
        return [
            f"{name} is a pandas Series keyed by household_id in another order than "
            f"the population's (first labels {shown}): pass "
            f"{name}.reindex(population.household_id).to_numpy() to pair the "
            "values by household id"
        ]
    return [
        f"{name} is a pandas Series whose index is neither the households' "
        f"positions 0–{n - 1} nor their household_id (first labels {shown}); "
        f"values are paired by position: pass {name}.to_numpy() to do so, or "
        "index the Series by household_id"
    ]


def _misaligned_series(table: str, columns: Any) -> list[str]:
    """A problem if the pandas Series among ``columns`` have different indexes.

    The columns are paired by position; Series with the same labels in another
    order (taken from differently sorted frames) were paired silently, where
    pandas would align them by label: a household got another's weight.
    """
    series = [(k, v) for k, v in columns.items() if isinstance(v, pd.Series)]
    if not series:
        return []
    first, index = series[0][0], series[0][1].index
    differ = [k for k, v in series[1:] if not v.index.equals(index)]
    if not differ:
        return []
    return [
        f"{table}: the pandas Series {differ} have another index than {first!r}; "
        "columns are paired by position, so pass Series with one index (e.g. "
        "reset_index(drop=True) each, or columns of one DataFrame) or arrays"
    ]


def _series_beside_arrays(table: str, columns: Any) -> list[str]:
    """A problem if a pandas Series beside arrays is labelled in another order.

    Columns are paired by position. Series of one index among themselves are the
    columns of one frame (:func:`_misaligned_series`), but a Series given beside
    arrays has nothing to be compared with: a household column keyed by
    household id in another order (``persons.groupby("household_id")["w"].first()``
    beside ``households["household_id"].to_numpy()``), or a column of a
    re-sorted frame, paired each row with another's value without a word.
    Unless ``household_id`` is a Series too (the others then share its index),
    such a Series is refused when its labels are the households' ids in another
    order (or are ambiguous: :func:`series_index_problem`), or are integers out
    of increasing order. Labels that say no order (a filtered frame's, text) are
    taken as the rows' positions.
    """
    series = [(k, v) for k, v in columns.items() if isinstance(v, pd.Series)]
    ids = columns.get("household_id")
    if not series or len(series) == len(columns) or isinstance(ids, pd.Series):
        # Series of the ids' index are the ids' frame's columns (one index).
        return []
    try:
        ids = np.asarray(ids)
    except (TypeError, ValueError):
        ids = np.empty(0)  # the ids' own problem, reported with the arrays'
    problems = []
    for k, v in series:
        if k == "household_id":
            continue
        labels = v.index
        if table == "households" and ids.ndim == 1 and _same_labels(labels, ids):
            # Keyed by household id (in order: fine), or by positions that are
            # also the ids in another order (ambiguous).
            problems += [f"{table}.{p}" for p in series_index_problem(k, v, ids)]
        elif labels.inferred_type == "integer" and not labels.is_monotonic_increasing:
            problems.append(
                f"{table}.{k} is a pandas Series whose labels are out of order "
                f"(first labels {quoted(labels[:3].tolist())}; a re-sorted frame's "
                "column?) beside columns given as arrays; columns are paired by "
                f"position: pass {k}.sort_index().to_numpy() to restore the "
                f"frame's order, or {k}.to_numpy() to pair the values as they stand"
            )
    return problems


def _same_labels(labels: pd.Index, values: np.ndarray) -> bool:
    """Whether ``labels`` hold ``values``, in any order."""
    if len(labels) != values.shape[0]:
        return False
    try:
        return bool(
            pd.Index(labels.to_numpy()).sort_values().equals(pd.Index(np.sort(values)))
        )
    except TypeError:  # labels of kinds that do not sort together
        return False


def _common_length(
    name: str, table: Mapping[str, np.ndarray], problems: list[str]
) -> int:
    lengths = {k: (v.shape[0] if v.ndim == 1 else -1) for k, v in table.items()}
    if any(v < 0 for v in lengths.values()):
        bad = [k for k, v in lengths.items() if v < 0]
        problems.append(f"{name} columns {bad} must be one-dimensional")
        return 0
    distinct = set(lengths.values())
    if len(distinct) > 1:
        problems.append(f"{name} columns have different lengths: {lengths}")
        return 0
    return distinct.pop() if distinct else 0


#: A number written with thousands separators ("12,345.00", "-1,000").
_THOUSANDS = re.compile(r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*")


def _text_number_hint(values: np.ndarray) -> str:
    """How to read numbers written with thousands separators, or "".

    Only when every text value is a plain number or one with separators ("12,5",
    a decimal comma, would read ten times too large without its comma).
    """
    text = [v for v in values.tolist() if isinstance(v, str)]
    separated = [v for v in text if _THOUSANDS.fullmatch(v)]
    if not separated:
        return ""
    plain = [v for v in text if not _THOUSANDS.fullmatch(v)]
    if plain and pd.to_numeric(pd.Series(plain), errors="coerce").isna().any():
        return ""
    return (
        f"; numbers written with thousands separators (e.g. {separated[0]!r}): "
        "convert the column with pandas.to_numeric(column.astype(str)"
        ".str.replace(',', '')), or read the sheet with read_excel(..., "
        "thousands=',')"
    )


def _text_id_hint(name: str, values: np.ndarray) -> str:
    """How to turn text household ids into numbers (empty for other columns).

    Survey files often store ids as text; the library keys households by numbers
    (they also seed each household's claim draw), so the user must convert them,
    consistently in both tables.
    """
    if not name.endswith("household_id"):
        return ""
    text = [v for v in values.tolist() if isinstance(v, str)]
    if not text:
        return ""
    digits = [v.strip().lstrip("+-") for v in text]
    if all(v.isdigit() for v in digits):
        zeros = any(len(v) > 1 and v[0] == "0" for v in digits)
        return (
            "; the ids are digits stored as text: convert both tables' "
            "household_id with pandas.to_numeric"
            + (
                " (ids differing only in leading zeros, '0101' and '101', then "
                "become one: check they stay unique)"
                if zeros
                else ""
            )
            + _FILE_ID_NOTE
        )
    return (
        "; text ids must be numbered the same way in both tables, e.g. "
        "codes = {v: k for k, v in enumerate(households['household_id'])}, then "
        "household_id = column.map(codes) in each" + _FILE_ID_NOTE
    )


#: For the file readers, which take no tables the user could convert.
_FILE_ID_NOTE = (
    "; from a file, read it with pandas (read_stata, read_parquet), convert the "
    "ids there and pass the frames to Population.from_frames"
)


def _float_column(
    name: str,
    values: np.ndarray,
    problems: list[str],
    keep_nonfinite: bool = False,
    amount: bool = False,
) -> np.ndarray | None:
    """A column as float64, or None after appending its problems.

    ``amount``: yuan or households represented, refused when stored as float16
    with a value it holds only rounded (see :func:`_float16_amount_problem`).
    """
    # Real numbers only: kind i/u/f, or objects holding numbers. Booleans, complex
    # numbers (the imaginary part would be dropped), timedeltas (nanoseconds would
    # be read as yuan) and strings (even "60000") are a wrong dtype.
    if values.dtype.kind not in "iufO":
        hint = _text_id_hint(name, values)
        problems.append(f"{name} must be numeric; got dtype {values.dtype}{hint}")
        return None
    if values.dtype == object:
        # One pass over the objects: 1 for no number, 2 for a signalling
        # Decimal NaN (pd.isna raises decimal.InvalidOperation on it: a missing
        # value like the quiet one).
        not_numbers = (*_NOT_NUMBERS, bool, np.bool_)
        kind = np.fromiter(
            (
                1
                if isinstance(v, not_numbers)
                else 2
                if isinstance(v, decimal.Decimal) and v.is_snan()
                else 0
                for v in values
            ),
            dtype=np.int8,
            count=values.shape[0],
        )
        wrong = kind == 1
        if wrong.any():
            hint = _text_id_hint(name, values[wrong]) or _text_number_hint(
                values[wrong]
            )
            problems.append(
                f"{name} must be numeric (not text, booleans, complex numbers, "
                f"dates or durations); {describe_rows(wrong, values)}{hint}"
            )
            return None
        snan = kind == 2
        if snan.any():
            values = values.copy()
            values[snan] = np.nan
        # pd.NA (a nullable column gone through object) cannot become a float; it
        # is a missing value, reported with its rows below like NaN and None.
        values = np.where(pd.isna(values), np.nan, values)
    huge = beyond_float64(values)
    if huge is not None and huge.any():
        problems.append(
            f"{name} holds numbers too large for a float (beyond ±1.8e308); "
            f"{describe_rows(huge, values)}"
        )
        return None
    try:
        out = np.array(values, dtype=np.float64)
    except OverflowError:
        # A Python int (or Decimal) beyond float64's range, e.g. 10**400: our
        # error with its rows, not a raw OverflowError.
        huge = np.fromiter(
            (_float_error(v) == "overflow" for v in values),
            dtype=bool,
            count=values.shape[0],
        )
        problems.append(
            f"{name} holds numbers too large for a float (beyond ±1.8e308); "
            f"{describe_rows(huge)}"
        )
        return None
    except (TypeError, ValueError):
        # Lists, dicts, pd.Timedelta ...: name the rows and a value.
        wrong = np.fromiter(
            (_float_error(v) == "no number" for v in values),
            dtype=bool,
            count=values.shape[0],
        )
        where = describe_rows(wrong, values) if wrong.any() else f"dtype {values.dtype}"
        problems.append(f"{name} must be numeric; {where}")
        return None
    if amount:
        problem = _float16_amount_problem(name, values, out)
        if problem:
            problems.append(problem)
            return None
    bad = ~np.isfinite(out)
    if bad.any():
        problems.append(
            f"{name} must be finite (no missing values, NaN or inf); "
            f"{describe_rows(bad, out)}"
        )
        # keep_nonfinite: the caller checks the finite rows' range too, so that
        # a column's problems are all reported at once.
        return out if keep_nonfinite else None
    return out


def _float16_amount_problem(
    name: str, values: np.ndarray, out: np.ndarray
) -> str | None:
    """The problem of amounts a float16 storage may have rounded, or None.

    float16 keeps 11 significant bits: from 2,048 up its values are 2, 4, ... 32
    apart (a wage of 40,215 is stored as 40,224) and above 65,504 it holds only
    inf. Below 2,048 every whole number is exact (a column of whole yuan, or of
    whole weights, is as given); fractions were rounded to about 3 figures
    there too, which a column's values cannot show. NaN is left to the finite
    check (a missing value, not a rounding).
    """
    # The ids' check of narrow floats: inf too (a value beyond 65,504), not NaN.
    rounded = _narrow_float_rounded(values, out)
    if rounded is None or rounded[1] != np.float16:
        return None
    above = rounded[0]
    limit = _NARROW_FLOAT_EXACT[np.dtype(np.float16)]
    return (
        f"{name} is stored as float16 (2 bytes), which holds values of "
        f"{limit:,.0f} or more in magnitude only in steps of 2 to 32 (above 65,504 "
        "only as inf), so they may have been rounded when stored: "
        f"{describe_rows(above, out)}; store the column as float64 (or float32) "
        "from the original data"
    )


#: A narrow float holds every integer up to these exactly, not every one above.
_NARROW_FLOAT_EXACT: dict[np.dtype[Any], float] = {
    np.dtype(np.float16): 2.0**11,
    np.dtype(np.float32): 2.0**24,
}


def _narrow_float_rounded(
    values: np.ndarray, out: np.ndarray
) -> tuple[np.ndarray, np.dtype[Any]] | None:
    """Rows whose whole number a float16/float32 storage may have rounded.

    Returns ``(rows, dtype)``, or None if no value is stored so. Object columns
    (a Stata column with value labels, a recode or an encoding) keep each stored
    value's NumPy type, so their float32 values are found one by one.
    """
    limit = _NARROW_FLOAT_EXACT.get(values.dtype)
    if limit is not None:
        # At the limit too: float32 stores 2^24 + 1 as 2^24 (ties to even).
        above = np.abs(out) >= limit
        return (above, values.dtype) if above.any() else None
    if values.dtype != object:
        return None
    for dtype, limit in _NARROW_FLOAT_EXACT.items():
        above = np.fromiter(
            (
                isinstance(v, np.floating) and v.dtype == dtype and abs(v) >= limit
                for v in values
            ),
            dtype=bool,
            count=values.shape[0],
        )
        if above.any():
            return above, dtype
    return None


def narrow_float_id_problem(name: str, values: np.ndarray) -> str | None:
    """The problem of ids a float16/float32 storage may have rounded, or None.

    For readers that group rows by id before :meth:`Population.from_arrays`
    checks the column: ids rounded to one value grouped two households into one,
    and the disagreeing weights or cities were blamed instead.
    """
    if values.dtype not in _NARROW_FLOAT_EXACT and values.dtype != object:
        return None  # int64 or float64 ids: nothing was rounded in storage
    try:
        as_float = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None  # from_arrays names what is not a number
    if _narrow_float_rounded(values, as_float) is None:
        return None
    problems: list[str] = []
    _integer_column(name, values, problems)
    return "; ".join(problems) or None


def _integer_column(
    name: str, values: np.ndarray, problems: list[str], allowed: str = ""
) -> np.ndarray | None:
    """Whole numbers of a column as int64, or None after appending problems.

    ``allowed`` (e.g. ``"in 0–120"``) is the range quoted for values beyond
    ±2^53; ids and codes, which have no narrower range, quote ±2^53.
    """
    out = _float_column(name, values, problems)
    if out is None:
        return None
    exact = values.dtype == object
    wide = wider_than_float64(values)
    if exact:
        # Python ints, Decimals (Parquet decimal columns) and Fractions are exact:
        # check them as they are. As floats, id 2^53 + 1 becomes 2^53 (another
        # household's id, so persons would join the wrong household) and
        # Decimal("1.0000000000000001") becomes 1. Python compares int, float,
        # Decimal and Fraction exactly with each other.
        fractional = np.fromiter(
            (v != int(v) for v in values), dtype=bool, count=values.shape[0]
        )
    elif wide:
        # In the stored precision: as float64, 1 + 2^-60 was 1 and 2^53 + 1 was
        # 2^53 (another household's id).
        fractional = values != np.round(values)
    else:
        fractional = out != np.round(out)
    if fractional.any():
        problems.append(
            f"{name} must hold whole numbers; "
            f"{describe_rows(fractional, values if exact or wide else out)}"
        )
        return None
    rounded = _narrow_float_rounded(values, out)
    if rounded is not None:
        # Stata's generate makes 4-byte floats unless told otherwise; 9-digit
        # survey ids saved so were rounded (to even, then to 4, 8 ...) and
        # distinct households may have become one before the file was written.
        above, dtype = rounded
        limit: float | str  # a number here, the message's text below
        limit = _NARROW_FLOAT_EXACT[dtype]
        stored = (
            "float32 (4 bytes, Stata's float)"
            if dtype == np.float32
            else "float16 (2 bytes)"
        )
        problems.append(
            f"{name} is stored as {stored}, which holds whole numbers exactly only "
            f"below {limit:,.0f} ({limit + 1:,.0f} is stored as {limit:,.0f}); "
            f"{limit:,.0f} or more in magnitude at {describe_rows(above, out)}. Such "
            "values were rounded when stored, "
            "so distinct codes may have become one: store the column as int64 or "
            "float64 from the original data (Stata: long or double)"
        )
        return None
    if np.issubdtype(values.dtype, np.integer):
        # Compare and quote the stored integers: as floats, 2^53 + 1 would pass and
        # int64 max would be quoted rounded (9.223372036854776e+18).
        big = (values > 2**53) | (values < -(2**53))
        shown = values
    elif exact:
        # A float among the objects (a Python or NumPy float) at 2^53 may be a
        # rounded 2^53 + 1, as in a float64 column.
        big = np.fromiter(
            (
                cast(float, abs(v)) >= 2**53
                if isinstance(v, float | np.floating)
                else abs(v) > 2**53
                for v in values
            ),
            dtype=bool,
            count=values.shape[0],
        )
        shown = values
    elif wide:
        big = np.abs(values) > 2**53
        shown = values
    else:
        # Stored as float64, 2^53 itself may be a rounded 2^53 + 1 (ties to
        # even): two households' ids may have become one.
        big = np.abs(out) >= 2.0**53
        shown = out
    if big.any():
        limit = "within ±2^53 (9007199254740992)"
        floats = not (exact or wide or np.issubdtype(values.dtype, np.integer)) or (
            exact and any(isinstance(v, float | np.floating) for v in values[big])
        )
        if floats:
            limit += (
                ", and below it in magnitude when stored as a float (a float "
                "2^53 may be a rounded 2^53 + 1: store ids as int64)"
            )
        problems.append(
            f"{name} must be {allowed or limit}; {describe_rows(big, shown)}"
        )
        return None
    if np.issubdtype(values.dtype, np.integer):
        return np.array(values, dtype=np.int64)
    if exact:
        return np.array([int(v) for v in values], dtype=np.int64)
    return out.astype(np.int64)


def _bool_column(
    name: str, values: np.ndarray, problems: list[str]
) -> np.ndarray | None:
    if values.dtype == bool:
        return np.array(values, dtype=bool)
    # Not complex: NumPy would drop the imaginary part with only a warning.
    if values.dtype.kind in "iuf" or values.dtype == object:
        try:
            numeric = np.array(values, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            # Text ("yes"), pd.NA, 10**400 ...: find the rows element by element, so the
            # message names them and a value rather than only "dtype object".
            numeric = np.fromiter(
                (_as_float(v) for v in values), dtype=np.float64, count=len(values)
            )
        bad = ~np.isin(numeric, (0.0, 1.0))
        if values.dtype == object:
            # Text is a wrong type, as in numeric columns: "1" passed float() while
            # "yes" and "True" did not, so a text column was half read.
            bad |= np.fromiter(
                (isinstance(v, _NOT_NUMBERS) or not _exactly_0_or_1(v) for v in values),
                dtype=bool,
                count=len(values),
            )
        if not bad.any():
            return cast(np.ndarray, numeric == 1.0)
        problems.append(
            f"{name} must be boolean (True/False or 1/0); " + describe_rows(bad, values)
        )
        return None
    problems.append(
        f"{name} must be boolean (True/False or 1/0); got dtype {values.dtype}"
    )
    return None


def _exactly_0_or_1(value: Any) -> bool:
    """Whether ``value`` equals 0 or 1 exactly, not only as the nearest float.

    ``Decimal("1.0000000000000001")`` is no 1, as whole-number columns compare.
    """
    try:
        return bool(value == 0 or value == 1)
    except (TypeError, ValueError):  # pd.NA's truth value
        return False


def _as_float(value: Any) -> float:
    """``float(value)``, or NaN for a value that has no float (text, pd.NA, 10**400)."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def _float_error(value: Any) -> str | None:
    """Why ``float(value)`` fails, or None when it does not.

    "no number" (a list, a dict, text) or "overflow" (a Python int or Decimal
    beyond ±1.8e308).
    """
    try:
        float(value)
    except (TypeError, ValueError):
        return "no number"
    except OverflowError:
        return "overflow"
    return None


def city_name(value: Any) -> Any:
    """Normalise a city in pinyin or with a suffix (``"Hangzhou Shi"``) to its label.

    Every reader accepts the same spellings: Chinese with or without ``市``
    (spaces allowed, ``"杭州 市"``), English or pinyin in any case, with or
    without tone marks, ``Shi`` or ``City``; but the falling tone on the first
    syllable of Taizhou (``Tàizhōu``) names Jiangsu's 泰州, not ours, 台州
    (Tāizhōu). Values that are not recognised are returned unchanged,
    for :meth:`Population.from_arrays` to report.

    Examples
    --------
    >>> city_name("Hangzhou Shi"), city_name("杭州 市"), city_name("Lìshuǐ")
    ('杭州', '杭州', '丽水')
    """
    if not isinstance(value, str) or value in CITY_LABELS:
        return value
    toned, text = _spelling(value)
    if _jiangsu_taizhou(toned, text):
        return value
    for suffix in ("市", "city", "shi"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    text = text.replace(" ", "").replace("-", "")
    for label, english in CITY_NAMES_EN.items():
        if text in (label, english.casefold()):
            return label
    return value


def _spelling(value: str) -> tuple[str, str]:
    """``value`` stripped, NFKD and casefolded: with its tone marks, and without."""
    toned = unicodedata.normalize("NFKD", value.strip()).casefold()
    return toned, "".join(ch for ch in toned if not unicodedata.combining(ch))


def _jiangsu_taizhou(toned: str, text: str) -> bool:
    """Whether a toned spelling names 泰州 (Tàizhōu, Jiangsu), not our 台州 (Tāizhōu).

    ``toned``: NFKD and casefolded; ``text``: the same without tone marks. Only
    the falling tone on the first syllable names 泰州: plain ``Taizhou``,
    ``Taizhōu`` and ``Táizhōu`` stay ours.
    """
    squeezed = toned.replace(" ", "").replace("-", "")
    if not text.replace(" ", "").replace("-", "").startswith("taizhou"):
        return False
    first = squeezed[: squeezed.find("z")]
    # 泰 is tài; 台 is tāi (or tái, as in 台湾): only the falling tone is Jiangsu's.
    return "\u0300" in first


def group_codes(
    values: Any, use_na_sentinel: bool
) -> tuple[np.ndarray | None, Any, np.ndarray | None]:
    """``pandas.factorize(values)`` and the rows it cannot group.

    Returns ``(codes, uniques, None)``, or ``(None, None, nested)`` when cells
    hold lists, dicts or arrays (a nested Parquet column), ``nested`` their
    mask: pandas raised a bare "unhashable type". The cells are looked at only
    then (a Python loop over 1e7 city names took 0.57 s).
    """
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=use_na_sentinel)
    except TypeError:
        cells = np.asarray(values, dtype=object)
        nested = np.zeros(cells.shape[0], dtype=bool)
        for i, v in enumerate(cells):
            try:
                hash(v)
            except TypeError:
                nested[i] = True
        if not nested.any():
            raise
        return None, None, nested
    return codes, uniques, None


def _city_column(
    values: np.ndarray, problems: list[str], name: str = "households.city"
) -> np.ndarray | None:
    """City codes of ``values``, or None after a message naming the column ``name``."""
    position, uniques, nested = group_codes(
        pd.Series(values, dtype=object), use_na_sentinel=True
    )
    if nested is not None:
        problems.append(
            f"{name} must be one city name per household (not a list, "
            f"dict or array): {describe_rows(nested, values)}"
        )
        return None
    position = cast(np.ndarray, position)  # codes: None only with nested
    mapping = np.empty(len(uniques), dtype=np.int64)
    unknown_codes: list[int] = []
    for u, raw in enumerate(uniques):
        if not isinstance(raw, str):
            mapping[u] = -1
        elif raw in CITY_LABELS:
            mapping[u] = CITY_LABELS.index(raw)
        else:
            label = _known_label(city_name(raw))
            mapping[u] = -1 if label is None else CITY_LABELS.index(label)
        if mapping[u] < 0:
            unknown_codes.append(u)
    # Rows and hints of the names shown only: found for every unknown name, they
    # took 39 s at 2e5 households of distinct unknown names (a village column
    # read as the city).
    unknown: list[str] = []
    for u in unknown_codes[:5]:
        raw = uniques[u]
        rows = np.flatnonzero(position == u)[:5].tolist()
        hint = ""
        if isinstance(raw, str) and _jiangsu_taizhou(*_spelling(raw)):
            hint = " (泰州 in Jiangsu; Zhejiang's 台州 is Tāizhōu)"
        elif isinstance(raw, str):
            hint = _misdecoded_city(raw)
        unknown.append(f"{quoted(raw)}{hint} at rows {rows}")
    if len(unknown_codes) > 5:
        unknown.append(f"{len(unknown_codes) - 5:,} more unknown values")
    if any(
        not isinstance(v := uniques[u], str | bool) and v in _ADMINISTRATIVE_CITY_CODES
        for u in unknown_codes[:5]
    ):
        # GB/T 2260 codes (330100 for 杭州) read from a CSV or Parquet file.
        unknown.append(
            "numeric codes: map GB/T 2260 codes to names first, e.g. "
            "households['city'].map(commonprosperity.survey."
            "ADMINISTRATIVE_CITY_CODES)"
        )
    missing = position < 0
    if missing.any():
        unknown.append(f"missing values at {describe_rows(missing)}")
    if unknown:
        problems.append(
            f"{name} must be one of the 11 prefecture-level cities "
            f"({', '.join(CITIES)}; English names accepted) or {PROVINCE!r}; got "
            + "; ".join(unknown)
        )
        return None
    return cast(np.ndarray, mapping[position])


#: How a city's text is misread: (encoding it was read in, encoding it is in).
_MISREADINGS = (
    ("latin-1", "gbk"),  # a GBK CSV read as latin-1: 'º¼ÖÝ' for 杭州
    ("cp1252", "gbk"),
    ("latin-1", "utf-8"),
    ("cp1252", "utf-8"),
    ("gbk", "utf-8"),  # a UTF-8 file read as GBK: '鏉窞'
)


def _misdecoded_city(text: str) -> str:
    """A hint when ``text`` is a city read in the wrong encoding, else ""."""
    if "\ufffd" in text:
        return (
            " (holds the replacement character '\ufffd': text read in the wrong "
            "encoding; read the file with its own, e.g. encoding='gbk' or 'utf-8')"
        )
    for read_as, written_in in _MISREADINGS:
        try:
            decoded = text.encode(read_as).decode(written_in)
            city = city_label(city_name(decoded))
        except (UnicodeError, PopulationError):
            continue
        if decoded == text or city not in CITY_LABELS:
            continue
        return (
            f" ({city} read in the wrong encoding: read the file with "
            f"encoding={written_in!r})"
        )
    return ""


_HOUSEHOLD_ARRAYS = {
    "household_id": np.int64,
    "weight": np.float64,
    "urban": np.bool_,
    "city_code": np.int64,
}
_PERSON_ARRAYS = {
    "age": np.int64,
    "employed": np.bool_,
    **dict.fromkeys(INCOME_COLUMNS, np.float64),
}


def _invariant_problems(pop: Population) -> list[str]:
    """What a :class:`Population`'s arrays break of its documented invariants."""
    arrays = {
        **_HOUSEHOLD_ARRAYS,
        "offsets": np.int64,
        **_PERSON_ARRAYS,
        **({} if pop.stratum is None else {"stratum": np.int64}),
        **({} if pop.psu is None else {"psu": np.int64}),
    }
    problems = []
    for name, dtype in arrays.items():
        a = getattr(pop, name)
        if not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype != dtype:
            got = (
                f"{a.ndim}-D {a.dtype} array"
                if isinstance(a, np.ndarray)
                else type(a).__name__
            )
            problems.append(
                f"{name} must be a 1-D numpy array of {np.dtype(dtype)}; got {got}"
            )
    problems += _label_problems(pop.year, pop.source)
    if problems:
        return problems
    n, m = pop.weight.shape[0], pop.age.shape[0]
    for name in (*_HOUSEHOLD_ARRAYS, "stratum", "psu"):
        a = getattr(pop, name)
        if a is not None and a.shape[0] != n:
            problems.append(f"{name} has {a.shape[0]} rows, weight {n}")
    for name in _PERSON_ARRAYS:
        if getattr(pop, name).shape[0] != m:
            problems.append(f"{name} has {getattr(pop, name).shape[0]} rows, age {m}")
    offsets = pop.offsets
    if offsets.shape[0] != n + 1 or n == 0 or offsets[0] != 0 or offsets[-1] != m:
        problems.append(
            f"offsets must run from 0 to the {m} persons in {n} + 1 entries; "
            f"got {offsets.shape[0]} entries from "
            f"{offsets[0] if offsets.size else None} to "
            f"{offsets[-1] if offsets.size else None}"
        )
    else:
        size = np.diff(offsets)
        bad = (size < 1) | (size > MAX_HOUSEHOLD_SIZE)
        if bad.any():
            problems.append(
                f"every household must have 1–{MAX_HOUSEHOLD_SIZE} persons "
                f"(offsets increasing); {describe_rows(bad, size)}"
            )
    bad = (pop.city_code < 0) | (pop.city_code >= len(CITY_LABELS))
    if bad.any():
        problems.append(
            f"city_code must index CITY_LABELS (0–{len(CITY_LABELS) - 1}); "
            f"{describe_rows(bad, pop.city_code)}"
        )
    problems += _id_problems(pop.household_id)
    incomes = {c: getattr(pop, c) for c in INCOME_COLUMNS}
    return problems + _value_problems(pop.weight, pop.age, incomes)


def _id_problems(ids: np.ndarray) -> list[str]:
    """Household ids outside ±2^53 or not unique (the constructors' rules).

    Two rows of one id are one household to the survey writer and reader (they
    were merged on a round trip). Increasing ids (every built population's) are
    unique without a hash table.
    """
    if ids.shape[0] and (ids.min() < -(2**53) or ids.max() > 2**53):
        big = (ids > 2**53) | (ids < -(2**53))
        return [
            f"household_id must be within ±2^53 (9007199254740992); "
            f"{describe_rows(big, ids)}"
        ]
    dup = _duplicated(ids)
    return [_duplicate_ids_problem("", ids, dup)] if dup.any() else []


def _duplicated(ids: np.ndarray) -> np.ndarray:
    """Whether each id repeats an earlier one; no hash table for increasing ids."""
    if strictly_increasing(ids):
        return np.zeros(ids.shape[0], dtype=bool)
    return cast(np.ndarray, pd.Index(ids).duplicated())


def _duplicate_ids_problem(table: str, ids: np.ndarray, dup: np.ndarray) -> str:
    where = describe_rows(dup, ids)
    return f"{table}household_id must be unique; duplicated at {where}"


def _value_problems(
    weight: np.ndarray | None,
    age: np.ndarray | None,
    incomes: Mapping[str, np.ndarray | None],
    nonfinite_reported: bool = False,
) -> list[str]:
    """Weights, ages and incomes out of their ranges (columns that are None skip).

    With ``nonfinite_reported`` the NaN and infinite values (already named as
    not finite) are left out, so that each is reported once.

    Each column's least and largest value are looked at first (a NaN shows in
    both), and its rows only when they fall outside: every Population checks
    its arrays, and the masks cost 44 ms at 1e6 households, the extremes 4 ms.
    """
    if (
        _within(weight, MIN_WEIGHT, MAX_WEIGHT)
        and _within(age, 0, MAX_AGE)
        and all(
            _within(v, -MAX_INCOME if c == "business" else 0.0, MAX_INCOME)
            for c, v in incomes.items()
        )
    ):
        return []
    problems = []
    finite = np.isfinite if nonfinite_reported else _everywhere
    if weight is not None:
        bad = ~(weight > 0) & finite(weight)
        if bad.any():
            problems.append(
                "households.weight must be > 0 for every row; "
                + describe_rows(bad, weight)
            )
        tiny = (weight > 0) & (weight < MIN_WEIGHT)
        if tiny.any():
            problems.append(
                f"households.weight must be at least {MIN_WEIGHT:g} (smaller weights "
                "lose digits in the weighted sums; scale all weights up alike); "
                + describe_rows(tiny, weight)
            )
        big = (weight > MAX_WEIGHT) & finite(weight)
        if big.any():
            problems.append(
                f"households.weight must be <= {MAX_WEIGHT:g}; "
                + describe_rows(big, weight)
            )
    if age is not None:
        bad = (age < 0) | (age > MAX_AGE)
        if bad.any():
            problems.append(
                f"persons.age must be in 0–{MAX_AGE}; {describe_rows(bad, age)}"
            )
    for c, values in incomes.items():
        if values is None:
            continue
        if c != "business":
            neg = (values < 0) & finite(values)
            if neg.any():
                # CFPS's -8 不适用 and -9 缺失 in a wage read as -8 yuan, with no
                # word that they are codes to map.
                codes = np.isin(values[neg], SPECIAL_CODES).all()
                problems.append(
                    f"persons.{c} must be >= 0 (only business income may be "
                    f"negative); {describe_rows(neg, values)}"
                    + (
                        " (survey codes? CFPS: -1 don't know, -2 refused, -8 not "
                        "applicable, -9 missing: map them to amounts, with "
                        "read_stata's recode= or before from_frames)"
                        if codes
                        else ""
                    )
                )
        # not <= : a NaN is out of range too
        big = ~(np.abs(values) <= MAX_INCOME) & finite(values)
        if big.any():
            problems.append(
                f"persons.{c} must be finite and within ±{MAX_INCOME:g} yuan per "
                f"year; {describe_rows(big, values)}"
            )
    return problems


def _everywhere(values: np.ndarray) -> np.ndarray:
    """All rows: :func:`_value_problems` reports NaN and inf as out of range too."""
    return np.ones(values.shape, dtype=bool)


def _label_problems(year: Any, source: Any) -> list[str]:
    """A ``year`` that is not an integer in 1900–2100 or None; a non-str source."""
    problems = []
    if year is not None and (not is_integer(year) or not 1900 <= year <= 2100):
        problems.append(
            f"year must be an integer in 1900–2100 or None; got {quoted(year)}"
        )
    if not isinstance(source, str):
        problems.append(
            f"source must be a string (where the data came from); got "
            f"{type(source).__name__} {source!r}"
        )
    return problems


def _within(values: np.ndarray | None, low: float, high: float) -> bool:
    """Whether every value lies in ``[low, high]``; not NaN."""
    if values is None or values.size == 0:
        return True
    least, largest = values.min(), values.max()
    return bool(least >= low and largest <= high)
