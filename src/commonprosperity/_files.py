"""Files written whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from commonprosperity._validate import quoted
from commonprosperity.errors import ArgumentError, ArgumentTypeError

__all__ = [
    "FORMATS",
    "FORMATS_ALLOWED",
    "control_character",
    "expand_home",
    "file_in_the_way",
    "path_slips",
    "path_state",
    "replace_atomically",
]

# Here, not beside the plotting code, so that the command line can name and check
# them without importing matplotlib (its --help and argument errors stay quick).
#: Figure file formats written by default.
FORMATS: tuple[str, ...] = ("png", "svg")
#: Figure file formats that can be written.
FORMATS_ALLOWED: tuple[str, ...] = ("png", "svg", "pdf")


def expand_home(path: str | os.PathLike[str], error: type[Exception]) -> Path:
    """``Path(path).expanduser()``, raising ``error`` for a home that does not exist.

    pathlib raises a bare RuntimeError for ``~nosuchuser/...``. A name the system
    cannot encode is refused too (:func:`unencodable`).
    """
    try:
        expanded = Path(path).expanduser()
    except RuntimeError:
        raise error(
            f"cannot expand {str(path)!r}: no such user's home directory"
        ) from None
    except TypeError:
        # An os.PathLike whose __fspath__ gives bytes: pathlib's bare TypeError.
        raise error(
            "a path must be a str or an os.PathLike giving a str; got "
            f"{type(path).__name__} (giving {type(os.fspath(path)).__name__})"
            if isinstance(path, os.PathLike)
            else f"a path must be a str or an os.PathLike; got {type(path).__name__}"
        ) from None
    problem = unencodable(expanded)
    if problem:
        raise error(problem)
    return expanded


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (a new line, a tab ...), or None."""
    return next((ch for ch in text if ord(ch) < 32 or ord(ch) == 127), None)


def path_slips(text: str) -> str:
    r"""What a path that names no file says of how it was typed, or "".

    A Windows path typed in a double-quoted TOML string or a Python string
    ("data\new.parquet") holds a new line where ``\n`` stood; one typed with
    backslashes names no folder on this system.
    """
    control = control_character(text)
    if control is not None:
        return (
            f"the path holds the control character {control!r}: in a "
            "double-quoted TOML string or a Python string a backslash starts an "
            "escape (\\n a new line, \\t a tab); write the path with forward "
            "slashes, or as a raw string r'...' (Python) or in single quotes (TOML)"
        )
    if "\\" in text and os.sep == "/":
        return (
            "a backslash does not separate folders on this system: write the "
            "path with forward slashes, which Windows reads too"
        )
    if text != text.strip():
        # Invisible in a message: "sc/bom.toml : cannot read ... (No such file)".
        where = "begins" if text[:1].isspace() else "ends"
        if text[:1].isspace() and text[-1:].isspace():
            where = "begins and ends"
        return f"the path {where} with white space: was {text.strip()!r} meant?"
    return ""


def unencodable(path: str | os.PathLike[str]) -> str | None:
    """Why the system cannot take ``path`` as a file name, or None if it can.

    Under a non-UTF-8 locale (``LC_ALL=C`` with ``PYTHONUTF8=0``) a Chinese name
    cannot be encoded: an existing file was "no such file", an existing folder
    "does not exist", and a report's writer failed with a bare
    UnicodeEncodeError.
    """
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        shown = os.fspath(path).encode("utf-8", "backslashreplace").decode()
        return (
            f"{shown!r} cannot be a file name in this system's encoding "
            f"({sys.getfilesystemencoding()}: a non-UTF-8 locale such as "
            "LC_ALL=C): use a UTF-8 locale (e.g. LC_ALL=C.UTF-8) or PYTHONUTF8=1, "
            "or rename it"
        )
    return None


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` if it is a file, else None.

    ``good.parquet/x`` was "no such file" or "directory good.parquet does not
    exist", which sent users looking for a typo in a path that exists as a file.
    """
    for ancestor in path.absolute().parents:
        try:
            if ancestor.exists():
                return None if ancestor.is_dir() else ancestor
        except OSError:
            return None
    return None


def output_folder(out_dir: Any, where: str) -> Path:
    """The folder ``out_dir`` a writer ``where`` writes into, ``~`` expanded.

    Refuses what is no path (``Path(None)`` raised a bare TypeError) and an
    empty one (it wrote into the current folder).
    """
    if not isinstance(out_dir, str | os.PathLike) or (
        isinstance(out_dir, str) and not out_dir.strip()
    ):
        raise ArgumentTypeError(
            f"{where}: out_dir must be a folder's path (a non-empty str or "
            f"pathlib.Path); got {quoted(out_dir)}"
        )
    return expand_home(out_dir, ArgumentError)


def replace_atomically(path: Path, write: Callable[[str], object]) -> None:
    """Write ``path`` through a scratch file beside it, moved into place when whole.

    ``write(scratch)`` writes the content to the path it is given. Written in
    place, a full disk left an empty or truncated file and the old one was lost
    with it; here an error or an interrupt removes the scratch file and keeps the
    old file. A symbolic link is followed: its target receives the content and
    the link stays (replacing the link itself left the file it named unchanged).
    """
    path = Path(os.path.realpath(path))
    if path.is_symlink():
        # realpath stops in a loop of links; reading the path says so, and the
        # rename put a file in place of the link.
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    if path_state(path) == "other":
        # A FIFO or a device (/dev/null): the rename replaced it with a plain
        # file (as root, /dev/null itself), where reading refuses it.
        raise OSError(
            errno.EINVAL,
            "not a regular file (a device, pipe or socket); give a file's path",
            str(path),
        )
    fd, scratch = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    try:
        # mkstemp's file is private (0600) and the mode survives the rename: Dask
        # workers running as another user could not read a baseline written so.
        os.chmod(scratch, _file_mode(path))
        write(scratch)
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            with contextlib.suppress(OSError):
                os.unlink(scratch)


def _file_mode(path: Path) -> int:
    """The mode a plain write gives: an existing file's, else the umask's."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def path_state(path: Path) -> str:
    """What ``path`` names: "file", "directory", "missing" or "other".

    "other" exists but is no regular file (/dev/null, a FIFO, a socket), which a
    bare ``is_file()`` would call missing. Raises OSError where the system refuses
    the name rather than answers (e.g. a name too long).
    """
    if path.is_dir():
        return "directory"
    if not path.exists():
        return "missing"
    return "file" if path.is_file() else "other"
