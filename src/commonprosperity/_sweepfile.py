r"""The SWEEP.toml file of ``commonprosperity sweep``: base scenario, grid, plots.

The format is in :func:`read_sweep_file`'s Notes.

Examples
--------
>>> import tempfile, pathlib
>>> text = 'year = 2025\n[grid]\n"transfers.dibao_monthly" = [1200, 1400]\n'
>>> with tempfile.TemporaryDirectory() as tmp:
...     file = pathlib.Path(tmp) / "s.toml"
...     _ = file.write_text(text)
...     spec = read_sweep_file(file)
>>> spec.grid, spec.n_scenarios
({'transfers.dibao_monthly': [1200.0, 1400.0]}, 2)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from commonprosperity._files import (
    control_character,
    expand_home,
    path_slips,
    path_state,
)
from commonprosperity._statistics_file import BASELINE_YEARS
from commonprosperity._sweep_engine import (
    fails_alone,
    not_a_lever,
    repeated_values,
    scenarios_alone,
    value_key,
)
from commonprosperity._validate import joined_problems, one_of, quoted
from commonprosperity.baseline import (
    MAX_HOUSEHOLDS,
    MIN_HOUSEHOLDS,
    URBAN_DEFINITIONS,
)
from commonprosperity.errors import CommonProsperityError, ScenarioError
from commonprosperity.projection import MAX_YEAR
from commonprosperity.scenario import (
    SECTIONS,
    Scenario,
    overlapping_paths,
    read_toml_file,
)
from commonprosperity.simulate import BAND_BASES, INDICATOR_NAMES
from commonprosperity.targets import TARGETS

__all__ = ["MAX_SCENARIOS", "SweepSpec", "read_sweep_file"]

#: Largest number of scenarios a sweep file may ask for.
MAX_SCENARIOS = 100_000
_MAX_NUM = 10_000
_TOP = {"base", "year", "band_basis", "population", "grid", "plots"}
_POPULATION = {"households", "seed", "file", "year", "urban_definition"}
_PLOTS = {"heatmap", "frontier"}
_FRONTIER = {
    t.id: t.indicator for t in TARGETS if t.id in ("T1", "T2", "T3", "T4", "T5", "T6")
}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    base : Scenario
        The base scenario every grid point changes.
    base_label : str
        Where the base came from (a file, or "status quo YEAR").
    grid : dict of str to list of float
        Dotted scenario path → values, in file order.
    households, seed : int
        Size and seed of the embedded population.
    urban_definition : str or None
        Its urban flag: ``"survey"`` (the default) or ``"census"`` (the official
        urbanisation rate, on which T6 is judged), as ``baseline``'s.
    population_file : pathlib.Path or None
        A population file to read instead.
    population_year : int or None
        Income year of the embedded population, which is then not projected
        (default: the base scenario's year, the latest baseline projected to it).
    band_basis : str
        ``"household"`` or ``"three_person"``.
    heatmap : str
        Indicator drawn over the first two levers (a target id T1–T6 in the file
        is read as its indicator).
    frontier : str
        Target id or indicator drawn against the net fiscal cost.
    """

    path: Path
    base: Scenario
    base_label: str
    grid: dict[str, list[float]]
    households: int = 20_000
    seed: int = 0
    urban_definition: str | None = None
    population_file: Path | None = None
    population_year: int | None = None
    band_basis: str = "household"
    heatmap: str = "gini"
    frontier: str = "T2"
    levers: tuple[str, ...] = field(default=())

    @property
    def n_scenarios(self) -> int:
        """Number of grid points (the product of the lever counts)."""
        return math.prod(len(v) for v in self.grid.values())


def _number(x: Any) -> bool:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:  # an integer beyond the float range (> 1.8e308)
        return False


def _values(path: str, raw: Any, where: str, problems: list[str]) -> list[float] | None:
    """The values of one lever ([] after a problem; None: not a lever at all)."""
    if isinstance(raw, list):
        bad = [x for x in raw if not _number(x)]
        if not raw:
            problems.append(
                f"{where}: grid.{path!r} is an empty list; give at least one value"
            )
        elif bad:
            problems.append(
                f"{where}: grid.{path!r} must hold finite numbers; "
                f"got {quoted(bad[:3])}"
            )
        else:
            return [float(x) for x in raw]
        return []
    if isinstance(raw, dict):
        extra = set(raw) - {"start", "stop", "num"}
        missing = {"start", "stop", "num"} - set(raw)
        if extra and not set(raw) & {"start", "stop", "num"}:
            # TOML reads an unquoted transfers.dibao_monthly = [...] as a table
            # transfers = { dibao_monthly = [...] }.
            first = next(iter(raw))
            problems.append(
                f"{where}: grid.{path!r} is a table of {sorted(raw)}; a lever is a "
                f'quoted dotted path, e.g. "{path}.{first}" = [...] (unquoted, '
                "TOML reads the dots as nested tables)"
            )
            return None
        if extra or missing:
            problems.append(
                f"{where}: grid.{path!r} as a range takes exactly start, stop, num"
                + (f"; unknown {sorted(extra)}" if extra else "")
                + (f"; missing {sorted(missing)}" if missing else "")
            )
            return []
        start, stop, num = raw["start"], raw["stop"], raw["num"]
        if not (_number(start) and _number(stop)):
            problems.append(
                f"{where}: grid.{path!r} start and stop must be numbers; "
                f"got {quoted(start)}, {quoted(stop)}"
            )
            return []
        if (
            not isinstance(num, int)
            or isinstance(num, bool)
            or not 1 <= num <= _MAX_NUM
        ):
            problems.append(
                f"{where}: grid.{path!r} num must be an integer in "
                f"1–{_MAX_NUM}; got {quoted(num)}"
            )
            return []
        lo, hi = float(start), float(stop)
        if num == 1 and lo != hi:
            # np.linspace(start, stop, 1) is [start]: stop would vanish.
            problems.append(
                f"{where}: grid.{path!r} num = 1 takes start alone, but stop "
                f"{quoted(stop)} differs from start {quoted(start)}; give num >= 2 or "
                "stop = start"
            )
            return []
        # The points of the decimals as written, each rounded once: np.linspace
        # gave 0.30000000000000004 for { start = 0.1, stop = 0.5, num = 5 }
        # (simulated so, filed so, and printed 0.3 in the report). Exact
        # fractions also keep stop - start from overflowing (-1.7e308 to 1.7e308).
        first, last = Fraction(repr(lo)), Fraction(repr(hi))
        steps = max(num - 1, 1)
        return [float(first + (last - first) * i / steps) for i in range(num)]
    problems.append(
        f"{where}: grid.{path!r} must be a list of numbers or "
        f"{{ start, stop, num }}; got {type(raw).__name__}"
    )
    return []


def _int(
    raw: dict[str, Any],
    key: str,
    lo: int,
    hi: int,
    default: int | None,
    where: str,
    problems: list[str],
) -> int | None:
    if key not in raw:
        return default
    v = raw[key]
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        problems.append(
            f"{where}: population.{key} must be an integer in {lo:,}–{hi:,}; "
            f"got {quoted(v)}"
        )
        return default
    return v


def _file_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable file, or None."""
    try:
        state = path_state(path)
    except OSError as exc:
        return f"cannot open it ({exc.strerror})"
    return {
        "directory": f"is a directory ({path}); give a Parquet file",
        "missing": f"no such file ({path})",
        "other": f"is not a regular file ({path}); give a Parquet file",
    }.get(state)


def read_sweep_file(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (the format is in the Notes).

    Parameters
    ----------
    path : str or pathlib.Path
        The sweep file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ScenarioError
        Naming the file and every failing key: missing or unreadable file, invalid
        TOML, unknown keys, a base that is missing or invalid, unknown lever paths
        (with the closest valid ones), lever values the scenario rejects, a value
        repeated in a lever's list or range, too many scenarios, unknown plot
        indicators.

    Notes
    -----
    Format (``[grid]`` and exactly one of ``base`` or ``year`` are required;
    every other key is optional; unknown keys are errors)::

        # the base scenario: a scenario file (relative to this file) ...
        base = "scenarios/status_quo_2025.toml"
        # ... or the status quo of a year (give one of the two)
        # year = 2025
        band_basis = "household"        # or "three_person"

        [population]                    # default: the embedded population
        households = 20_000             # records (1,000 to 20,000,000)
        seed = 0
        # urban_definition = "census"   # urban share as the official
        #                                 urbanisation rate (default "survey"; T6)
        # year = 2024                   # its income year, not projected (default:
        #                                 the latest baseline up to the base's
        #                                 year, projected to it)
        # file = "survey.parquet"       # a population file instead (relative)

        [grid]                          # dotted scenario paths -> values (cartesian)
        "transfers.dibao_monthly" = [1128, 1300, 1500]
        "income_tax.basic_deduction" = { start = 60_000, stop = 96_000, num = 4 }

        [plots]
        heatmap = "gini"                # indicator (or target id) over two levers
        frontier = "T2"                 # target id or indicator against fiscal cost

    Everything is checked before any simulation runs, and every problem is
    reported at once, by file and key.
    """
    # The scenario reader's checks: a NUL in the path, an integer of > 4,300
    # digits and deeply nested arrays raised ValueError/RecursionError here.
    raw = read_toml_file(path, "sweep file")
    path = expand_home(path, ScenarioError)
    where = str(path)
    problems: list[str] = []
    unknown = sorted(set(raw) - _TOP)
    if "grid" not in raw and unknown and set(unknown) <= set(SECTIONS):
        # A scenario file's sections are each an "unknown key" here: say what
        # it is, as Scenario.from_toml does for a sweep file.
        raise ScenarioError(
            f"{where}: is a scenario file (sections {unknown}, no [grid] table), "
            "not a sweep file; run it with `commonprosperity run FILE`"
        )
    if unknown:
        problems.append(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_TOP)}")

    base, base_label = _base(raw, path, problems)
    band_basis = raw.get("band_basis", "household")
    if not one_of(band_basis, BAND_BASES):
        problems.append(
            f"{where}: band_basis must be one of {list(BAND_BASES)}; "
            f"got {quoted(band_basis)}"
        )

    pop = raw.get("population", {})
    households: int | None  # _int's: its default unless the key is given
    seed: int | None
    households, seed, pop_year, pop_file = 20_000, 0, None, None
    urban_definition = None
    if not isinstance(pop, dict):
        problems.append(
            f"{where}: [population] must be a table (households = ..., "
            f"seed = ...); got {quoted(pop)}"
        )
    else:
        extra = sorted(set(pop) - _POPULATION)
        if extra:
            problems.append(
                f"{where}: unknown key(s) population.{extra}; allowed: "
                f"{sorted(_POPULATION)}"
            )
        households = _int(
            pop, "households", MIN_HOUSEHOLDS, MAX_HOUSEHOLDS, 20_000, where, problems
        )
        seed = _int(pop, "seed", 0, 2**63 - 1, 0, where, problems)
        given_year = pop.get("year")
        if given_year is None:
            pass
        elif isinstance(given_year, bool) or not isinstance(given_year, int):
            problems.append(
                f"{where}: population.year must be an integer year in "
                f"{BASELINE_YEARS[0]}–{MAX_YEAR}; got {quoted(given_year)}"
            )
        elif not BASELINE_YEARS[0] <= given_year <= MAX_YEAR:
            # Checked with the file's other keys, in the command line's words
            # (the range was 2000–2100 here, and 2019 refused only at run time).
            problems.append(
                f"population.year = {given_year} in {where}: the embedded "
                f"population describes incomes of {BASELINE_YEARS[0]}–"
                f"{BASELINE_YEARS[-1]} (later years projected, to at most "
                f"{MAX_YEAR}); for {given_year} give population.file = "
                '"FILE.parquet" in its [population] table, with incomes of that '
                "year"
            )
        else:
            pop_year = given_year
        if "urban_definition" in pop:
            urban_definition = pop["urban_definition"]
            if not one_of(urban_definition, URBAN_DEFINITIONS):
                problems.append(
                    f"{where}: population.urban_definition must be one of "
                    f"{list(URBAN_DEFINITIONS)}; got {quoted(urban_definition)}"
                )
        if "file" in pop:
            if (
                not isinstance(pop["file"], str)
                or not pop["file"].strip()
                or "\0" in pop["file"]  # resolve() raised ValueError on a NUL
            ):
                problems.append(
                    f"{where}: population.file must be a path string; "
                    f"got {quoted(pop['file'])}"
                )
            elif control_character(pop["file"]):
                problems.append(
                    f"{where}: population.file {quoted(pop['file'])}: "
                    + path_slips(pop["file"])
                )
            else:
                try:
                    pop_file = _beside(path, pop["file"]).resolve()
                    problem = _file_problem(pop_file)
                    if problem and (slips := path_slips(pop["file"])):
                        problem += "; " + slips
                except ScenarioError as exc:
                    pop_file, problem = None, str(exc)
                except (OSError, RuntimeError) as exc:
                    # A loop of symbolic links: resolve() raised RuntimeError
                    # (OSError from Python 3.13).
                    pop_file, problem = None, f"cannot be resolved ({exc})"
                if problem:
                    problems.append(
                        f"{where}: population.file {quoted(pop['file'])}: {problem}"
                    )
            embedded = ("households", "seed", "year", "urban_definition")
            given = [k for k in embedded if k in pop]
            if given:
                # They describe the embedded population; a file's population
                # has its own size, income year and urban flag (they would be
                # ignored).
                problems.append(
                    f"{where}: population.file excludes population."
                    "households, .seed, .year and .urban_definition (they "
                    f"describe the embedded population); got {given}"
                )

    grid: dict[str, list[float]] = {}
    raw_grid = raw.get("grid")
    if raw_grid is None:
        problems.append(
            f"{where}: [grid] is missing; give at least one lever, e.g. "
            '"transfers.dibao_monthly" = [1200, 1400]'
        )
    elif not isinstance(raw_grid, dict) or not raw_grid:
        problems.append(
            f"{where}: [grid] must be a non-empty table of dotted scenario paths "
            f'("transfers.dibao_monthly" = [1200, 1400]); got {quoted(raw_grid)}'
        )
    else:
        for lever, values in raw_grid.items():
            if isinstance(values, list) and any(isinstance(v, list) for v in values):
                # A whole schedule per grid point: one message, not "must hold
                # numbers" beside "is a list".
                problems.append(
                    f"{where}: grid.{lever!r} holds lists; a sweep file sweeps "
                    "numbers, one element of a list at a time (e.g. "
                    f"{lever.split('[')[0]}[2]); "
                    "commonprosperity.sweep takes whole lists"
                )
                continue
            vals = _values(lever, values, where, problems)
            if vals is None:
                continue
            # The frame would have two rows per grid point, which the heatmap
            # cannot place.
            repeated = sorted(repeated_values(vals))
            if repeated:
                problems.append(
                    f"{where}: grid.{lever!r} repeats the value(s) "
                    f"{', '.join(f'{v:g}' for v in repeated[:3])}; give each value "
                    "once"
                )
                continue
            if base is None:
                grid[lever] = vals
                continue
            try:
                current = base.get(lever)
            except ScenarioError as exc:
                problems.append(f"{where}: grid: {exc}")
                continue
            why = not_a_lever(lever, current)
            if why is None and isinstance(current, list):
                why = f"is a list; sweep one element, e.g. {lever}[2]"
            if why is not None:
                problems.append(f"{where}: grid.{lever!r} {why}")
                continue
            if isinstance(current, int):
                # TOML 6.0 for an integer field is the integer 6.
                vals = [int(v) if v == int(v) else v for v in vals]
            grid[lever] = vals
        n = math.prod(len(v) for v in grid.values()) if grid else 0
        if base is not None:
            problems += [
                f"{where}: grid: {m}" for m in overlapping_paths(base, list(grid))
            ]
        if base is not None and n <= MAX_SCENARIOS:
            # A value the base rejects may be valid with another lever's value (a
            # floor above the base's ceiling, with a higher ceiling). An
            # oversized grid is reported below for its size alone: checking each
            # of a million values first took 209 s.
            _, rejected = scenarios_alone(base, grid)
            for lever, vals in grid.items():
                for v in vals:
                    why = rejected.get((lever, value_key(v)))
                    if why is None:
                        continue
                    # Only a lever of the same section can make it valid: the
                    # cross-field rules are per section (trying every lever made
                    # 7 bad values beside a 10,000-value lever take 13 s).
                    section = lever.split(".")[0]
                    others = {
                        k: vs
                        for k, vs in grid.items()
                        if k != lever and vs and k.split(".")[0] == section
                    }
                    if fails_alone(lever, v) or not _valid_with_others(
                        base, lever, v, others
                    ):
                        problems.append(f"{where}: grid.{lever!r} value {v:g}: {why}")
        if n > MAX_SCENARIOS:
            problems.append(
                f"{where}: the grid has {n:,} scenarios; at most "
                f"{MAX_SCENARIOS:,} per file"
            )
        elif base is not None and not problems:
            invalid = _invalid_combinations(base, grid)
            problems += [f"{where}: grid: {m}" for m in invalid]

    plots = raw.get("plots", {})
    heatmap, frontier = "gini", "T2"
    if not isinstance(plots, dict):
        problems.append(
            f'{where}: [plots] must be a table (heatmap = "gini", frontier = '
            f'"T2"); got {quoted(plots)}'
        )
    else:
        extra = sorted(set(plots) - _PLOTS)
        if extra:
            problems.append(
                f"{where}: unknown key(s) plots.{extra}; allowed: {sorted(_PLOTS)}"
            )
        # isinstance first: a TOML list or table is unhashable, and `in` the
        # frontier's dict raised TypeError.
        heatmap = plots.get("heatmap", "gini")
        # A target id as plots.sweep_heatmap and plots.frontier take it.
        if not (one_of(heatmap, INDICATOR_NAMES) or one_of(heatmap, _FRONTIER)):
            problems.append(
                f"{where}: plots.heatmap must be an indicator, one of "
                f"{list(INDICATOR_NAMES)}, or a target id {sorted(_FRONTIER)}; "
                f"got {quoted(heatmap)}"
            )
        frontier = plots.get("frontier", "T2")
        if not isinstance(frontier, str) or (
            frontier not in _FRONTIER and frontier not in INDICATOR_NAMES
        ):
            problems.append(
                f"{where}: plots.frontier must be a target id "
                f"{sorted(_FRONTIER)} or an indicator; got {quoted(frontier)}"
            )

    if problems or base is None:
        raise ScenarioError(joined_problems(problems) or f"{where}: no base scenario")
    return SweepSpec(
        path=path,
        base=base,
        base_label=base_label,
        grid=grid,
        households=int(households or 20_000),
        seed=int(seed or 0),
        urban_definition=urban_definition,
        population_file=pop_file,
        population_year=pop_year,
        band_basis=band_basis,
        # The indicator the id stands for: the report reads it as a column, and
        # the heatmap outlines the cells meeting its target either way.
        heatmap=_FRONTIER.get(heatmap, heatmap),
        frontier=frontier,
        levers=tuple(grid),
    )


def _invalid_combinations(base: Scenario, grid: dict[str, list[Any]]) -> list[str]:
    """The first invalid combination of each section's levers, as messages.

    Every value may be valid with some other lever's value (a floor above the
    base's ceiling, with a higher ceiling) while the grid, a cross product, still
    holds an invalid scenario (that floor with the lower ceiling); the sweep
    would stop on it after building the population, naming no file. The rules
    across fields are per section, so each section's levers are tried alone.
    """
    sections: dict[str, list[str]] = {}
    for lever in grid:
        sections.setdefault(lever.split(".")[0], []).append(lever)
    messages = []
    for levers in sections.values():
        if len(levers) < 2:
            continue
        for combo in itertools.product(*(grid[k] for k in levers)):
            values = dict(zip(levers, combo, strict=True))
            try:
                base.replace(values)
            except ScenarioError as exc:
                shown = ", ".join(f"{k} = {quoted(v)}" for k, v in values.items())
                messages.append(f"the combination {shown} is invalid: {exc}")
                break
    return messages


def _valid_with_others(
    base: Scenario, lever: str, value: Any, others: dict[str, list[Any]]
) -> bool:
    """Whether ``lever = value`` makes a valid scenario with some other values.

    ``others``: the other levers' values; every combination is tried until one
    is valid (the grid is at most ``MAX_SCENARIOS`` points).
    """
    if not others:
        return False
    for combo in itertools.product(*others.values()):
        try:
            base.replace({lever: value, **dict(zip(others, combo, strict=True))})
        except ScenarioError:
            continue
        return True
    return False


def _beside(sweep_file: Path, text: str) -> Path:
    """A path the sweep file gives: ``~`` expanded, relative ones to its folder.

    Joined first, ``~/x`` was expanded when the file was named from its own
    folder (``Path(".") / "~/x"`` is ``~/x``) and not from another one.
    """
    return sweep_file.parent / expand_home(text, ScenarioError)


def _base(
    raw: dict[str, Any], path: Path, problems: list[str]
) -> tuple[Scenario | None, str]:
    where = str(path)
    has_base, has_year = "base" in raw, "year" in raw
    if has_base == has_year:
        problems.append(
            f'{where}: give exactly one of base = "SCENARIO.toml" or '
            f"year = YEAR (the status quo of that year)"
        )
        return None, ""
    try:
        if has_base:
            if not isinstance(raw["base"], str) or not raw["base"]:
                problems.append(
                    f"{where}: base must be the path of a scenario file (a "
                    f"string); got {quoted(raw['base'])}"
                )
                return None, ""
            slips = path_slips(raw["base"])
            if control_character(raw["base"]):
                # A TOML escape ("scenarios\new.toml"): "got TOML text" before.
                problems.append(f"{where}: base {quoted(raw['base'])}: {slips}")
                return None, ""
            file = _beside(path, raw["base"])
            try:
                missing = path_state(file) == "missing"
            except OSError:
                missing = False  # a name the system refuses: from_toml says why
            if slips and missing:
                problems.append(
                    f"{where}: base {quoted(raw['base'])}: no such file ({file}); "
                    + slips
                )
                return None, ""
            return Scenario.from_toml(file), str(raw["base"])
        year = raw["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            problems.append(f"{where}: year must be an integer; got {quoted(year)}")
            return None, ""
        return Scenario.status_quo(year), f"status quo {year}"
    except CommonProsperityError as exc:
        problems.append(f"{where}: base: {exc}")
        return None, ""
