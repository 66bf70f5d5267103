"""File signatures and column selection shared by the survey readers.

Private helpers of :mod:`commonprosperity.survey`. A file is sniffed before pyarrow
or pandas parses it, so that a missing, empty, truncated or foreign file (a CSV
renamed ``.parquet`` or ``.dta``) gives a :class:`PopulationError` naming the path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from commonprosperity._files import (
    control_character,
    file_in_the_way,
    path_slips,
    path_state,
)
from commonprosperity.errors import PopulationError
from commonprosperity.population import (
    HOUSEHOLD_COLUMNS,
    OUR_COLUMNS,
    PERSON_REQUIRED,
    mapped_twice,
    misnamed_columns,
    misnamed_problem,
    renames_onto_ours,
)

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "OUR_COLUMNS",
    "PERSON_COLUMNS",
    "check_parquet",
    "check_renames",
    "check_stata",
    "select_columns",
]

PERSON_COLUMNS: tuple[str, ...] = PERSON_REQUIRED
_PARQUET_MAGIC = b"PAR1"
_STATA_OLD_VERSIONS = frozenset({104, 105, 108, 110, 111, 113, 114, 115})
_STATA_TAIL = b"</stata_dta>"


def _file_ends(path: Path, kind: str, n: int = 64) -> tuple[bytes, bytes, int]:
    """First and last ``n`` bytes and the size of a file; errors name the path."""
    try:
        state = path_state(path)
    except OSError as exc:
        raise PopulationError(
            f"{path}: cannot open {kind} file ({exc.strerror})"
        ) from None
    if state == "missing":
        ancestor = file_in_the_way(path)
        if ancestor is not None:
            raise PopulationError(
                f"{path}: no such {kind} file ({ancestor} is a file, not a directory)"
            )
        slips = path_slips(str(path))
        shown = repr(str(path)) if control_character(str(path)) else str(path)
        raise PopulationError(
            f"{shown}: no such {kind} file" + (f" ({slips})" if slips else "")
        )
    if state != "file":
        raise PopulationError(f"{path}: is not a file (a {kind} file is required)")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(n)
            f.seek(max(size - n, 0))
            tail = f.read(n)
    except OSError as exc:
        raise PopulationError(
            f"{path}: cannot read {kind} file ({exc.strerror})"
        ) from None
    if size == 0:
        raise PopulationError(f"{path}: is empty (0 bytes); a {kind} file is required")
    return head, tail, size


#: Signatures of files given in place of ours, for the message.
_SIGNATURES = (
    (_PARQUET_MAGIC, "a Parquet file"),
    (b"<stata_dta>", "a Stata file"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook, or a zipped file)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ARROW1", "an Arrow IPC (Feather) file"),
    (b"\x89HDF", "an HDF5 file"),
)


def _old_stata_release(head: bytes) -> bool:
    """Whether ``head`` starts as a Stata file of a release before 117 (binary)."""
    return (
        len(head) >= 4
        and head[0] in _STATA_OLD_VERSIONS
        and head[1] in (1, 2)
        and head[2] == 1
    )


def _looks_like(head: bytes) -> str:
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if _old_stata_release(head):
        return "a Stata file"
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of another format"
    # Valid UTF-8 is not yet text: NUL and other control bytes mean binary data.
    if any(ch < " " and ch not in "\t\n\r\f" for ch in decoded):
        return "binary data of another format"
    kind = "text, probably CSV" if ("," in decoded or "\t" in decoded) else "text"
    return f"{kind} (starts {decoded[:24]!r})"


def check_parquet(path: Path) -> None:
    """Raise PopulationError unless ``path`` starts and ends like a Parquet file."""
    head, tail, size = _file_ends(path, "Parquet")
    if not head.startswith(_PARQUET_MAGIC):
        raise PopulationError(
            f"{path}: is not a Parquet file (no 'PAR1' magic bytes at the start; "
            f"found {_looks_like(head)})"
        )
    if size < 12 or not tail.endswith(_PARQUET_MAGIC):
        raise PopulationError(
            f"{path}: is truncated or damaged: a Parquet file ends with its footer and "
            f"'PAR1', this one ({size:,} bytes) does not"
        )


def check_stata(path: Path) -> int:
    """Check a Stata file's signature (and end marker); return its format version."""
    head, tail, size = _file_ends(path, "Stata (.dta)")
    if head.startswith(b"<stata_dta>"):
        start = head.find(b"<release>")
        try:
            version = int(head[start + 9 : start + 12]) if start >= 0 else -1
        except ValueError:
            version = -1
        if version > 119:
            # Stata 18's format 120 and 121 (more than 32,767 variables or
            # aliases) are newer than pandas' reader, not damaged.
            raise PopulationError(
                f"{path}: is a Stata format {version} file, which cannot be read "
                "(readable: formats 104-119); save it in an older format with "
                "Stata's saveold"
            )
        if version not in (117, 118, 119):
            raise PopulationError(
                f"{path}: is a damaged Stata file (unreadable release in its header)"
            )
        if not tail.rstrip(b"\r\n").endswith(_STATA_TAIL):
            raise PopulationError(
                f"{path}: is truncated or damaged: a Stata {version} file ends with "
                f"'</stata_dta>', this one ({size:,} bytes) does not"
            )
        return version
    if _old_stata_release(head):
        return head[0]
    raise PopulationError(
        f"{path}: is not a Stata .dta file (no Stata signature at the start; found "
        f"{_looks_like(head)})"
    )


def check_renames(
    columns: Mapping[str, str | None] | None, function: str
) -> dict[str, str | None]:
    """Validate ``columns={"theirs": "ours"}``: a mapping onto the library's columns.

    A value of None leaves the file's column unread.
    """
    if columns is None:
        return {}
    renames, problems = renames_onto_ours(columns, f"{function}: ")
    if problems:
        raise PopulationError(f"{function}: " + "; ".join(problems))
    return {str(k): None if v is None else str(v) for k, v in renames.items()}


def select_columns(
    path: Path,
    names: list[str],
    renames: Mapping[str, str | None],
    wanted: tuple[str, ...],
    required: tuple[str, ...],
    other: Collection[str] | None = (),
    read_elsewhere: Collection[str | None] = (),
) -> dict[str, str]:
    """Map each of our ``wanted`` columns present in a file to the file's name for it.

    ``other``: the column names of the other file ``renames`` applies to, ``()``
    if none, None if not known (:func:`~commonprosperity.population.mapped_twice`).
    ``read_elsewhere``: our columns the other file provides; a name like one of
    them here is another variable, not a misnamed one (as in
    ``Population.from_frames``).

    Raises PopulationError naming the path when two file columns map to one of ours,
    a column is named like one of ours but for case, full-width letters, surrounding
    spaces or one letter (``"City"``, ``"cty"``: it would not be read;
    :func:`misnamed_columns`),
    or a ``required`` column is absent (listing
    the file's columns).
    """
    found: dict[str, list[str]] = {}
    for name in names:
        ours = renames.get(name, name)
        if ours is not None and ours in wanted:
            found.setdefault(ours, []).append(name)
    problems = []
    # Renamed columns are taken care of; ours found (under any name) are present.
    misnamed = misnamed_columns(
        [*found, *(n for n in names if n not in renames)],
        tuple(c for c in wanted if c not in read_elsewhere),
    )
    if misnamed:
        problems.append("the file " + misnamed_problem(misnamed))
    for ours, theirs in found.items():
        twice = sorted({t for t in theirs if theirs.count(t) > 1})
        if twice:
            # columns= cannot tell apart two columns of one name.
            problems.append(
                f"the file has more than one column named {twice[0]!r}: write it "
                "again with distinct column names"
            )
        elif len(theirs) > 1:
            problems.append(mapped_twice(theirs, ours, renames, other))
    missing = [c for c in required if c not in found]
    if missing:
        shown = ", ".join(repr(n) for n in names[:20]) + (
            " ..." if len(names) > 20 else ""
        )
        unread = [c for c in missing if c in renames and renames[c] is None]
        problems.append(
            f"missing column(s) {missing}; required: {list(required)}; the file has "
            f"[{shown}]; map the file's names with columns={{'theirs': 'ours'}}"
            + (
                (
                    f" ({unread} left unread by columns=: drop it from columns= "
                    "or map another of the file's columns to it)"
                    if other == ()
                    else f" ({unread} left unread by columns=, which applies to "
                    "both files: rename the column in one of them)"
                )
                if unread
                else ""
            )
        )
    if problems:
        raise PopulationError(f"{path}: " + "; ".join(problems))
    return {ours: theirs[0] for ours, theirs in found.items()}
