"""Command line: ``commonprosperity`` / ``python -m commonprosperity``.

Subcommands::

    run [SCENARIO.toml] [--year Y] [--households N | --population FILE.parquet]
        [--band-basis household|three_person] [--out DIR]
    sweep SWEEP.toml [--scheduler ADDRESS] [--out DIR]
    solve [SCENARIO.toml] --lever PATH --target "gini <= 0.40" --bounds LO HI
    baseline --year Y --households N --out FILE.parquet

Without a subcommand, ``run`` on the status quo and the embedded default population.
Every input is checked before anything is written; bad input prints one line naming
the problem and exits with code 2 (``--debug`` shows the traceback). Exit codes:
0 success, 1 ``solve`` found the target unreachable, 2 bad input, a feature this
installation lacks or a warning made an error (``python -W error``), 70 an
unexpected error (its traceback printed), 74 the terminal output could not be
written, 130 interrupted.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import decimal
import importlib
import inspect
import math
import os
import re
import shlex
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, TextIO, cast

from commonprosperity._files import (
    FORMATS,
    FORMATS_ALLOWED,
    expand_home,
    file_in_the_way,
    replace_atomically,
)
from commonprosperity._interrupt import is_interrupt
from commonprosperity._plausible import RIGHT, more_than_the_province
from commonprosperity._unit_slips import slips_said, unit_slips, warn_unit_slips
from commonprosperity._validate import (
    as_given,
    labour_share_problem,
    plain_text,
    quoted,
)
from commonprosperity.baseline import URBAN_DEFINITIONS
from commonprosperity.errors import (
    CommonProsperityError,
    ImplausibleDataWarning,
    PopulationError,
    TargetUnreachableError,
)

__all__ = ["main"]

DEFAULT_HOUSEHOLDS = 200_000
DEFAULT_YEAR = 2024
DEFAULT_OUT = "commonprosperity-out"
DEFAULT_SWEEP_OUT = "commonprosperity-sweep-out"
COMMANDS = ("run", "sweep", "solve", "baseline")
EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Standard output could not be written (sysexits' EX_IOERR): not bad input,
#: and the output folder may well be complete.
EXIT_OUTPUT = 74
#: An error the library did not foresee (sysexits' EX_SOFTWARE), its traceback
#: printed: exit 1 read as "target unreachable" to a script.
EXIT_SOFTWARE = 70

# As solve's: each run of digits or spaces matched one way only (linear time).
_TARGET = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?))?\s*$"
)
_ADDRESS = re.compile(r"^([a-z][a-z0-9+]*://)?[A-Za-z0-9_.\-\[\]:]+(:\d{1,5})?$")


class UsageError(CommonProsperityError):
    """A bad command line, an unusable path, or a feature not installed."""


class _StoreOnce(argparse._StoreAction):
    """An option's value, refused when the option is given twice.

    argparse keeps the last of ``--year 2021 --year 2025``: one of two years
    the user typed was dropped without a word.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        given = namespace.__dict__.setdefault("_options_given", {})
        if self.dest in given:
            parser.error(
                f"{'/'.join(self.option_strings)} given twice ({given[self.dest]} "
                f"and {option_string} {_shown(values)}); give it once"
            )
        given[self.dest] = f"{option_string} {_shown(values)}"
        setattr(namespace, self.dest, values)


def _shown(values: Any) -> str:
    return " ".join(map(str, values)) if isinstance(values, list) else str(values)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The parser of each command of ``parser``."""
    for action in parser._actions:  # argparse offers no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No shortened options: --deb was taken for --debug by the parser but
        # not by main's own look for "--debug", so it did nothing.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)
        # A negative number in exponent form (--bounds -5e-2 0.1) is a value,
        # as -0.05 is; argparse took it for an option.
        # So are -1_000 and -inf, which the option's own check then names.
        self._negative_number_matcher = re.compile(
            r"^-(?:(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:e[+-]?\d+)?|inf|infinity|nan)$",
            re.IGNORECASE,
        )

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")

    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse drops a failed write of --help or --version (> /dev/full),
        # which then exited 0 having printed nothing; main says so (exit 74).
        if message:
            stream = file or sys.stderr
            if stream is not None:
                stream.write(message)


# ------------------------------------------------------------- option types
def _households(text: str) -> int:
    # The embedded baseline's range: `--households 10` passed here and failed
    # later with "baseline: n_households ...", naming no option.
    from commonprosperity.baseline import MAX_HOUSEHOLDS, MIN_HOUSEHOLDS

    low, high = MIN_HOUSEHOLDS, MAX_HOUSEHOLDS
    try:
        n = int(text.replace("_", ""))
    except ValueError:
        n = 0
    if not low <= n <= high:
        raise argparse.ArgumentTypeError(
            f"must be an integer in {low:,}–{high:,} (household records of the "
            f"embedded population); got {quoted(text)}"
        )
    return n


def _year(text: str) -> int:
    try:
        y = int(text)
    except ValueError:
        y = 0
    if not 2000 <= y <= 2100:
        raise argparse.ArgumentTypeError(
            f"must be a year in 2000–2100; got {quoted(text)}"
        )
    return y


def _baseline_year(text: str) -> int:
    # The years baseline() takes, refused here in the option's name (the library's
    # message named its argument: "baseline: year must be one of ...").
    from commonprosperity.statistics import BASELINE_YEARS

    try:
        y = _year(text)
    except argparse.ArgumentTypeError:
        y = None  # "a year in 2000–2100" named none of the years it takes
    if y not in BASELINE_YEARS:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(map(str, BASELINE_YEARS))} (the years with "
            f"published statistics); got {quoted(text)}"
        )
    return y


def _seed(text: str) -> int:
    try:
        s = int(text)
    except ValueError:
        s = -1
    if s < 0:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative integer; got {quoted(text)}"
        )
    return s


def _positive_float(text: str) -> float:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        v = float("nan")
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a positive number; got {quoted(text)}"
        )
    return v


def _finite_float(text: str) -> float:
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        v = float("nan")
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number; got {quoted(text)}")
    return v


def _figure_formats(text: str) -> tuple[str, ...]:
    """``--figures``: formats separated by commas, each once; ``none``: none."""
    items = [item.strip().lower() for item in text.split(",")]
    if items == ["none"]:
        return ()
    allowed = f"{', '.join(FORMATS_ALLOWED)} (several separated by commas) or none"
    if "none" in items:
        raise argparse.ArgumentTypeError(
            f"none (no figures) goes alone; got {quoted(text)}"
        )
    bad = [item for item in items if item not in FORMATS_ALLOWED]
    if bad:
        which = ", ".join(quoted(b) for b in bad)
        raise argparse.ArgumentTypeError(
            f"each figure format must be one of {allowed}; got {quoted(text)} "
            f"({which} {'is not one' if len(bad) == 1 else 'are not'})"
        )
    return tuple(dict.fromkeys(items))


def _path(text: str) -> Path:
    # Path("") is Path("."): an empty --out wrote the report into the current
    # directory, and an empty --population read it as a directory.
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a path; got an empty string")
    # A name in another encoding (GBK bytes from a Windows archive, or any
    # Chinese name under LC_ALL=C) arrives with surrogates: reports, figure
    # titles and pyarrow cannot write it, and failed with a traceback at the end.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Shown as the bytes given (b'\xe6\x94\xb9.toml'): escaped once more,
        # the surrogates read '\\udce6\\udc94', matching no file name.
        try:
            shown = repr(os.fsencode(text))
        except UnicodeEncodeError:
            shown = repr(text.encode("utf-8", "backslashreplace").decode())
        raise argparse.ArgumentTypeError(
            f"{shown} is not valid text in this system's encoding (a name in "
            "another encoding, or a non-UTF-8 locale such as LC_ALL=C): rename "
            "it, or use a UTF-8 locale"
        ) from None
    # A quoted or `--out=~/...` path reaches us unexpanded; the readers and
    # writers expand `~`, so every path option does (not a folder named "~").
    return expand_home(text, argparse.ArgumentTypeError)


# ------------------------------------------------------------------- parser
def _build_parser() -> _Parser:
    from commonprosperity import __version__

    common = _Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="show the full traceback of an error"
    )
    population = _Parser(add_help=False)
    group = population.add_mutually_exclusive_group()
    group.add_argument(
        "--households",
        type=_households,
        default=None,
        metavar="N",
        help=f"household records of the embedded population "
        f"(default {DEFAULT_HOUSEHOLDS:,})",
    )
    group.add_argument(
        "--population",
        type=_path,
        default=None,
        metavar="FILE.parquet",
        help="read the population from a Parquet file instead",
    )
    population.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="seed of the embedded population (default 0; not with --population)",
    )
    population.add_argument(
        "--urban-definition",
        choices=URBAN_DEFINITIONS,
        default=None,
        help="urban share of the embedded population: the survey's (default; all "
        "three published means hold) or the official urbanisation rate (census; "
        "T6 on the official basis, the all-resident mean 3-4 %% high); not with "
        "--population",
    )
    population.add_argument(
        "--band-basis",
        choices=("household", "three_person"),
        default="household",
        help="income bands on household income (default) or on 3 × per-capita income",
    )

    figures = _Parser(add_help=False)
    figures.add_argument(
        "--figures",
        type=_figure_formats,
        default=FORMATS,
        metavar="FORMATS",
        help=f"figure file formats, separated by commas: "
        f"{', '.join(FORMATS_ALLOWED)} (default {','.join(FORMATS)}), or none for "
        "the tables and report only",
    )

    parser = _Parser(
        prog="commonprosperity",
        description="Household income microsimulation of Zhejiang's common-prosperity "
        "plan: the plan's 2025 targets, Gini and fiscal totals of a policy scenario. "
        "Without a subcommand: `run` on the status quo.",
        parents=[common],
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common, population, figures],
        help="simulate one scenario: target table, figures and report",
        description="Simulate one scenario (default: the status quo of --year) and "
        "write indicators.csv, targets.csv, fiscal.csv, deciles.csv, "
        "winners_losers.csv (beside the status quo), report.md and the figures "
        "into --out.",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        type=_path,
        metavar="SCENARIO.toml",
        help="scenario file (fields not given: status quo of its year)",
    )
    run.add_argument(
        "--year",
        type=_year,
        default=None,
        help=f"policy year without a scenario file (default: the --population "
        f"file's year if it is a policy year, else {DEFAULT_YEAR}); must match "
        "the scenario file's year otherwise",
    )
    run.add_argument(
        "--out",
        type=_path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"output directory (default ./{DEFAULT_OUT})",
    )
    run.add_argument(
        "--gdp",
        type=_positive_float,
        default=None,
        metavar="YUAN",
        help="GDP of the year, yuan (with --labour-compensation: T7)",
    )
    run.add_argument(
        "--labour-compensation",
        type=_positive_float,
        default=None,
        metavar="YUAN",
        help="labour remuneration of the year, yuan",
    )
    run.set_defaults(handler=_cmd_run)

    sweep = sub.add_parser(
        "sweep",
        parents=[common, figures],
        help="run a grid of scenarios from a SWEEP.toml file",
        description="Run the grid of a SWEEP.toml file (base scenario + levers) and "
        "write sweep.csv, sweep.parquet, the heatmap and frontier figures and "
        "report.md into --out.",
    )
    sweep.add_argument("file", type=_path, metavar="SWEEP.toml")
    sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. "
        "tcp://10.0.0.5:8786 (default: threads on this machine)",
    )
    sweep.add_argument(
        "--out",
        type=_path,
        default=Path(DEFAULT_SWEEP_OUT),
        metavar="DIR",
        help=f"output directory (default ./{DEFAULT_SWEEP_OUT})",
    )
    sweep.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (by default one is shown only on a terminal)",
    )
    sweep.set_defaults(handler=_cmd_sweep)

    solve = sub.add_parser(
        "solve",
        parents=[common, population],
        help="find the smallest lever value that meets a target",
        description="Find the smallest value of one lever, inside the bounds, at "
        'which the scenario meets a target such as "gini <= 0.40" or "T4 < 1.9".',
    )
    solve.add_argument("scenario", nargs="?", type=_path, metavar="SCENARIO.toml")
    solve.add_argument(
        "--year",
        type=_year,
        default=None,
        help=f"policy year without a scenario file (default: the --population "
        f"file's year if it is a policy year, else {DEFAULT_YEAR})",
    )
    solve.add_argument(
        "--lever",
        required=True,
        metavar="PATH",
        help="dotted scenario path, e.g. transfers.dibao_monthly",
    )
    solve.add_argument(
        "--target",
        required=True,
        metavar='"NAME OP VALUE"',
        help='e.g. "gini <= 0.40", "urban_rural_ratio < 1.9", "T2 >= 0.8"; or a '
        'target id T1-T6 alone ("T4"), its plan goal',
    )
    solve.add_argument(
        "--bounds",
        required=True,
        nargs=2,
        type=_finite_float,
        metavar=("LO", "HI"),
        help="search interval of the lever",
    )
    solve.add_argument(
        "--xtol",
        type=_positive_float,
        default=None,
        help="tolerance on the lever (default 1e-6 × (HI − LO))",
    )
    solve.add_argument(
        "--save",
        type=_path,
        default=None,
        metavar="SCENARIO.toml",
        help="write the solved scenario to this file",
    )
    solve.set_defaults(handler=_cmd_solve)

    base = sub.add_parser(
        "baseline",
        parents=[common],
        help="write the calibrated baseline population to a Parquet file",
        description="Generate the calibrated Zhejiang baseline population of a year "
        "and write it to a Parquet file (one row per person).",
    )
    base.add_argument(
        "--year",
        type=_baseline_year,
        required=True,
        help="the baseline's year (2020-2024, the years with published statistics)",
    )
    base.add_argument(
        "--households",
        type=_households,
        required=True,
        metavar="N",
        help="household records to generate",
    )
    base.add_argument(
        "--seed", type=_seed, default=0, help="seed of the draws (default 0)"
    )
    base.add_argument(
        "--urban-definition",
        choices=URBAN_DEFINITIONS,
        default="survey",
        help="urban share: the survey's (default) or the official urbanisation "
        "rate (census)",
    )
    base.add_argument(
        "--out",
        type=_path,
        required=True,
        metavar="FILE.parquet",
        help="the Parquet file to write (one row per person, with the year and source)",
    )
    base.set_defaults(handler=_cmd_baseline)
    return parser


#: Options that take no value (every other option takes one).
_FLAGS = ("--debug", "--no-progress", "--help", "-h", "--version")


def _takes_value(arg: str) -> bool:
    """Whether ``arg`` is an option whose value is the next argument."""
    return arg.startswith("-") and "=" not in arg and arg not in _FLAGS


def _with_default_command(argv: list[str]) -> list[str]:
    """Insert ``run`` when no subcommand is given; reject misspelt subcommands."""
    for i, arg in enumerate(argv):
        if arg in ("-h", "--help", "--version"):
            return argv
        if arg == "--debug":
            continue
        if arg in COMMANDS:
            return argv
        if arg.startswith("-"):
            # `commonprosperity --households 1000 solve ...` read "solve" as the
            # scenario file of an implied `run` ("solve: cannot read scenario file").
            # An option's value is not a command: `--out sweep` names a folder.
            late = next(
                (
                    a
                    for k, a in enumerate(argv[i + 1 :], start=i + 1)
                    if a in COMMANDS
                    and not Path(a).exists()
                    and not _takes_value(argv[k - 1])
                ),
                None,
            )
            if late is not None:
                raise UsageError(
                    f"{arg} comes before the command {late!r}; options go after it: "
                    f"commonprosperity {late} {arg} ... (see commonprosperity "
                    f"{late} --help)"
                )
        if (
            not arg.startswith("-")
            and not arg.endswith(".toml")
            and "/" not in arg
            and not Path(arg).exists()
        ):
            raise UsageError(
                f"unknown command {arg!r}; choose from "
                f"{', '.join(COMMANDS)} (see commonprosperity --help)"
            )
        return [*argv[:i], "run", *argv[i:]]
    return [*argv, "run"]


# ------------------------------------------------------------------ helpers
def _optional(module: str, what: str) -> ModuleType:
    """Import a module of an optional extra (``distributed``), or say how to."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise UsageError(f"{what} needs {module}, which is not installed") from None


def _check_out_dir(path: Path) -> Path:
    """Check that an output directory exists or can be created; create nothing."""
    from commonprosperity._reportformat import out_dir_problem

    problem = out_dir_problem(path)
    if problem is not None:
        raise UsageError(f"--out {path}: {problem[1]}")
    return path


def _refuse_overwriting_inputs(
    out: Path, inputs: dict[str, Path | None], kind: str
) -> None:
    """Refuse an --out directory where the outputs would replace an input.

    ``[population] file = "sweep.parquet"`` beside ``--out`` was replaced by the
    results table, silently. ``kind``: ``"run"`` or ``"sweep"``, whose
    files the command writes; those of the output whose report.md is in ``out``
    are removed too.
    """
    from commonprosperity._reportformat import (
        OUTPUTS,
        RUN_FILES,
        SWEEP_FILES,
        removable_names,
    )

    written = RUN_FILES if kind == "run" else SWEEP_FILES
    replaced = {*written, *removable_names(out, OUTPUTS)}
    for what, path in inputs.items():
        if path is None or path.name not in replaced:
            continue
        target = out / path.name
        if target.exists() and path.exists() and os.path.samefile(target, path):
            raise UsageError(
                f"--out {out}: {what} {path} has the name of an output file, "
                "which the results would replace or remove; write them to "
                "another directory"
            )


def _check_out_file(path: Path, suffix: str, option: str) -> Path:
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option} {path}: must end in {suffix}")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory")
    parent = path.absolute().parent
    if not parent.is_dir():
        ancestor = file_in_the_way(path)
        if ancestor is not None:
            raise UsageError(f"{option} {path}: {ancestor} is not a directory")
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{option} {path}: directory {parent} is not writable")
    return path


def _read_population_file(path: Path) -> Any:
    from commonprosperity._files import path_state
    from commonprosperity.population import Population

    # As read_parquet does (a quoted or `--population=~/...` path reaches us
    # unexpanded), so the check and the read see the same file.
    path = Path(path).expanduser()
    state = path_state(path)
    if state == "missing":
        raise PopulationError(f"--population {path}: no such file")
    if state != "file":  # "no such file" would send the user looking for a typo
        what = "is a directory" if state == "directory" else "is not a regular file"
        raise PopulationError(
            f"--population {path}: {what}; give a Parquet file (one row per person)"
        )
    try:
        return Population.read_parquet(path)
    except CommonProsperityError as exc:
        if "columns=" not in str(exc):
            raise
        # The reader's advice is its Python argument, which no option here
        # takes: say where it applies.
        raise type(exc)(
            f"{exc} (columns= is read_parquet's argument in Python; the command "
            "line reads the library's column names: rename them in the file, or "
            "read it in Python and write it with Population.write_parquet)"
        ) from None
    except Exception as exc:  # a reader that lets a pyarrow/OS error through
        raise PopulationError(
            f"{path}: cannot read the population file ({type(exc).__name__}: {exc})"
        ) from exc


def _embedded_population(
    households: int,
    seed: int,
    year: int,
    origin: str = "",
    urban_definition: str | None = None,
    file_hint: str = "--population FILE.parquet",
) -> tuple[Any, str]:
    """Make the calibrated baseline of a year, and its description.

    The baseline covers the years with published statistics; a later policy year
    uses the latest baseline, projected to that year.
    ``file_hint``: how the command is given a population file instead.
    """
    from commonprosperity.baseline import baseline as make
    from commonprosperity.projection import MAX_YEAR, project
    from commonprosperity.statistics import BASELINE_YEARS

    years = tuple(BASELINE_YEARS)
    if year < min(years):
        # baseline() would say only "year must be one of ...", naming no file.
        raise UsageError(
            f"{origin or f'year {year}'}: the embedded population describes "
            f"incomes of {min(years)}–{max(years)} (later years projected); for "
            f"{year} give {file_hint} with incomes of that year"
        )
    data_year = year
    if year > max(years):
        data_year = max(years)
        if year > MAX_YEAR:
            # project() would say only "to_year must be ...", naming no file.
            raise UsageError(
                f"{origin or f'year {year}'}: the embedded population is projected "
                f"from {data_year} to at most {MAX_YEAR}; for {year} give "
                f"{file_hint} with incomes of that year"
            )
    definition = urban_definition or "survey"
    pop = make(
        year=data_year,
        n_households=households,
        seed=seed,
        urban_definition=definition,
    )
    text = (
        f"the calibrated Zhejiang baseline of {data_year} "
        f"({households:,} households, seed {seed}"
        + (
            ", urban share: official urbanisation rate"
            if definition == "census"
            else ""
        )
        + ")"
    )
    if data_year != year:
        pop = project(pop, year)
        text += f", projected to {year}"
    return pop, text


def _population(
    file: Path | None,
    households: int | None,
    seed: int | None,
    year: int,
    origin: str = "",
    urban_definition: str | None = None,
    file_hint: str = "--population FILE.parquet",
) -> tuple[Any, str]:
    """The population of a command and its description.

    ``origin`` says where ``year`` came from (a file's key, an option) for an
    error that names it; ``file_hint`` how the command reads a population file.
    """
    if file is not None:
        if seed is not None:
            # The seed draws the embedded population; a file has none to draw.
            raise UsageError(
                f"--seed {seed} applies to the embedded population; --population "
                f"{file} reads one from a file: give one or the other"
            )
        if urban_definition is not None:
            raise UsageError(
                f"--urban-definition {urban_definition} applies to the embedded "
                f"population; --population {file} has its own urban flag: give "
                "one or the other"
            )
        pop = _read_population_file(file)
        if pop.year is None:
            # Person weights (3.4x the province's residents) were said for a file
            # with a year and not for one without: judged by the policy year.
            more_than_the_province(pop, year, f"{file}: ")
        income_year = (
            "unknown income year" if pop.year is None else f"income year {pop.year}"
        )
        if pop.year is not None and pop.year != year:
            from commonprosperity.simulate import PROJECTABLE_FROM

            # The embedded population is projected to the policy year; a file's
            # is taken as it is (the same data gave other targets unsaid).
            income_year += f", not projected to the policy year {year}" + (
                ": use commonprosperity.project for that"
                if PROJECTABLE_FROM <= pop.year < year
                else ""
            )
        return pop, (
            f"{plain_text(str(file))} ({pop.n_households:,} households, {income_year})"
        )
    return _embedded_population(
        households or DEFAULT_HOUSEHOLDS,
        0 if seed is None else seed,
        year,
        origin,
        urban_definition,
        file_hint,
    )


def _population_of(args: argparse.Namespace, year: int) -> tuple[Any, str]:
    """:func:`_population` from the population options of ``run`` and ``solve``."""
    return _population(
        args.population,
        args.households,
        args.seed,
        year,
        _origin(args),
        args.urban_definition,
    )


def _origin(args: argparse.Namespace) -> str:
    """Where a run's or solve's policy year came from, for messages."""
    if args.scenario is not None:
        return f"year of {args.scenario}"
    return f"--year {args.year}" if args.year is not None else ""


def _policy_year(args: argparse.Namespace) -> int | None:
    """``--year``, or the ``--population`` file's year when nothing sets one.

    A 2022 survey run on 2024 policy by default read as a 2024 result; the
    file's year is used when it is a policy year (else the default year, with
    the population's note that it is not projected).
    """
    if args.year is not None or args.scenario is not None or args.population is None:
        return cast("int | None", args.year)
    from commonprosperity.published import POLICY_YEARS
    from commonprosperity.survey import parquet_year

    year = parquet_year(args.population)
    return year if year in POLICY_YEARS else None


def _scenario(file: Path | None, year: int | None) -> tuple[Any, str]:
    from commonprosperity.errors import ScenarioError
    from commonprosperity.scenario import Scenario

    if file is None:
        y = DEFAULT_YEAR if year is None else year
        try:
            return Scenario.status_quo(y), f"status quo {y}"
        except ScenarioError as exc:
            # The library's message named the year but not the option giving it.
            from commonprosperity.projection import MAX_YEAR
            from commonprosperity.published import POLICY_YEARS

            advice = ""
            if isinstance(y, int) and max(POLICY_YEARS) < y <= MAX_YEAR:
                advice = (
                    "; for a later year give a scenario file (run on the projected "
                    "population)"
                )
            elif isinstance(y, int) and y > MAX_YEAR:
                # The embedded population is projected to MAX_YEAR at most: a
                # scenario file alone would be refused in its turn.
                advice = (
                    f"; for a year after {MAX_YEAR} give a scenario file and "
                    "--population FILE.parquet of that year (the embedded "
                    f"population is projected to {MAX_YEAR} at most)"
                )
            raise UsageError(f"--year {y}: {exc}{advice}") from None
    scenario = Scenario.from_toml(file)
    if year is not None and year != scenario.year:
        raise UsageError(
            f"--year {year} conflicts with year = {scenario.year} in "
            f"{file}; drop --year or change the file"
        )
    # The name as shown in the terminal, report.md and the figures: an ESC in a
    # file name cleared the terminal, a newline split the report's heading.
    return scenario, plain_text(file.stem)


def _command_line(argv: Sequence[str]) -> str:
    return "commonprosperity " + " ".join(shlex.quote(a) for a in argv)


# ----------------------------------------------------------------- commands
def _cmd_run(args: argparse.Namespace) -> int:
    from commonprosperity import report
    from commonprosperity.published import POLICY_YEARS
    from commonprosperity.scenario import Scenario
    from commonprosperity.simulate import simulate

    if (args.gdp is None) != (args.labour_compensation is None):
        raise UsageError(
            "--gdp and --labour-compensation go together (T7 is their "
            "ratio); give both or neither"
        )
    if args.gdp is not None and (
        problem := labour_share_problem(
            args.gdp, args.labour_compensation, ("--gdp", "--labour-compensation")
        )
    ):
        # Checked before the run, in the options' names (evaluate_targets would
        # name its own arguments, after the simulation).
        raise UsageError(problem)
    out = _check_out_dir(args.out)
    _refuse_overwriting_inputs(
        out,
        {"the scenario file": args.scenario, "the population file": args.population},
        "run",
    )
    scenario, label = _scenario(args.scenario, _policy_year(args))
    pop, pop_text = _population_of(args, scenario.year)
    result = simulate(pop, scenario, band_basis=args.band_basis)
    baseline = None
    if args.scenario is not None and scenario.year in POLICY_YEARS:
        status_quo = Scenario.status_quo(scenario.year)
        if status_quo != scenario:
            baseline = simulate(pop, status_quo, band_basis=args.band_basis)
    heading = f"{label} ({scenario.year} policy) on {pop_text}"
    if baseline is not None:
        heading += f"; compared with the status quo {scenario.year}"
    text = report.summary_text(
        result,
        heading=heading,
        baseline=baseline,
        gdp=args.gdp,
        labour_compensation=args.labour_compensation,
    )
    try:
        written = report.write_run(
            result,
            out,
            heading=heading,
            baseline=baseline,
            command=args.command_line,
            gdp=args.gdp,
            labour_compensation=args.labour_compensation,
            label=label if args.scenario is not None else None,
            formats=args.figures,
            warnings=_warnings_said(args),
        )
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print(text)
    print()
    print(
        f"Wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written)
    )
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from commonprosperity import report
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.simulate import (
        band_basis_note,
        population_cities_note,
        population_weak_values,
    )

    spec = read_sweep_file(args.file)
    out = _check_out_dir(args.out)
    _refuse_overwriting_inputs(
        out,
        {"the sweep file": args.file, "its population file": spec.population_file},
        "sweep",
    )
    from commonprosperity.sweep import cheapest
    from commonprosperity.sweep import sweep as run_sweep

    engine, client = "threads", None
    if args.scheduler is not None:
        if not _ADDRESS.match(args.scheduler):
            raise UsageError(
                f"--scheduler {args.scheduler!r}: not a scheduler address; "
                "expected e.g. tcp://10.0.0.5:8786 or 10.0.0.5:8786"
            )
        _optional(
            "distributed",
            "--scheduler (the Dask engine; pip install 'commonprosperity[dask]')",
        )
        engine, client = "dask", args.scheduler
        from commonprosperity._dask import (
            CLIENT_ONLY_SCHEMES,
            address_scheme,
            check_address,
        )

        if (scheme := address_scheme(client)) in CLIENT_ONLY_SCHEMES:
            # The engine's advice, "pass it as client=", names no option of ours.
            raise UsageError(
                f"--scheduler {client}: a {scheme}:// scheduler needs settings an "
                "address cannot carry (security, transport), and the command line "
                "opens tcp:// and ws:// addresses only: open the distributed.Client "
                "yourself (e.g. Client(address, security=...)) and pass it as "
                "client= to commonprosperity.sweep in Python"
            )

        # Before the population is built: an unreachable scheduler was found
        # only after building (and projecting) up to 20 million households.
        try:
            check_address(client)
        except CommonProsperityError as exc:
            raise _scheduler_error(client, exc) from None
    try:
        pop, pop_text = _population(
            spec.population_file,
            spec.households,
            # A sweep file with population.file has no seed (it refuses one).
            None if spec.population_file is not None else spec.seed,
            spec.population_year or spec.base.year,
            (
                f"population.year = {spec.population_year} in {args.file}"
                if spec.population_year
                else f"the base scenario's year {spec.base.year} in {args.file}"
            ),
            urban_definition=spec.urban_definition,
            file_hint='population.file = "FILE.parquet" in its [population] table',
        )
    except PopulationError as exc:
        if spec.population_file is None:
            raise
        # The reader named the file only: say where it was given.
        raise type(exc)(
            f"{args.file}: population.file: "
            + str(exc).removeprefix(f"--population {spec.population_file}: ")
        ) from None
    if spec.population_year and spec.population_year != spec.base.year:
        # Asked for by year, the embedded population is not projected: say so
        # where the targets of the policy year are judged on it.
        pop_text += (
            f"; {spec.population_year} incomes, not projected to the policy "
            f"year {spec.base.year}"
        )
    try:
        with warnings.catch_warnings():
            # Said in the population line above, and in the report.
            warnings.filterwarnings("ignore", "sweep: T1–T6 are judged on incomes")
            frame = run_sweep(
                pop,
                spec.base,
                spec.grid,
                engine=engine,
                client=client,
                band_basis=spec.band_basis,
                # None: a bar only when stderr is a terminal, not in logs.
                progress=False if args.no_progress else None,
            )
    except CommonProsperityError as exc:
        if client is None or not str(exc).startswith("client: "):
            raise
        raise _scheduler_error(client, exc) from None
    except (OSError, TimeoutError) as exc:
        if client is None:
            raise
        raise UsageError(
            f"--scheduler {client}: cannot use the Dask scheduler "
            f"({type(exc).__name__}: {exc})"
        ) from None
    # The band basis, as run's and solve's headings name it: a bare "T3 met" on
    # the three-person basis read as the household one's.
    heading = (
        f"sweep {spec.path.name}: {spec.n_scenarios:,} scenarios around "
        f"{spec.base_label} on {pop_text}; band basis: {spec.band_basis}"
    )
    try:
        written, summary = report.write_sweep(
            frame,
            out,
            spec=spec,
            heading=heading,
            command=args.command_line,
            cheapest=cheapest,
            target_notes={
                **dict.fromkeys(
                    ("T2", "T3") if spec.band_basis != "household" else (),
                    band_basis_note(spec.band_basis),
                ),
                "T5": population_cities_note(pop),
                # No lever moves the urban share: its basis says what T6 reads.
                "T6": frame.attrs["urban_basis"]
                + "; no scenario lever moves it (the population's urban flag "
                "and weights do)",
            },
            population_weak=population_weak_values(pop),
            formats=args.figures,
            warnings=_warnings_said(args),
        )
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print(plain_text(heading))
    print(summary)
    print()
    print(
        f"Wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written)
    )
    return EXIT_OK


def _scheduler_error(client: str, exc: CommonProsperityError) -> UsageError:
    """The engine's error about ``client=``, said of the option it came from."""
    return UsageError(f"--scheduler {client}: {str(exc).removeprefix('client: ')}")


def _warnings_said(args: argparse.Namespace) -> tuple[str, ...]:
    """The warnings shown so far; the report lists each once.

    None for a namespace built without :func:`main` (a test's).
    """
    return tuple(getattr(args, "warnings_said", ()))


def _parse_target(text: str) -> tuple[str, str, float]:
    """Check a ``--target`` ("gini <= 0.40", "T4", "T2 >= 0.7"); name, op, value."""
    from commonprosperity.simulate import INDICATOR_NAMES
    from commonprosperity.targets import TARGETS, goal_value_problem

    # Targets judged from one year's indicators (T1-T6); the others need a path.
    ids = {t.id: t for t in TARGETS if t.indicator in INDICATOR_NAMES}
    later = {t.id: t for t in TARGETS if t.id not in ids}
    m = _TARGET.match(text)
    if m is None:
        raise UsageError(
            f"--target {quoted(text)}: expected NAME OP VALUE, e.g. "
            '"gini <= 0.40" (OP one of <=, >=, <, >), or a target id T1–T6'
        )
    name = m.group("name")
    allowed = {*INDICATOR_NAMES, *ids}
    if name in later:
        # T7-T10 are plan targets too: "unknown" sent users looking for a typo.
        raise UsageError(
            f"--target {quoted(text)}: target {name} ({later[name].indicator}) "
            "cannot be judged from one year's simulation (it needs national "
            "accounts or the years before: see simulate_path); solve for T1–T6 or "
            "an indicator"
        )
    if name not in allowed:
        raise UsageError(
            f"--target {quoted(text)}: unknown indicator {quoted(name)}; use one of "
            f"{', '.join(sorted(allowed))}"
        )
    if m.group("op") is None:
        if name not in ids:
            raise UsageError(
                f"--target {quoted(text)}: an indicator needs a comparison and a "
                f'number, e.g. "{name} <= 0.40"; only target ids T1–T6 stand alone'
            )
        return name, ids[name].comparison, ids[name].target
    value = float(m.group("value"))
    if not math.isfinite(value):  # "gini <= 1e999" parsed as inf: met by anything
        raise UsageError(
            f"--target {quoted(text)}: the number must be finite; got "
            f"{m.group('value')}"
        )
    indicator = ids[name].indicator if name in ids else name
    if problem := goal_value_problem(indicator, value):
        raise UsageError(f"--target {quoted(text)}: {problem}")
    return name, m.group("op"), value


def _cmd_solve(args: argparse.Namespace) -> int:
    from commonprosperity._reportformat import weak_frame, weak_lines
    from commonprosperity._sweep_engine import not_a_lever
    from commonprosperity.errors import ScenarioError
    from commonprosperity.scenario import Scenario
    from commonprosperity.simulate import simulate

    scenario, label = _scenario(args.scenario, _policy_year(args))
    try:
        current = scenario.get(args.lever)
    except ScenarioError as exc:
        raise UsageError(f"--lever {exc}") from None
    why = not_a_lever(args.lever, current)
    if why is not None:
        raise UsageError(f"--lever {args.lever}: {why}")
    if isinstance(current, list):
        raise UsageError(
            f"--lever {args.lever}: is a list, not one number; solve for one "
            f"of its elements, e.g. {args.lever}[{max(len(current) - 1, 0)}]"
        )
    # An integer field (an age limit) is searched over the integers in the bounds.
    integer = isinstance(current, int)
    if integer and args.xtol is not None:
        raise UsageError(
            f"--xtol {args.xtol:g}: {args.lever} is a whole number; its answer is "
            "exact and takes no tolerance"
        )
    name, op, value = _parse_target(args.target)
    lo, hi = args.bounds
    if not lo < hi:
        raise UsageError(f"--bounds {lo:g} {hi:g}: LO must be smaller than HI")
    if integer and math.ceil(lo) > math.floor(hi):
        raise UsageError(
            f"--bounds {lo:g} {hi:g}: no whole number of {args.lever} between them"
        )
    for bound in (math.ceil(lo), math.floor(hi)) if integer else (lo, hi):
        try:
            scenario.replace({args.lever: bound})
        except ScenarioError as exc:
            raise UsageError(
                f"--bounds {lo:g} {hi:g}: {str(exc).removeprefix('scenario: ')}"
            ) from None
    # Bisection stops when the bracket is narrower than xtol; a tolerance finer
    # than the spacing of floats near the bounds is never reached (solve looped
    # for ever on --xtol 1e-300).
    resolution = 4 * math.ulp(max(abs(lo), abs(hi)))
    if args.xtol is not None and args.xtol < resolution:
        raise UsageError(
            f"--xtol {args.xtol:g}: finer than floating point can resolve between "
            f"{lo:g} and {hi:g}; give at least {resolution:.3g}"
        )
    if args.save is not None:
        _check_out_file(args.save, ".toml", "--save")
        # run and sweep refuse outputs that replace an input; --save replaced the
        # scenario being solved, its comments and the base the answer is against.
        source = args.scenario
        if (
            source is not None
            and args.save.exists()
            and Path(source).exists()
            and os.path.samefile(args.save, source)
        ):
            raise UsageError(
                f"--save {args.save}: is the scenario file being solved, which the "
                "solved scenario would replace; save it to another file"
            )
    from commonprosperity.solve import solve

    kwargs: dict[str, Any] = {
        "lever": args.lever,
        "target": args.target,
        "bounds": (lo, hi),
        "xtol": args.xtol,
    }
    if args.band_basis != "household":
        if "band_basis" not in inspect.signature(solve).parameters:
            raise UsageError(
                "--band-basis: this installation's solve() does not take a band basis"
            )
        kwargs["band_basis"] = args.band_basis
    pop, pop_text = _population_of(args, scenario.year)
    try:
        found = solve(pop, scenario, **kwargs)
    except TargetUnreachableError as exc:
        # Said with what it was tried on: the printed heading never comes, and
        # a band share of 0.757 is a three-person one, 0.612 on households.
        raise TargetUnreachableError(
            f"{exc} (on {pop_text}; band basis: {args.band_basis})"
        ) from None
    solved: Scenario = scenario.replace({args.lever: found})
    with slips_said():  # solve said the base's and its bounds'
        at = simulate(pop, solved, band_basis=args.band_basis)
        before = simulate(pop, scenario, band_basis=args.band_basis)
    # All but the lever's own base value, which solve never runs; it is
    # reported below ("at the scenario's own value").
    others = {path for path, _ in unit_slips(scenario)} - {args.lever}
    warn_unit_slips([scenario], "simulate", skip=others)

    def indicator(result: Any) -> float:
        if name.startswith("T"):
            return float(result.targets().loc[name, "value"])
        return float(result.indicators[name])

    cost = float(before.fiscal["net_revenue"] - at.fiscal["net_revenue"])
    if args.save is not None:
        # Saved before anything is printed: a file that cannot be written exits
        # 2 with one line, not after the whole answer.
        try:
            solved.to_toml(args.save)
        except (OSError, ScenarioError) as exc:
            reason = str(exc).removeprefix(f"{args.save}: ")
            raise UsageError(f"--save {args.save}: {reason}") from None
    # The band basis, as run's table names it: on the three-person basis a band
    # target's answer differs widely, and no output said which it was on.
    print(
        f"{label} ({scenario.year} policy) on {pop_text}; band basis: {args.band_basis}"
    )
    tolerance = args.xtol if args.xtol is not None else 1e-6 * (hi - lo)
    print(
        f"{args.lever} = {_rounded_up(found, tolerance, hi)} is the smallest value "
        f"in [{as_given(lo)}, {as_given(hi)}] with {name} {op} {as_given(value)}"
    )
    print(
        f"  {name} there: {indicator(at):.10g}; at the scenario's own value "
        f"{current:,.6g}: {indicator(before):.10g}"
    )
    from commonprosperity._plotstyle import billions

    print(f"  net fiscal cost against the scenario: {billions(cost)} bn yuan per year")
    # As run and sweep: the derived or unverified values the answer rests on
    # (the lever's own value is the answer, not one of them).
    weak = weak_frame(at.provenance["weak_values"], skip=[args.lever])
    if len(weak):
        print(
            "Policy values used that are derived (C) or unverified (R); sources "
            "in the policy data (commonprosperity run writes them to report.md):"
        )
        print("\n".join(weak_lines(weak)))
    if args.save is not None:
        print(f"Wrote the solved scenario to {args.save}")
        if args.band_basis != "household":
            # A scenario file holds the policy, not how bands are read: run
            # reads it on the household basis unless told.
            print(
                f"  (the file holds the policy only: give --band-basis "
                f"{args.band_basis} to run it on the basis solved on)"
            )
    return EXIT_OK


def _rounded_up(found: float, tolerance: float, hi: float) -> str:
    """``found`` to the decimals ``tolerance`` resolves, rounded up (at most ``hi``).

    Every value from ``found`` up meets the target, so a value rounded up does too;
    ``found`` shown to six figures, rounded down, had missed it (2,242.55 for
    2,242.5528 and "gini <= 0.348").
    """
    if isinstance(found, int) or float(found).is_integer():
        return f"{found:,.0f}"
    places = max(0, math.ceil(-math.log10(tolerance))) if tolerance > 0 else 17
    if places > 15:
        return repr(float(found))
    # The shortest decimal that reads back as ``found`` is ``found`` itself:
    # rounding 0.45 (binary 0.4500000000000000111) up printed 0.4500001 for a
    # lower bound that met the target, while --save wrote 0.45.
    shortest = decimal.Decimal(repr(float(found)))
    exponent = shortest.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= places:
        return f"{shortest:,f}"
    step = decimal.Decimal(1).scaleb(-places)
    shown = decimal.Decimal(float(found)).quantize(step, rounding=decimal.ROUND_CEILING)
    if shown > decimal.Decimal(float(hi)):
        return repr(float(found))
    return f"{shown:,f}"


def _cmd_baseline(args: argparse.Namespace) -> int:
    out = _check_out_file(args.out, ".parquet", "--out")
    from commonprosperity.baseline import baseline as make

    pop = make(
        year=args.year,
        n_households=args.households,
        seed=args.seed,
        urban_definition=args.urban_definition,
    )

    def write(scratch: str) -> None:
        try:
            pop.write_parquet(scratch)
        except CommonProsperityError as exc:
            # The writer names the scratch file the user never asked for.
            raise UsageError(_one_line(exc).replace(scratch, str(out))) from None

    try:
        replace_atomically(out, write)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print(f"Wrote {out}: {pop!r}")
    return EXIT_OK


# --------------------------------------------------------------------- main
def console_main() -> int:
    """The ``commonprosperity`` program: :func:`main`, Ctrl-C ignored at exit.

    In the 0.4 s the interpreter takes to shut down, a Ctrl-C ended the process
    by the signal (130) although every file had been written. It is ignored from
    the start of the shutdown (an ``atexit`` hook), not when :func:`main` returns:
    ``%run -m commonprosperity`` or ``runpy`` in a notebook runs this in the
    notebook's process, whose Ctrl-C was then off for the rest of the session.
    """
    code = main()
    if threading.current_thread() is threading.main_thread():
        atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    return code


def _one_line(exc: BaseException | str) -> str:
    # plain_text: a path with an ESC in an error message reached the terminal.
    return plain_text(str(exc)) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``solve`` finds the target unreachable, 2 on bad
        input or a warning made an error (one line on stderr naming the
        problem), 70 on an unexpected error (its traceback on stderr), 74 when
        the terminal output could not be written, 130 when interrupted.
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    # Text the terminal cannot encode is escaped, not an error; a script's or
    # notebook's streams are left as they were found.
    restore = []
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        errors = getattr(stream, "errors", None)
        if reconfigure is not None and errors not in (None, "backslashreplace"):
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")
                restore.append((reconfigure, errors))
    try:
        return _main(args_in)
    finally:
        for reconfigure, errors in restore:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=errors)


def _main(args_in: list[str]) -> int:
    debug = "--debug" in args_in
    command = "commonprosperity"
    # Every warning shown, for the report the command writes: it travels
    # without the terminal (a unit slip was on stderr only).
    said: list[str] = []
    me = threading.get_ident()
    ended = [False]
    pass_on = warnings.showwarning

    def show_warning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if ended[0] or threading.get_ident() != me:
            # Another thread's, or one after the command (this hook restored by
            # another thread's catch_warnings): not the command's to report.
            pass_on(message, category, filename, lineno, file, line)
            return
        # One line in the command's words, as its errors: Python's form named
        # "<frozen runpy>:88", the library's caller here.
        text = _one_line(message)
        if issubclass(category, ImplausibleDataWarning):
            text = text.replace(
                _one_line(RIGHT),
                " (if the data are right, so are the results: a check, not a change)",
            )
        said.append(text)
        if debug:
            print(
                warnings.formatwarning(message, category, filename, lineno, line),
                file=sys.stderr,
                end="",
            )
            return
        kind = "warning" if category is UserWarning else category.__name__
        print(f"{command}: {kind}: {text}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            full = _with_default_command(args_in)
            parser = _build_parser()
            try:
                args, extra = parser.parse_known_args(full)
            except SystemExit:
                # --help or --version: their text must reach the terminal (no
                # stream at all, stdout closed, is left as argparse leaves it).
                if sys.stdout is not None:
                    sys.stdout.flush()
                raise
            if extra:
                # Said by the command's parser: the top one's "see
                # commonprosperity --help" lists no option of `run`.
                _subparsers(parser)[args.command].error(
                    f"unrecognized arguments: {' '.join(extra)}"
                )
            command = f"commonprosperity {args.command}"
            args.command_line = _command_line(full)
            args.warnings_said = said
            return int(args.handler(args))
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except BrokenPipeError:  # e.g. `commonprosperity run | head`: stop quietly
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TargetUnreachableError as exc:
        if debug:
            traceback.print_exc()
        print(f"{command}: target unreachable: {_one_line(exc)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except CommonProsperityError as exc:
        if debug:
            traceback.print_exc()
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # A path the system refuses (a name too long, no permission) is bad
        # input like a missing file: one line naming it, not a traceback.
        if debug:
            traceback.print_exc()
        # No file named: the printing failed (`> /dev/full`), after the files.
        where = (
            f"{exc.filename}: "
            if exc.filename is not None
            else "writing to standard output: "
        )
        print(
            f"{command}: error: {where}{exc.strerror or _one_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_USAGE if exc.filename is not None else EXIT_OUTPUT
    except Warning as exc:
        # A warning made an error by `python -W error` or PYTHONWARNINGS: the
        # run stops where it was given, before anything is written.
        if debug:
            traceback.print_exc()
        print(
            f"{command}: error: a warning made an error (-W error or "
            f"PYTHONWARNINGS): {type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception as exc:
        # A Ctrl-C that reached Python inside a Numba call (SystemError) or
        # during an import the command makes (matplotlib's ImportError
        # "initialization failed").
        if is_interrupt(exc):
            print(f"{command}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        # Anything else (a broken installation, a setting of the environment:
        # NUMBA_THREADING_LAYER=tbb without TBB, an unknown MPLBACKEND, or a
        # defect): the traceback, and an exit code of its own.
        traceback.print_exc()
        print(
            f"{command}: unexpected error (exit {EXIT_SOFTWARE}): "
            f"{type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_SOFTWARE
    finally:
        ended[0] = True
