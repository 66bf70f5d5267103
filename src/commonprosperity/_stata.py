"""Stata value labels and explicit recodes, for :func:`survey.read_stata`.

Private. A column is read twice by :func:`pandas.read_stata`, as stored codes and as
value labels, so that a recode key may name either; no private pandas API is used.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commonprosperity._plausible import RIGHT
from commonprosperity._survey_file import OUR_COLUMNS, select_columns
from commonprosperity._validate import describe_rows, quoted, quoted_items
from commonprosperity._warn import module_of, this_threads_warnings, warn_user
from commonprosperity.errors import ImplausibleDataWarning, PopulationError
from commonprosperity.population import INCOME_COLUMNS, city_name, says_monthly

__all__ = [
    "check_recode",
    "convert_column",
    "missing_codes",
    "read_dta",
    "recoded_values",
]


_BOOLEAN = ("urban", "employed")
#: Survey design codes: their labels name the strata or PSUs (county names), so a
#: labelled code of 0 or more is read as the code; a negative one is a special
#: code (CFPS ``-8 不适用``) like any numeric column's.
_DESIGN = ("stratum", "psu")
#: What each numeric column of ours holds, for messages.
_UNITS = {
    "household_id": "an integer id",
    "weight": "households represented",
    "stratum": "an integer code",
    "psu": "an integer code",
    "age": "completed years",
    "wage": "yuan per year",
    "business": "yuan per year",
    "property": "yuan per year",
    "pension": "yuan per year",
}
_READ_ERRORS = (
    StopIteration,
    ValueError,
    struct.error,
    OSError,
    EOFError,
    KeyError,
    IndexError,
    OverflowError,
    MemoryError,
)

#: The encodings an old (< 118) file's text is tried in (R's haven and ReadStat
#: write UTF-8, Chinese Stata of that age GB18030), UTF-8 first: GB text is
#: seldom valid UTF-8, while most bytes decode as GB18030.
_OLD_TEXT_ENCODINGS = ("utf-8", "gb18030")


def check_recode(
    recode: Mapping[str, Mapping[Any, Any]] | None,
) -> dict[str, dict[Any, Any]]:
    """Validate ``recode={"column": {theirs: ours}}``; report every problem."""
    if recode is None:
        return {}
    if not isinstance(recode, Mapping):
        raise PopulationError(
            "read_stata: recode must be a mapping {column: {their value: our value}}; "
            f"got {type(recode).__name__}"
        )
    problems = []
    for column, table in recode.items():
        if column not in OUR_COLUMNS:
            problems.append(
                f"recode names unknown column {quoted(column)}; recode uses the "
                f"library's column names {list(OUR_COLUMNS)}"
            )
        elif not isinstance(table, Mapping):
            problems.append(
                f"recode[{quoted(column)}] must be a mapping {{their value: our "
                f"value}}; got {type(table).__name__}"
            )
        elif any(
            key is pd.NA or (_is_missing(key) and key is not None) for key in table
        ):
            # NaN != NaN: such a key never matched, and the recode went unused.
            problems.append(
                f"recode[{quoted(column)}] has a NaN or pd.NA key; Stata missing "
                "values (., .a ...) are looked up with the key None"
            )
    if problems:
        raise PopulationError("read_stata: " + "; ".join(problems))
    return {str(c): dict(t) for c, t in recode.items()}


def read_dta(
    path: Path,
    renames: Mapping[str, str | None],
    wanted: tuple[str, ...],
    required: tuple[str, ...],
    value_labels: bool,
    version: int,
    read_elsewhere: Collection[str | None] = (),
    encoding: str | None = None,
) -> tuple[
    dict[str, pd.Series], dict[str, pd.Series], list[str], dict[str, np.ndarray]
]:
    """Read the wanted columns of one ``.dta`` file of format ``version``.

    Returns the stored codes and, for labelled columns when ``value_labels``, the
    labels (pandas categoricals), both keyed by our column names, the names of
    every variable in the file, and for each column holding missing values their
    Stata codes per row (``"."``, ``".a"`` ...; None where not missing).
    ``read_elsewhere``: our columns the other file provides
    (:func:`~commonprosperity._survey_file.select_columns`). ``encoding``: of a
    file older than format 118, for its variable labels.
    """
    # One warning for the file, however many times pandas reads it (the names,
    # the codes, the labels: the same text warned two or three times).
    with _latin1_fallback_warning(path):
        try:
            with pd.read_stata(path, iterator=True) as reader:
                # The variable list, not the labels' dict: two variables of one
                # name (a damaged or foreign-tool file) were one key there, and
                # pandas then failed on the selection with a bare TypeError.
                labels = reader.variable_labels()  # reads the header
                names = [str(n) for n in getattr(reader, "_varlist", None) or labels]
                declared = list(getattr(reader, "_lbllist", []))
                label_sets = reader.value_labels() if value_labels else {}
                held = set(label_sets)
        except _READ_ERRORS as exc:
            raise PopulationError(
                f"{path}: is not a readable Stata file ({_short(exc)})"
            ) from None
        # The other file is read after or before: its names are not known here.
        selected = select_columns(
            path, names, renames, wanted, required, None, read_elsewhere
        )
        if value_labels and version < 117:
            _check_labels_held(path, version, names, declared, held, selected)
        file_columns = list(selected.values())
        # Dates are converted in the codes so that a date variable (%td, %tc ...) shows
        # as one: as stored, it is a count of days or milliseconds since 1960, which
        # would pass for an age, a weight or yuan.
        codes = _read_frame(
            path, file_columns, convert_categoricals=False, convert_dates=True
        )
        labelled: dict[str, pd.Series] = {}
        if value_labels:
            try:
                frame = _read_frame(
                    path, file_columns, convert_categoricals=True, convert_dates=False
                )
            except _SharedLabelsError:
                # pandas refuses a label two codes share, as village names in a
                # psu's labels do (新村 in two counties), and a psu's labels are
                # never read as its values: label each code from the sets.
                label_of = dict(zip(names, declared, strict=False))
                for ours, theirs in selected.items():
                    mapping = label_sets.get(label_of.get(theirs) or "")
                    if mapping:
                        labelled[ours] = (
                            codes[theirs]
                            .map(lambda v, m=mapping: m.get(v), na_action="ignore")
                            .astype(object)
                        )
            else:
                for ours, theirs in selected.items():
                    if isinstance(frame[theirs].dtype, pd.CategoricalDtype):
                        labelled[ours] = frame[theirs]
        stored = {ours: codes[theirs] for ours, theirs in selected.items()}
        _monthly_labels(path, selected, labels, version, encoding)
        # NaN stands for every missing value (., .a ... .z); surveys give each
        # its meaning (.a not applicable, .b refused), and a message about "."
        # sent the user looking for a code the file does not hold.
        with_missing = {
            ours: theirs
            for ours, theirs in selected.items()
            if codes[theirs].dtype.kind == "f" and bool(codes[theirs].isna().any())
        }
        missing: dict[str, np.ndarray] = {}
        if with_missing:
            marked = _read_frame(
                path,
                list(with_missing.values()),
                convert_categoricals=False,
                convert_dates=False,
                convert_missing=True,
            )
            for ours, theirs in with_missing.items():
                missing[ours] = np.array(
                    [getattr(v, "string", None) for v in marked[theirs]], dtype=object
                )
        return stored, labelled, names, missing


def _monthly_labels(
    path: Path,
    selected: Mapping[str, str],
    variable_labels: Mapping[str, Any],
    version: int,
    encoding: str | None,
) -> None:
    """Warn of an income whose variable label says monthly amounts.

    CFPS names its pension ``qi1002`` and says "元/月" in the label only: the
    check of the columns' names could not see it. A file older than format 118
    stores its labels' bytes, which pandas read as latin-1: they are read in
    ``encoding`` (without one, UTF-8 and GB18030 are tried).
    """
    for ours, theirs in selected.items():
        label = variable_labels.get(theirs)
        if version < 118 and isinstance(label, str) and not label.isascii():
            label = _label_text(label, encoding)
        if ours in INCOME_COLUMNS and isinstance(label, str) and says_monthly(label):
            warn_user(
                f"{path}: column {theirs!r} ({ours}) is labelled {label!r}, which "
                "says monthly amounts, but the library reads incomes in yuan per "
                "year: convert it to a year's amounts (times 12) before reading it"
                + RIGHT,
                ImplausibleDataWarning,
            )


def _label_text(label: str, encoding: str | None) -> str:
    """An old file's label as its encoding reads it (as read if none does)."""
    try:
        raw = label.encode("latin-1")
    except UnicodeEncodeError:
        return label
    for tried in (encoding,) if encoding else _OLD_TEXT_ENCODINGS:
        try:
            return raw.decode(tried)
        except (UnicodeDecodeError, LookupError):
            continue
    return label


def _check_labels_held(
    path: Path,
    version: int,
    names: list[str],
    declared: list[str],
    held: set[str],
    selected: Mapping[str, str],
) -> None:
    """Refuse a read column whose value labels the file names but does not hold.

    Files before format 117 keep their value labels last and have no end marker:
    one cut off before them reads as unlabelled, and a column whose labels said
    0 = urban would be read as 0 = rural without a word.
    """
    label_of = dict(zip(names, declared, strict=False))
    missing = [
        f"{theirs!r} (labels {label_of[theirs]!r})"
        for theirs in selected.values()
        if label_of.get(theirs) and label_of[theirs] not in held
    ]
    if missing:
        raise PopulationError(
            f"{path}: column(s) {', '.join(missing)} name value labels that the "
            f"file does not hold: a Stata {version} file keeps them at its end "
            "and has no end marker, so it may be truncated; if the labels were "
            "attached but never defined, read with value_labels=False and give "
            "recode= for the codes"
        )


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


@contextmanager
def _latin1_fallback_warning(path: Path) -> Iterator[None]:
    """Turn pandas' UnicodeWarning (bad UTF-8 read as latin-1) into one naming path."""
    # This thread's warnings only (another thread's were taken and re-issued
    # from here).
    with this_threads_warnings() as caught:
        yield
    for w in caught:
        if not issubclass(w.category, UnicodeWarning):
            # With its module: the user's filters by module decide, as they
            # did before it was recorded.
            warnings.warn_explicit(
                w.message, w.category, w.filename, w.lineno, module_of(w.filename)
            )
    if any(issubclass(w.category, UnicodeWarning) for w in caught):
        warnings.warn(
            f"{path}: some text is not valid UTF-8 and was read as latin-1; the "
            "file may be damaged or written by a tool that did not encode it",
            UserWarning,
            stacklevel=5,
        )


class _SharedLabelsError(PopulationError):
    """pandas refused to convert value labels that two codes share."""


def read_columns(
    path: Path, names: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, dict[Any, str]]]:
    """The stored values of the variables ``names`` of a ``.dta`` file.

    Also the value labels of the codes that carry one (``{code: label}`` per
    name; none where the labels cannot be read).
    """
    frame = _read_frame(path, names, convert_categoricals=False, convert_dates=False)
    values = {name: frame[name].to_numpy() for name in names}
    labels: dict[str, dict[Any, str]] = {}
    try:
        labelled = _read_frame(
            path, names, convert_categoricals=True, convert_dates=False
        )
    except PopulationError:  # _SharedLabelsError among them
        return values, labels
    for name in names:
        pairs = {
            _plain(code): label
            for code, label in zip(values[name], labelled[name], strict=True)
            if isinstance(label, str)
        }
        if pairs:
            labels[name] = pairs
    return values, labels


def _read_frame(
    path: Path,
    columns: list[str],
    *,
    convert_categoricals: bool,
    convert_dates: bool,
    convert_missing: bool = False,
) -> pd.DataFrame:
    try:
        return pd.read_stata(
            path,
            columns=columns,
            convert_categoricals=convert_categoricals,
            convert_dates=convert_dates,
            convert_missing=convert_missing,
            order_categoricals=False,
        )
    except ValueError as exc:
        if convert_categoricals and "are not unique" in str(exc):
            raise _SharedLabelsError(str(exc)) from None
        raise PopulationError(
            f"{path}: cannot read the Stata data ({_short(exc)})"
        ) from None
    except _READ_ERRORS as exc:
        raise PopulationError(
            f"{path}: cannot read the Stata data ({_short(exc)})"
        ) from None


def _is_missing(value: Any) -> bool:
    return value is None or (
        isinstance(value, float | np.floating) and bool(np.isnan(value))
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def recoded_values(
    values: np.ndarray,
    labels: Mapping[Any, str] | None,
    table: Mapping[Any, Any] | None,
) -> np.ndarray:
    """``values`` (:func:`read_columns`') with the recode ``table`` applied.

    A key is a stored code, a code's value label (``labels``: ``{code: label}``)
    or None for Stata's missing values, as :func:`convert_column` reads them;
    values no key names are kept. For a household file's copy of a person
    amount, compared with the persons' recoded ones.
    """
    if not table:
        return values
    out = []
    for value in values.tolist():
        key = None if _is_missing(value) else _plain(value)
        label = None if key is None else (labels or {}).get(key)
        if key in table:
            out.append(table[key])
        elif label is not None and label in table:
            out.append(table[label])
        else:
            out.append(value)
    return np.array(out)


def convert_column(
    path: Path,
    kind: str,
    ours: str,
    stored: pd.Series,
    labels: pd.Series | None,
    table: Mapping[Any, Any] | None,
    encoding: str | None,
    problems: list[str],
    missing: np.ndarray | None = None,
) -> np.ndarray | None:
    """Apply value labels and the recode table to one column.

    Returns the values for :meth:`Population.from_arrays`, or None after appending
    a message (naming the file, its column and ours, the values and rows) to
    ``problems``. ``missing``: the Stata codes of the column's missing values per
    row (:func:`read_dta`), if it has any, for the messages.
    """
    where = f"{path}: column {stored.name!r} ({kind}.{ours})"
    if stored.dtype.kind == "M":
        shown = stored.dropna()
        example = f" (e.g. {shown.iloc[0]})" if len(shown) else ""
        problems.append(
            f"{where}: is a Stata date or time variable{example}, not a number; "
            f"{ours} must be a plain number ({_UNITS.get(ours, 'a code')}); map "
            "another variable onto it, or convert this one in Stata first"
        )
        return None
    raw: np.ndarray = stored.to_numpy()
    named = [k for k in table or () if isinstance(k, str)]
    if (
        named
        and labels is None
        and stored.dtype.kind in "iuf"
        and ours not in (*_BOOLEAN, "city")  # there every code must be found
    ):
        # Never found: a -8 不适用 in business then passed as a loss of 8 yuan.
        problems.append(
            f"{where}: recode names label(s) {named}, but the column's codes carry "
            "no value labels (none in the file, or value_labels=False); recode "
            "the stored codes instead (e.g. {-8: 0})"
        )
        return None
    if labels is None and table is None and encoding is None and ours != "city":
        if ours in _BOOLEAN:
            return _check_boolean(where, ours, raw, None, problems, missing)
        return raw
    position, found = pd.factorize(raw, use_na_sentinel=False)
    first = np.unique(position, return_index=True)[1]
    if getattr(found, "dtype", None) in (np.float16, np.float32):
        # As objects they became Python floats, and the checks of whole-number
        # columns could no longer see that an id was stored as a 4-byte float
        # (rounded above 2**24): keep the NumPy scalars.
        uniques = np.empty(len(found), dtype=object)
        uniques[:] = list(found)
    else:
        uniques = np.asarray(found, dtype=object)
    label_of = np.full(len(uniques), None, dtype=object)
    if labels is not None:
        for u, label in enumerate(labels.to_numpy()[first]):
            if isinstance(label, str) and not isinstance(uniques[u], str):
                label_of[u] = label
    if encoding is not None:
        try:
            uniques = np.array([_redecode(v, encoding) for v in uniques], dtype=object)
            label_of = np.array(
                [_redecode(v, encoding) for v in label_of], dtype=object
            )
        except (UnicodeDecodeError, UnicodeEncodeError):
            problems.append(f"{where}: text is not valid {encoding}; check encoding=")
            return None
    out = np.empty(len(uniques), dtype=object)
    unknown: list[int] = []
    for u, value in enumerate(uniques):
        label = label_of[u]
        if table is not None:
            key = None if _is_missing(value) else _plain(value)
            if key in table:
                out[u] = table[key]
                continue
            if label is not None and label in table:
                out[u] = table[label]
                continue
        out[u] = value
        if ours in _BOOLEAN:
            if table is not None:
                unknown.append(u)
        elif ours == "city":
            if label is not None:
                out[u] = label
            elif _is_number(value):
                unknown.append(u)
        elif label is not None and not (
            ours in _DESIGN and _is_number(value) and value >= 0
        ):
            unknown.append(u)
    if unknown:
        problems.append(
            _unknown_message(
                where, ours, uniques, label_of, position, unknown, table, missing
            )
        )
        return None
    if ours == "city":
        out = np.array([city_name(v) for v in out], dtype=object)
    values: np.ndarray = out[position]
    if ours in _BOOLEAN and table is None:
        if not _labels_agree(where, ours, uniques, label_of, problems):
            return None
        return _check_boolean(
            where, ours, values, label_of[position], problems, missing
        )
    return values


#: Value labels read as True / False for a flag of ours (whole label, stripped,
#: lower case): a 1/0 flag is read as 1 = True only where its labels say so.
_FLAG_WORDS = {
    "urban": (
        {"城镇", "城市", "城", "城区", "urban", "yes", "是"},
        {"乡村", "农村", "乡", "rural", "no", "否"},
    ),
    "employed": (
        {"就业", "在业", "有工作", "受雇", "employed", "working", "yes", "是"},
        {
            "未就业",
            "失业",
            "不在业",
            "无工作",
            "没有工作",
            "退出劳动力市场",
            "unemployed",
            "not employed",
            "no",
            "否",
        },
    ),
}


def _labels_agree(
    where: str,
    ours: str,
    uniques: np.ndarray,
    label_of: np.ndarray,
    problems: list[str],
) -> bool:
    """Whether the labels of a 1/0 flag say 1 = True and 0 = False.

    Unlabelled codes are read as 1 = True. A file labelling 0 城镇 and 1 农村
    would otherwise be read backwards, silently; a label this reader does not
    know (or one contradicting its code) needs a recode.
    """
    true_words, false_words = _FLAG_WORDS[ours]
    doubtful = []
    for value, label in zip(uniques, label_of, strict=True):
        if label is None or not _is_number(value) or value not in (0, 1):
            continue
        word = str(label).strip().lower()
        says = True if word in true_words else False if word in false_words else None
        if says is None or says != bool(value == 1):
            doubtful.append(f"{_describe(value, label)}")
    if not doubtful:
        return True
    problems.append(
        f"{where}: the file labels {', '.join(doubtful)}; which code means "
        f"{ours} = True cannot be read from them; map every code with "
        f"recode={{{ours!r}: {{0: True or False, 1: True or False}}}} (codes or "
        "labels as keys)"
    )
    return False


def text_encoding(
    columns: Mapping[str, pd.Series],
    labels: Mapping[str, pd.Series | None],
    given: str | None = None,
) -> str | None:
    """The encoding an old (< 118) file's text is in, from its bytes.

    ``columns`` and ``labels`` as :func:`read_dta` returns them (text read as
    latin-1). ``'utf-8'`` if every non-ASCII text among them is valid UTF-8, as
    files written by R's haven or ReadStat are (Chinese text in GB encodings is
    seldom valid UTF-8); else ``'gb18030'`` if it all decodes so; None if there is
    no such text or neither reads it, or if the ``given`` encoding reads it alike
    (``'gbk'`` for most GB18030 text).
    """
    texts: set[bytes] = set()
    for series in [*columns.values(), *labels.values()]:
        if series is None:
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            values = series.cat.categories
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            values = pd.unique(series.dropna())
        else:
            continue
        for value in values:
            if isinstance(value, str) and not value.isascii():
                try:
                    texts.add(value.encode("latin-1"))
                except UnicodeEncodeError:
                    return None
    if not texts:
        return None
    for encoding in _OLD_TEXT_ENCODINGS:
        try:
            read = [raw.decode(encoding) for raw in texts]
        except UnicodeDecodeError:
            continue
        if given is not None and read == [
            raw.decode(given, errors="replace") for raw in texts
        ]:
            return None
        return encoding
    return None


def _redecode(value: Any, encoding: str) -> Any:
    """Undo pandas' latin-1 decoding of an old (< 118) file's bytes."""
    if isinstance(value, str):
        return value.encode("latin-1").decode(encoding)
    return value


def _describe(value: Any, label: Any, codes: str | None = None) -> str:
    """A stored value and its label; a missing one with its Stata ``codes``."""
    value = _plain(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes stored as doubles: show -8, not -8.0
    text = f"missing ({codes or '.'})" if _is_missing(value) else quoted(value)
    return f"{text} {quoted(label)}" if label is not None else text


def _codes_of(missing: np.ndarray | None, rows: np.ndarray) -> str | None:
    """The distinct Stata missing codes among ``rows`` (``".a, .z"``), or None."""
    if missing is None:
        return None
    codes = sorted({m for m in missing[rows] if m is not None})
    return ", ".join(codes) or None


def missing_codes(missing: np.ndarray, rows: np.ndarray | None = None) -> str:
    """The Stata missing codes among ``rows`` (all if None), with their rows.

    E.g. ``".a (2 rows, e.g. rows [3, 9]); . (1 row, e.g. rows [4])"``.
    """
    if rows is None:
        rows = np.flatnonzero(np.array([m is not None for m in missing], dtype=bool))
    codes = missing[rows]
    return "; ".join(
        f"{code} ({_rows_listed(rows[codes == code])})"
        for code in sorted({str(c) for c in codes})
    )


def _rows_listed(rows: np.ndarray) -> str:
    """``"2 rows, e.g. rows [3, 9]"``: how many rows, and the first three."""
    listed = ", ".join(str(int(r)) for r in rows[:3])
    return f"{rows.size} row{'s' if rows.size > 1 else ''}, e.g. rows [{listed}]"


def _unknown_message(
    where: str,
    ours: str,
    uniques: np.ndarray,
    label_of: np.ndarray,
    position: np.ndarray,
    unknown: list[int],
    table: Mapping[Any, Any] | None,
    missing: np.ndarray | None = None,
) -> str:
    parts = []
    for u in unknown[:8]:
        rows = np.flatnonzero(position == u)
        if missing is not None and _is_missing(uniques[u]):
            # NaN stands for every missing code (., .a ... .z): name each.
            parts.append("missing " + missing_codes(missing, rows))
            continue
        parts.append(f"{_describe(uniques[u], label_of[u])} ({_rows_listed(rows)})")
    more = f" and {len(unknown) - 8} more values" if len(unknown) > 8 else ""
    if table is not None:
        return (
            f"{where}: value(s) not in recode[{ours!r}]: {'; '.join(parts)}{more}; "
            f"recode[{ours!r}] has keys {quoted_items(table, 20)}"
        )
    if ours == "city":
        return (
            f"{where}: numeric city code(s) without a value label: {'; '.join(parts)}"
            f"{more}; map them with recode={{'city': {{code: name}}}} (for GB/T 2260 "
            "codes: recode={'city': ADMINISTRATIVE_CITY_CODES})"
        )
    if ours == "weight":
        # A weight of 0 is refused too: a record without a weight has no place
        # in the population.
        return (
            f"{where}: labelled special code(s) {'; '.join(parts)}{more} in the "
            "weight column; a household needs a weight > 0: drop those records "
            "from the file, or give them a weight with "
            f"recode={{'weight': {{code: weight}}}}"
        )
    if ours in ("household_id", "stratum", "psu"):
        # Advice for amounts ("0 for 'not applicable'") made false ids: two
        # households, strata or PSUs merged into one.
        return (
            f"{where}: labelled special code(s) {'; '.join(parts)}{more} in the "
            f"{ours} column, which must identify each record's "
            + ("household" if ours == "household_id" else ours)
            + ": drop those records from the file or give them their own codes "
            f"with recode={{{ours!r}: {{code: new_code}}}}, a code no other "
            "record has"
        )
    if ours == "age":
        # "0 for 'not applicable'" made an unknown age a newborn (infant-care
        # deduction, child allowance) and a top code (100 = "100 and over") too.
        return (
            f"{where}: labelled special code(s) {'; '.join(parts)}{more} in the age "
            "column; give each an age in years with "
            "recode={'age': {code: years}} (a top code such as '100 and over' its "
            "own age) or drop those records from the file: an unknown age read as "
            "0 would make the person an infant"
        )
    return (
        f"{where}: labelled special code(s) {'; '.join(parts)}{more} in a numeric "
        f"column; map them with recode={{{ours!r}: {{code: amount}}}} (e.g. 0 for "
        "'not applicable')"
    )


def _check_boolean(
    where: str,
    ours: str,
    values: np.ndarray,
    labels: np.ndarray | None,
    problems: list[str],
    missing: np.ndarray | None = None,
) -> np.ndarray | None:
    """``values`` if every one is a flag (True/False, 1/0), else None and a message.

    ``missing``: the Stata codes of missing values per row, named in the message
    (``.a``, not ``.``).
    """
    if values.dtype == bool:
        return values
    if values.dtype == object:
        ok = np.array(
            [
                isinstance(v, bool | np.bool_) or (_is_number(v) and v in (0, 1))
                for v in values
            ],
            dtype=bool,
        )
    else:
        ok = np.isin(values, (0, 1))
    if ok.all():
        return values
    bad = np.flatnonzero(~ok)
    seen: dict[Any, Any] = {}
    for r in bad:
        key = None if _is_missing(values[r]) else _plain(values[r])
        if key not in seen:
            seen[key] = None if labels is None else labels[r]
    shown = ", ".join(
        _describe(v, lab, _codes_of(missing, bad) if v is None else None)
        for v, lab in list(seen.items())[:8]
    )
    # Every code of the column, not the bad ones only: a recode must map each
    # (a 1/2 flag told {2: ...} was then refused for its 1s).
    every: dict[Any, None] = {}
    for v in pd.unique(np.asarray(values, dtype=object)):
        every.setdefault(None if _is_missing(v) else _plain(v))
    keys = ", ".join(f"{quoted(v)}: True or False" for v in list(every)[:8]) + (
        ", ..." if len(every) > 8 else ""
    )
    labelled: dict[Any, Any] = {}
    if labels is not None:
        for v, lab in zip(values, labels, strict=True):
            if lab is not None:
                labelled.setdefault(_plain(v), lab)
    known = (
        "; the file labels "
        + ", ".join(f"{quoted(v)} {quoted(lab)}" for v, lab in labelled.items())
        if labelled
        else ""
    )
    problems.append(
        f"{where}: {ours} must be True/False or 1/0; found {shown} at "
        f"{describe_rows(~ok)}{known}; map every code with "
        f"recode={{{ours!r}: {{{keys}}}}}"
    )
    return None
