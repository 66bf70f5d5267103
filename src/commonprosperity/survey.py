"""Survey files: the library's Parquet layout, and Stata files (CHIP, CFPS, ...).

One Parquet file holds a whole population, one row per person with the household
columns repeated (:func:`write_parquet`, :func:`read_parquet`). Stata household and
person files are mapped onto the library's columns by :func:`read_stata`, with
explicit renames (``columns={"theirs": "ours"}``) and explicit value recodes
(``recode={"urban": {1: True, 2: False}}``).

Every reader checks the file before handing it to pyarrow or pandas: a missing,
empty, truncated or foreign file (a CSV renamed ``.parquet`` or ``.dta``) raises
:class:`~commonprosperity.errors.PopulationError` naming the path. Nothing is ever
unpickled or evaluated; the Parquet metadata is JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from commonprosperity._files import expand_home, file_in_the_way, replace_atomically
from commonprosperity._stata import (
    check_recode,
    convert_column,
    missing_codes,
    read_columns,
    read_dta,
    recoded_values,
    text_encoding,
)
from commonprosperity._survey_file import (
    HOUSEHOLD_COLUMNS,
    OUR_COLUMNS,
    PERSON_COLUMNS,
    check_parquet,
    check_renames,
    check_stata,
    select_columns,
)
from commonprosperity._validate import describe_rows, public_dir, quoted
from commonprosperity._warn import warn_user
from commonprosperity.errors import ArgumentTypeError, PopulationError
from commonprosperity.population import (
    CITY_LABELS,
    HOUSEHOLD_OPTIONAL,
    HOUSEHOLD_REQUIRED,
    INCOME_COLUMNS,
    PERSON_REQUIRED,
    Population,
    city_name,
    family_amount_hint,
    family_amounts,
    group_codes,
    household_copy_problems,
    is_person_only,
    narrow_float_id_problem,
    renamed_columns,
    source_prefix,
    with_row_note,
    with_their_names,
)
from commonprosperity.published import _ADMINISTRATIVE_CITY_CODES

__all__ = ["ADMINISTRATIVE_CITY_CODES", "read_parquet", "read_stata", "write_parquet"]

#: GB/T 2260 administrative division codes of the 11 cities (six-digit 330100 ...
#: 331100 and four-digit 3301 ... 3311), for
#: ``recode={"city": ADMINISTRATIVE_CITY_CODES}``.
ADMINISTRATIVE_CITY_CODES: Mapping[int, str] = _ADMINISTRATIVE_CITY_CODES

#: Key of the JSON blob in a Parquet file's key-value metadata.
METADATA_KEY = b"commonprosperity"
FORMAT_VERSION = 1


# -------------------------------------------------------------------- parquet
def write_parquet(population: Population, path: str | Path) -> None:
    """Write a population to one Parquet file, one row per person.

    Parameters
    ----------
    population : Population
        The population to write.
    path : str or pathlib.Path
        Destination; an existing file is replaced. A leading ``~`` is expanded to
        the home directory.

    Notes
    -----
    Columns, in order: ``household_id`` (int64), ``weight`` (float64, households
    represented), ``urban`` (bool), ``city`` (string, Chinese label),
    ``stratum`` and ``psu`` (int64, only when the population has them), ``age``
    (int64), ``employed`` (bool), ``wage``, ``business``, ``property``, ``pension``
    (float64, yuan per year). Household columns repeat on each of a household's
    person rows; households and persons keep their order. The population's
    ``year`` and ``source`` are stored as JSON under the key ``commonprosperity``
    of the file's key-value metadata, so :func:`read_parquet` restores the
    population exactly (same arrays, dtypes, order, year and source).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from commonprosperity import synthetic_population
    >>> pop = synthetic_population(50, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp) / "pop.parquet"
    ...     write_parquet(pop, file)
    ...     back = read_parquet(file)
    >>> bool((back.wage == pop.wage).all()), back.year == pop.year
    (True, True)
    """
    if not isinstance(population, Population):
        raise ArgumentTypeError(
            f"population must be a Population; got {type(population).__name__}"
        )
    pop = population
    size = pop.size
    columns: dict[str, pa.Array] = {
        "household_id": pa.array(np.repeat(pop.household_id, size), type=pa.int64()),
        "weight": pa.array(np.repeat(pop.weight, size), type=pa.float64()),
        "urban": pa.array(np.repeat(pop.urban, size), type=pa.bool_()),
        "city": pa.array(
            np.repeat(pop.city.astype(str), size).tolist(), type=pa.string()
        ),
    }
    if pop.stratum is not None:
        columns["stratum"] = pa.array(np.repeat(pop.stratum, size), type=pa.int64())
    if pop.psu is not None:
        columns["psu"] = pa.array(np.repeat(pop.psu, size), type=pa.int64())
    columns["age"] = pa.array(pop.age, type=pa.int64())
    columns["employed"] = pa.array(pop.employed, type=pa.bool_())
    for name in INCOME_COLUMNS:
        columns[name] = pa.array(getattr(pop, name), type=pa.float64())
    try:
        version = metadata.version("commonprosperity")
    except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        version = "unknown"
    meta = {
        "format_version": FORMAT_VERSION,
        "layout": "one row per person; household columns repeated",
        "year": pop.year,
        "source": pop.source,
        "library_version": version,
    }
    try:
        blob = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # A source read from a file name that is not UTF-8 (a GBK name keeps
        # its bytes as lone surrogates): JSON's escapes carry it back intact.
        blob = json.dumps(meta).encode("ascii")
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: blob})
    file = _file_path(path, "path")
    # Checked here: pyarrow's own errors ("Failed to open local file ...") name
    # neither the function nor what to do.
    if file.is_dir():
        raise PopulationError(f"write_parquet: {file} is a directory; give a file path")
    if not file.absolute().parent.is_dir():
        ancestor = file_in_the_way(file)
        raise PopulationError(
            f"write_parquet: {file}: "
            + (
                f"{ancestor} is a file, not a directory"
                if ancestor is not None
                else f"directory {file.absolute().parent} does not exist"
            )
        )
    try:
        # Through a scratch file: a full disk or an interrupt kept the old
        # population neither whole nor the new one (it was deleted, or 0 bytes).
        replace_atomically(
            file,
            lambda scratch: _write_table(table, scratch),
        )
    except OSError as exc:
        raise PopulationError(f"write_parquet: {file}: cannot write ({exc})") from None


def read_parquet(
    path: str | Path, columns: Mapping[str, str | None] | None = None
) -> Population:
    r"""Read a population from one Parquet file with one row per person.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :func:`write_parquet`, or any Parquet file in the same
        layout: one row per person, the household columns (``household_id``,
        ``weight``, ``urban``, optional ``city``, ``stratum``, ``psu``) repeated on
        each person row, and the person columns ``age``, ``employed``, ``wage``,
        ``business``, ``property``, ``pension``. A leading ``~`` is expanded to
        the home directory (as :func:`write_parquet` does).
    columns : mapping of str to str, optional
        Renames ``{"theirs": "ours"}`` for files written by other tools; every key
        must be a column of the file. A value of None leaves that column unread
        (``{"hh_wt": "weight", "weight": None}`` for a file whose ``weight`` is
        a person weight). Other columns of the file are ignored,
        except one named like a column of ours but for case, surrounding
        spaces, one letter or a synonym (``"City"``, ``"cty"``, ``"cities"``)
        while ours is absent, which is an error rather than left unread (beside
        ours it is another column; map it, or leave it unread with None).
        Text stored as bytes without Parquet's UTF8 mark (as Hive and Impala
        write it) is read as UTF-8 where it is valid UTF-8.

    Returns
    -------
    Population
        Households in order of first appearance, each one's persons in file
        order. Persons of a household scattered over the file are grouped, with
        a warning naming one: ids that repeat across counties (CHIP's codes are
        unique within a county) would merge different households. ``year``
        and ``source`` come from the file's metadata when it was written by
        :func:`write_parquet`; otherwise ``year`` is None and ``source`` the path.

    Raises
    ------
    PopulationError
        Naming the path: a missing, empty, truncated or non-Parquet file; a
        ``columns`` key the file does not have; missing columns; a household
        column that differs between the person rows of one household (naming the
        households and rows); any invalid value (see
        :meth:`Population.from_frames`). A renamed column is named by the file's
        name too (``column 'wt' (households.weight)``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp) / "people.csv.parquet"
    ...     _ = file.write_text("household_id,age\n1,40\n")
    ...     read_parquet(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commonprosperity.errors.PopulationError: ...csv.parquet: is not a Parquet file ...
    """
    path = _file_path(path, "path")
    check_parquet(path)
    try:
        with _arrow_file(path) as opened:
            schema = pq.read_schema(opened)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise PopulationError(
            f"{path}: is not a readable Parquet file ({exc})"
        ) from None
    year, source = _read_metadata(path, schema.metadata or {})
    renames = check_renames(columns, "read_parquet")
    # A rename of a column the file does not have (a typo, or the wrong file)
    # would otherwise be ignored without a word.
    absent = [name for name in renames if name not in schema.names]
    if absent:
        shown = ", ".join(repr(n) for n in schema.names[:20]) + (
            " ..." if len(schema.names) > 20 else ""
        )
        raise PopulationError(
            f"{path}: columns renames {absent}, which the file does not have; the "
            f"file has [{shown}]; check the spelling"
        )
    selected = select_columns(
        path,
        list(schema.names),
        renames,
        OUR_COLUMNS,
        HOUSEHOLD_REQUIRED + PERSON_REQUIRED[1:],
    )
    try:
        with _arrow_file(path) as opened:
            table = pq.read_table(
                opened,
                columns=list(selected.values()),
                page_checksum_verification=True,
            )
        arrays = {
            ours: _arrow_to_numpy(table.column(theirs))
            for ours, theirs in selected.items()
        }
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise PopulationError(f"{path}: cannot read the Parquet data ({exc})") from None
    where = (
        f"{path} (one row per person: 'persons' rows are file rows, 'households' "
        "rows count households in order of first appearance)"
    )
    file_names = {ours: theirs for ours, theirs in selected.items() if ours != theirs}
    pop = _from_person_rows(arrays, str(path), where, year, file_names)
    return dataclasses.replace(
        pop, source=str(path) if source is None else source, _cache={}
    )


def parquet_year(path: str | Path) -> int | None:
    """The income year a Parquet population file records, read from its metadata.

    None when the file records none (not written by :func:`write_parquet`) or
    cannot be read; :func:`read_parquet` then reports what is wrong with it.
    """
    try:
        path = expand_home(path, PopulationError)
        if not path.is_file():
            # A named pipe: pyarrow blocked on it waiting for a writer, deaf
            # to Ctrl-C (read_parquet refuses it by name).
            return None
        with _arrow_file(path) as opened:
            year, _ = _read_metadata(path, pq.read_schema(opened).metadata or {})
    except (OSError, PopulationError, pa.ArrowException):
        return None
    return year


@contextlib.contextmanager
def _arrow_file(path: Path) -> Iterator[Any]:
    """``path`` as pyarrow reads it: its name, or an open file if not UTF-8.

    pyarrow takes a name as UTF-8 and failed on a GBK file name (decoded with
    lone surrogates), blaming the file's contents; Python opens it.
    """
    name = str(path)
    if _is_utf8(name):
        yield name
        return
    with open(path, "rb") as handle:
        yield handle


def _write_table(table: pa.Table, scratch: str) -> None:
    """:func:`pyarrow.parquet.write_table` to ``scratch``, whatever its name."""
    if _is_utf8(scratch):
        pq.write_table(table, scratch, write_page_checksum=True)
        return
    with open(scratch, "wb") as handle:
        pq.write_table(table, handle, write_page_checksum=True)


def _is_utf8(name: str) -> bool:
    """Whether a file name is valid UTF-8 (no lone surrogates), as pyarrow needs."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: The keys :func:`write_parquet` writes (format 1); any other is an error.
_METADATA_FIELDS = ("format_version", "layout", "year", "source", "library_version")


def _read_metadata(
    path: Path, raw: Mapping[bytes, bytes]
) -> tuple[int | None, str | None]:
    blob = raw.get(METADATA_KEY)
    if blob is None:
        return None, None
    try:
        meta = json.loads(blob.decode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError: not UTF-8, not JSON, or an integer of more than 4,300
        # digits (Python's limit on converting them). RecursionError: arrays or
        # objects nested thousands deep. No file of ours holds these, and json
        # raised them with no file named.
        raise PopulationError(
            f"{path}: metadata key 'commonprosperity' is not valid JSON"
            " (or nested too deep, or holding an integer of more than 4,300 digits)"
        ) from None
    problems = []
    if not isinstance(meta, dict):
        raise PopulationError(
            f"{path}: metadata 'commonprosperity' must be a JSON object"
        )
    unknown = sorted(set(meta) - set(_METADATA_FIELDS))
    if unknown:
        problems.append(
            f"unknown key(s) {unknown}; format {FORMAT_VERSION} has "
            f"{list(_METADATA_FIELDS)}"
        )
    version = meta.get("format_version")
    # type() rather than ==: JSON true and 1.0 equal 1 in Python but are not it.
    if type(version) is not int or version != FORMAT_VERSION:
        problems.append(
            f"format_version must be {FORMAT_VERSION}; got {quoted(version)}"
        )
    year = meta.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        problems.append(f"year must be an integer or null; got {quoted(year)}")
    source = meta.get("source", "")
    for key in ("source", "layout", "library_version"):
        if not isinstance(meta.get(key, ""), str):
            problems.append(f"{key} must be a string; got {quoted(meta[key])}")
    if problems:
        raise PopulationError(
            f"{path}: metadata 'commonprosperity': " + "; ".join(problems)
        )
    return year, source


def _arrow_to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = column.type
    binary_view = getattr(pa.types, "is_binary_view", lambda _: False)  # pyarrow 16
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or binary_view(kind):
        # Hive and Impala write text as bytes without Parquet's UTF8 mark: a
        # city 杭州 came as b'\xe6\x9d\xad\xe5\xb7\x9e', named no city. Bytes
        # that are not UTF-8 stay bytes, and the errors quote them so.
        with contextlib.suppress(pa.ArrowInvalid):
            column = column.cast(pa.large_string())
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _same_in_household(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    same = np.asarray(values == reference, dtype=bool)
    if values.dtype.kind == "f":
        same |= np.isnan(values) & np.isnan(reference)
    elif values.dtype == object:
        same |= pd.isna(values) & pd.isna(reference)
    return same


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _from_person_rows(
    arrays: dict[str, np.ndarray],
    source: str,
    where: str,
    year: int | None,
    file_names: Mapping[str, str],
) -> Population:
    """Split a one-row-per-person table into households and persons, then validate.

    ``file_names`` maps our columns that the file names otherwise to its names,
    which the errors quote. ``where`` (the file and how its rows are counted)
    prefixes the errors, ``source`` (the file) the population's warnings, which
    quote no rows.
    """
    household_id = arrays["household_id"]
    shown = file_names.get("household_id", "household_id")
    codes, _, nested = group_codes(household_id, use_na_sentinel=False)
    if nested is not None:
        raise PopulationError(
            f"{where}: column {shown!r} (household_id) must be one whole number "
            "per row (not a list, dict or array): "
            + describe_rows(nested, household_id)
        )
    codes = cast(np.ndarray, codes)  # None only with nested
    rounded = narrow_float_id_problem(f"column {shown!r} (household_id)", household_id)
    if rounded:
        raise PopulationError(f"{where}: {rounded}")
    first = np.unique(codes, return_index=True)[1]
    # Rows without a household id group into one pseudo-household; comparing their
    # household columns would blame the weights or cities of unrelated households.
    # Population.from_arrays reports the missing ids with their rows instead.
    no_id = np.asarray(pd.isna(household_id), dtype=bool)
    problems = []
    households: dict[str, np.ndarray] = {}
    for name in HOUSEHOLD_COLUMNS:
        if name not in arrays:
            continue
        values = arrays[name]
        households[name] = values[first]
        if name == "household_id":
            continue
        differs = ~_same_in_household(values, values[first][codes]) & ~no_id
        if differs.any():
            bad = np.unique(codes[differs])
            h = bad[0]
            found = (
                "["
                + ", ".join(
                    quoted(_plain(v))
                    for v in pd.unique(pd.Series(values[codes == h], dtype=object))
                )
                + "]"
            )
            more = f" (and {bad.size - 1} more households)" if bad.size > 1 else ""
            shown = (
                f"{file_names[name]!r} ({name})" if name in file_names else repr(name)
            )
            problems.append(
                f"household column {shown} must be the same on every person row of a "
                f"household; household_id {_plain(household_id[first[h]])!r} has "
                f"{name} {found} at {describe_rows(codes == h)}{more}"
            )
    if problems:
        raise PopulationError(f"{where}: " + "; ".join(problems))
    persons = {name: arrays[name] for name in PERSON_COLUMNS}
    try:
        pop = Population.from_arrays(households, persons, year=year, source=source)
    except PopulationError as exc:
        theirs = {
            (table, ours): name
            for ours, name in file_names.items()
            for table in ("households", "persons")
        }
        text = str(exc)
        prefix = source_prefix(source)
        if text.startswith(prefix):
            text = f"{where}: {text[len(prefix) :]}"
        raise with_their_names(PopulationError(text), theirs) from None
    scattered = _scattered_households(codes)
    if scattered.size:
        h = int(scattered[0])
        warn_user(
            f"{where}: the persons of {scattered.size:,} household(s) are not on "
            "consecutive rows and were grouped by household_id, e.g. household_id "
            f"{_plain(household_id[first[h]])!r} at {describe_rows(codes == h)}; if "
            "ids repeat across counties or villages, different households were "
            "merged: make the ids unique (e.g. county code × 10,000 + id)"
        )
    return pop


def _scattered_households(codes: np.ndarray) -> np.ndarray:
    """Households (codes) whose rows are not one run of consecutive rows."""
    if codes.shape[0] < 2:
        return np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    runs = np.bincount(codes[starts])
    return np.flatnonzero(runs > 1)


# ---------------------------------------------------------------------- stata
def read_stata(
    households_path: str | Path,
    persons_path: str | Path,
    columns: Mapping[str, str | None] | None = None,
    *,
    recode: Mapping[str, Mapping[Any, Any]] | None = None,
    value_labels: bool = True,
    encoding: str | None = None,
    year: int | None = None,
) -> Population:
    """Read a population from a Stata household file and a Stata person file.

    Parameters
    ----------
    households_path, persons_path : str or pathlib.Path
        ``.dta`` files (Stata 8 to 18, via :func:`pandas.read_stata`): one row per
        household with ``household_id``, ``weight``, ``urban`` (optional ``city``,
        ``stratum``, ``psu``), and one row per person with ``household_id``,
        ``age``, ``employed``, ``wage``, ``business``, ``property``, ``pension``
        (yuan per year). Other variables are not read, except that one named
        like a column of ours but for case, full-width letters, surrounding
        spaces, one letter or a synonym (``City``, ``cty``, ``cities``; see
        ``misnamed_columns``) while ours is absent (from both files, for a
        household column in the person file) is an error rather than left
        unread, as is a household column (``city``, ``stratum``, ``psu``) found
        in the person file only. A leading ``~`` is expanded.
    columns : mapping of str to str, optional
        Renames ``{"theirs": "ours"}`` applied to both files, e.g. CHIP's
        ``{"hhcode": "household_id", "a05": "age"}``. Two names may map to the same
        column if they are in different files; a name in neither file is an
        error (a misspelt rename would leave its variable unread). A value of
        None leaves that variable unread in both files (``{"weight": None,
        "hhwt": "weight"}`` when ``weight`` is a person weight). A name prefixed
        ``"households."`` or ``"persons."`` (Stata names hold no dot) applies to
        that file only and, there, in place of the same name unprefixed:
        ``{"wt": "weight", "persons.wt": None}`` reads the household file's ``wt``
        as the weight and leaves the person file's ``wt`` (a person weight)
        unread.
    recode : mapping of str to mapping, optional
        Value recodes per column of ours, ``{"urban": {1: True, 2: False}}``. A key
        is a stored code (number or string), a value label (str, when
        ``value_labels``), or ``None`` for Stata missing values (``.``, ``.a`` ...).
        A code is looked up before its label. For ``urban`` and ``employed`` every
        value in the file must be found, and an unknown one is an error naming it.
        For ``city`` every numeric code must be found or carry a value label (then
        read as a city name); text not in the recode is read as a city name, and
        one that is not among the 11 is an error. For the numeric columns a value
        must be found if it carries a value label (survey files label their
        special codes, e.g. CFPS ``-8 不适用``); unlabelled numbers pass unchanged
        unless listed. ``stratum`` and ``psu`` are codes whose labels name them
        (county names): a labelled code of 0 or more is read as the code, a
        labelled negative one must be found.
    value_labels : bool, default True
        Use the files' value labels: recode keys may name labels, a labelled
        ``city`` is read by its labels, and a labelled value of a numeric column
        without a recode is an error (it is a special code, not an amount;
        ``stratum`` and ``psu`` codes of 0 or more excepted, see ``recode``).
        With False, only the stored codes are read.
    encoding : str, optional
        Text encoding of files older than Stata 14 (format < 118), which store
        bytes without an encoding; Chinese files of that age are usually
        ``"gb18030"``, and those R's haven or ReadStat wrote ``"utf-8"``. Default:
        as pandas reads them (latin-1); text that then names no city or label is
        an error saying which encoding reads the file's text.
    year : int, optional
        The income year the files describe.

    Returns
    -------
    Population

    Raises
    ------
    PopulationError
        Naming the file and column: a missing, empty, truncated or non-Stata file;
        missing columns; a date or time variable (``%td``, ``%tc`` ...) mapped
        onto a column of ours; a code not in ``recode`` (with its label and rows); a
        labelled special code in a numeric column; a city that is not one of the
        11; any invalid value (see :meth:`Population.from_frames`), a renamed
        variable named by the file's name too (``column 'wt'
        (households.weight)``). The problems of both files are reported
        together in two rounds: first those of columns, value labels, recodes and
        encodings; once every column converts, those of the values (ranges,
        missing values, joins), one problem of each column.

    Notes
    -----
    Cities are accepted in Chinese (``杭州``, ``杭州市``), English or pinyin (any
    case, with or without tone marks, ``Shi`` or ``City``: ``"Hangzhou Shi"``). For
    numeric city codes use a recode, e.g. :data:`ADMINISTRATIVE_CITY_CODES` for GB/T
    2260 codes. ``urban`` and ``employed`` coded other than 1/0 need a recode:
    CHIP codes urban 1 = 城镇, 2 = 农村, so ``recode={"urban": {1: True, 2: False}}``.
    So do 1/0 flags whose value labels do not say 1 = True (1 城镇 / 0 农村, 1 就业
    / 0 未就业 and their English words are read without one): a file labelling
    0 城镇 and 1 农村 would otherwise be read backwards. A recode of a column
    neither file has is an error, as an unused ``columns`` rename is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> hh = pd.DataFrame({"hhcode": [11, 12], "wt": [120.0, 80.0], "b1": [1, 2],
    ...                    "city": ["杭州市", "Lishui Shi"]})
    >>> pp = pd.DataFrame({"hhcode": [11, 11, 12], "a05": [41, 9, 67],
    ...                    "c01": [1, 9, 9], "wage": [96_000.0, 0.0, 0.0],
    ...                    "business": [0.0, 0.0, 3_000.0], "property": [0.0, 0.0, 0.0],
    ...                    "pension": [0.0, 0.0, 0.0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     h, p = pathlib.Path(tmp) / "hh.dta", pathlib.Path(tmp) / "pp.dta"
    ...     hh.to_stata(h, write_index=False, version=118,
    ...                 value_labels={"b1": {1: "城镇", 2: "农村"}})
    ...     pp.to_stata(p, write_index=False, version=118,
    ...                 value_labels={"c01": {1: "雇员", 9: "其他"}})
    ...     pop = read_stata(h, p, {"hhcode": "household_id", "wt": "weight",
    ...                             "b1": "urban", "a05": "age", "c01": "employed"},
    ...                      recode={"urban": {"城镇": True, "农村": False},
    ...                              "employed": {1: True, 9: False}}, year=2018)
    >>> pop.n_households, list(pop.city), pop.urban.tolist()
    (2, ['杭州', '丽水'], [True, False])
    """
    renames = check_renames(columns, "read_stata")
    per_file = _renames_per_file(renames)
    recodes = check_recode(recode)
    if not isinstance(value_labels, bool):
        raise PopulationError(
            "read_stata: value_labels must be True or False; "
            f"got {quoted(value_labels)}"
        )
    if encoding is not None:
        try:
            "".encode(encoding)
        except (LookupError, TypeError):
            raise PopulationError(
                f"read_stata: unknown encoding {encoding!r}; e.g. 'gb18030'"
            ) from None
    paths = {
        "households": _file_path(households_path, "households_path"),
        "persons": _file_path(persons_path, "persons_path"),
    }
    # The person file's copies of household columns are read too, to be
    # compared with the household file (a flat file's urban saying otherwise
    # was ignored without a word, while from_frames refused it).
    wanted = {
        "households": HOUSEHOLD_COLUMNS,
        "persons": PERSON_COLUMNS + HOUSEHOLD_COLUMNS[1:],
    }
    required = {"households": HOUSEHOLD_REQUIRED, "persons": PERSON_REQUIRED}
    tables: dict[str, dict[str, Any]] = {}
    names_in: dict[str, set[str]] = {}
    # None: a column renamed to None (left unread).
    ours_in: dict[str, set[str | None]] = {}
    theirs: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    # Stata missing codes of columns read as NaN (., .a ...), for the messages.
    unmapped: list[str] = []
    for kind, path in paths.items():
        try:
            version = check_stata(path)
            stored, labels, names, missing = read_dta(
                path,
                per_file[kind],
                wanted[kind],
                required[kind],
                value_labels,
                version,
                # A person file's 城市 beside the household file's city is
                # another variable, as in from_frames; not a misnamed city.
                ours_in.get("households", ()) if kind == "persons" else (),
                encoding,
            )
        except PopulationError as exc:
            problems.append(str(exc))
            continue
        names_in[kind] = set(names)
        ours_in[kind] = {per_file[kind].get(n, n) for n in names}
        theirs.update(renamed_columns(per_file[kind], {kind: set(names)}))
        fix = encoding if encoding is not None and version < 118 else None
        tables[kind] = {}
        said = len(problems)
        for ours, column in stored.items():
            values = convert_column(
                path,
                kind,
                ours,
                column,
                labels.get(ours),
                recodes.get(ours),
                fix,
                problems,
                missing.get(ours),
            )
            if values is not None:
                tables[kind][ours] = values
            elif kind == "persons" and ours in HOUSEHOLD_COLUMNS[1:]:
                # A copy of a household column need not be read at all.
                problems[-1] += (
                    "; or leave the person file's copy unread with columns="
                    f"{ {f'persons.{column.name}': None} }"
                )
            if ours in missing and None not in recodes.get(ours, {}):
                unmapped.append(
                    f"column {column.name!r} ({kind}.{ours}) "
                    + missing_codes(missing[ours])
                )
        if version < 118:
            _old_text_problems(
                path,
                version,
                encoding,
                text_encoding(stored, labels, encoding),
                tables[kind],
                problems,
                said,
            )
    if "households" in names_in and "persons" not in names_in:
        # The person file unread (its "missing column(s) ['business']"): a
        # household file's variable mapped onto it is the likelier cause.
        problems += _household_file_amounts(
            paths, per_file, names_in, tables, compare=False
        )
    if len(ours_in) == 2:
        # Household variables are read from the household file only: one found
        # in the person file alone would vanish (every household falling to the
        # province, the survey design lost), as in Population.from_frames.
        stray = [
            c
            for c in HOUSEHOLD_OPTIONAL
            if c in ours_in["persons"] and c not in ours_in["households"]
        ]
        if stray:
            problems.append(
                f"{paths['persons']}: has household variable(s) {stray} that "
                f"{paths['households']} lacks; household variables are read from "
                "the household file (one value per household): add them there"
            )
        # As Population.from_frames: a household variable mapped onto a person
        # column other than an income (those are compared above) is not read.
        onto_persons = sorted(
            key
            for key, ours in renames.items()
            if is_person_only(ours)
            and _file_name(key, "households") in names_in["households"]
            and _file_name(key, "persons") not in names_in["persons"]
        )
        if onto_persons:
            targets = sorted({str(renames[k]) for k in onto_persons})
            problems.append(
                f"{paths['households']}: columns maps variable(s) {onto_persons} "
                f"onto {targets}, which are read "
                f"from {paths['persons']} only (one value per person): they would "
                "not be read; map a variable of the person file instead"
            )
        problems += _household_file_amounts(
            paths, per_file, names_in, tables, compare=not problems, recodes=recodes
        )
        unused = sorted(
            key
            for key in renames
            if not any(_file_name(key, kind) in names_in[kind] for kind in names_in)
        )
        if unused:
            problems.append(
                f"read_stata: columns renames {unused}, which are in neither "
                f"{paths['households']} nor {paths['persons']}; check the spelling"
                if all("." not in k for k in unused)
                else f"read_stata: columns renames {unused}, which name no variable "
                f"of the file they apply to ({paths['households']} for "
                f"'households.', {paths['persons']} for 'persons.', both for an "
                "unprefixed name); check the spelling"
            )
        unrecoded = sorted(set(recodes) - ours_in["households"] - ours_in["persons"])
        if unrecoded:
            # As an unused rename: a recode of a column that is not read would
            # leave it unapplied (every city the province, say) without a word.
            problems.append(
                f"read_stata: recode for column(s) {unrecoded} of ours, which neither "
                f"{paths['households']} nor {paths['persons']} has (after the "
                "columns renames); map their variable with columns={'theirs': "
                f"'{unrecoded[0]}'}}"
            )
    if problems:
        raise PopulationError("; ".join(problems))
    source = f"{paths['households']} (households) and {paths['persons']} (persons)"
    on_persons = {
        c: tables["persons"].pop(c)
        for c in HOUSEHOLD_COLUMNS[1:]
        if c in tables["persons"]
    }
    # One in the person file alone was reported above as a stray variable.
    copies = {c: v for c, v in on_persons.items() if c in tables["households"]}
    try:
        pop = Population.from_arrays(
            tables["households"], tables["persons"], year=year, source=source
        )
        if copies:
            repeated = pd.DataFrame(
                {"household_id": tables["persons"]["household_id"], **copies}
            )
            disagree = household_copy_problems(repeated, pop)
            if disagree:
                # A variable of the same name may mean another thing in the
                # person file (a person weight): it can be left unread there.
                unread = {
                    f"persons.{theirs.get(('persons', c), c)}": None for c in copies
                }
                raise PopulationError(
                    f"{source}: "
                    + "; ".join(disagree)
                    + f" (to leave the person file's variable unread: "
                    f"columns={unread})"
                )
        return pop
    except PopulationError as exc:
        if unmapped:
            # NaN is what pandas makes of every missing code: name the codes.
            exc = PopulationError(
                f"{exc} (Stata missing values, read as NaN: {'; '.join(unmapped)}; "
                "recode={column: {None: value}} reads them as a value)"
            )
        raise with_row_note(
            with_their_names(exc, theirs),
            "rows are 0-based positions in each file: Stata's observation number "
            "is row + 1",
        ) from None


#: The files a rename of :func:`read_stata` may name: ``"persons.wt"``.
_FILES = ("households", "persons")


def _file_name(key: str, kind: str) -> str | None:
    """The variable a rename's key names in file ``kind`` (None: not that file)."""
    prefix, dot, name = key.partition(".")
    if not dot:
        return key
    return name if prefix == kind else None


def _household_file_amounts(
    paths: Mapping[str, Path],
    per_file: Mapping[str, Mapping[str, Any]],
    names_in: Mapping[str, set[str]],
    tables: Mapping[str, Mapping[str, Any]],
    compare: bool,
    recodes: Mapping[str, Mapping[Any, Any]] | None = None,
) -> list[str]:
    """:func:`~commonprosperity.population.family_amounts` of the household file.

    Its variables named, or mapped, as a person income (CFPS's family business
    income ``foperate``) were not read, without a word: person columns are read
    from the person file. ``compare``: whether the tables are clean enough to
    compare amounts (else only a person file lacking the column is said). The
    household file's values are compared after the user's ``recodes``, as the
    person file's are: a family's -8 recoded to 0 on its persons was compared
    unrecoded ("-8.00 against 0.00").
    """
    renames = per_file["households"]
    theirs = {}
    for name in sorted(names_in["households"]):
        ours = renames.get(name, name)
        if ours in INCOME_COLUMNS:
            theirs[ours] = name
    shown = {
        ours: f"variable {name!r}" + ("" if name == ours else f" (mapped to {ours})")
        for ours, name in theirs.items()
    }
    hint = family_amount_hint(paths["persons"], str(paths["households"]))
    if not compare:
        # The person file's "missing column(s) ['business']" alone sent the
        # user back to a mapping they had made, of the household file.
        mapped = [shown[ours] for ours, name in theirs.items() if name != ours]
        if not mapped:
            return []
        return [f"{paths['households']}: {', '.join(mapped)} would not be read; {hint}"]
    households, persons = tables["households"], tables["persons"]
    if not theirs or "household_id" not in households or "household_id" not in persons:
        return []
    try:
        values, labels = read_columns(paths["households"], list(theirs.values()))
    except PopulationError as exc:
        return [str(exc)]
    problems = family_amounts(
        households["household_id"],
        {
            ours: recoded_values(
                values[name], labels.get(name), (recodes or {}).get(ours)
            )
            for ours, name in theirs.items()
        },
        persons["household_id"],
        persons,
        shown,
    )
    if not problems:
        return []
    coded = {name: labels[name] for name in theirs.values() if name in labels}
    if coded:
        # Compared as their codes: a -8 不适用 read as -8 yuan.
        problems.append(
            "its codes carry value labels, which are no amounts: "
            + "; ".join(
                f"{name!r} {quoted(dict(list(pairs.items())[:3]))}"
                for name, pairs in coded.items()
            )
        )
    # An unprefixed mapping of a name both files have: the person file's is meant.
    both = [
        name
        for ours, name in theirs.items()
        if name != ours and name in names_in["persons"]
    ]
    if both:
        hint += (
            "; to map only the person file's, prefix the name: columns="
            f"{ {f'persons.{name}': renames[name] for name in both} }"
        )
    return [f"{paths['households']}: " + "; ".join(problems) + "; " + hint]


def _renames_per_file(
    renames: dict[str, str | None],
) -> dict[str, dict[str, str | None]]:
    """Each file's renames: the unprefixed ones, then its own prefixed ones.

    Stata variable names hold letters, digits and underscores only, so a key
    with a dot names a file; one naming neither file is refused.
    """
    wrong = [k for k in renames if "." in k and k.partition(".")[0] not in _FILES]
    if wrong:
        raise PopulationError(
            f"read_stata: columns key(s) {wrong} are no Stata variable names (they "
            "hold no dot) and name no file: prefix a name with 'households.' or "
            "'persons.' to rename it in that file only, e.g. {'persons.wt': None}"
        )
    per_file = {}
    for kind in _FILES:
        # The unprefixed first, so that the file's own prefixed ones replace them.
        ordered = sorted(renames.items(), key=lambda item: "." in item[0])
        per_file[kind] = {
            name: v for k, v in ordered if (name := _file_name(k, kind)) is not None
        }
    return per_file


def _old_text_problems(
    path: Path,
    version: int,
    encoding: str | None,
    readable: str | None,
    table: dict[str, Any],
    problems: list[str],
    since: int,
) -> None:
    """Say which ``encoding=`` reads an old (< 118) file's text.

    Such a file stores text without its encoding. The file's problems are
    ``problems[since:]``: those about its text are mended, and a garbled city is
    added (its column then left out of ``table``). ``readable``:
    :func:`text_encoding` (None with an ``encoding`` given: it reads the text
    as that one would).
    """
    if encoding is None:
        # Labels read as latin-1 ('³ÇÕò' for 城镇) in a message about urban,
        # employed or a special code: the same cause as a garbled city.
        how = (
            f"a Stata {version} file stores text without its encoding and it was "
            "read as latin-1; "
            + (
                "give encoding='utf-8' (the file's text is valid UTF-8)"
                if readable == "utf-8"
                else "give encoding=, for Chinese files of that age encoding='gb18030'"
            )
        )
        garbled = _undecoded_city(table["city"]) if "city" in table else None
        as_read = "as read"
    else:
        if readable is None:
            return
        # A wrong 8-bit encoding decodes without an error ('鏉\ue15e窞' for 杭州
        # in UTF-8 read as gb18030): the text then names no city or label.
        how = (
            f"the text was decoded with encoding={encoding!r}, but the file's text "
            f"is valid {readable.upper()}: give encoding={readable!r}"
        )
        garbled = None
        if "city" in table:
            garbled = next(
                (
                    v
                    for v in pd.unique(pd.Series(table["city"], dtype=object))
                    if isinstance(v, str)
                    and not v.isascii()
                    and city_name(v) not in CITY_LABELS
                ),
                None,
            )
        as_read = f"as decoded with encoding={encoding!r}"
    for k in range(since, len(problems)):
        problem = problems[k]
        if (
            any("\x80" <= ch <= "\xff" for ch in problem)
            if encoding is None
            else not problem.isascii() or "check encoding=" in problem
        ):
            problems[k] = f"{problem} ({how})"
    if garbled is not None:
        # Else only "city must be one of the 11 ...; got 'º¼ÖÝÊÐ'".
        problems.append(
            f"{path}: column city holds text that is no city {as_read}, e.g. "
            f"{garbled!r}: {how}"
        )
        del table["city"]


def _undecoded_city(values: np.ndarray) -> str | None:
    """A city read as latin-1 from undeclared bytes (``'º¼ÖÝÊÐ'``), or None."""
    for value in pd.unique(pd.Series(values, dtype=object)):
        if (
            isinstance(value, str)
            and any("\x80" <= ch <= "\xff" for ch in value)
            and city_name(value) not in CITY_LABELS
        ):
            return value
    return None


def _file_path(path: object, name: str) -> Path:
    """``path`` as a Path with ``~`` expanded; a clear error for a non-path.

    ``None``, bytes or a number raised a bare TypeError from pathlib.
    """
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise PopulationError(
            f"{name} must be a file path (str or pathlib.Path); got "
            f"{type(path).__name__} {path!r}"
        )
    return expand_home(path, PopulationError)


def __dir__() -> list[str]:
    return public_dir(globals())
