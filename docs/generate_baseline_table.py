"""Generate the calibration tables of docs/baseline.md (between the markers).

Run from the repository root:  python docs/generate_baseline_table.py
It builds ``baseline(year, n_households=50_000, seed=0)`` for 2020-2024, simulates the
status quo of each year and writes every calibrated, held-out and shape figure beside
its published value, source and grade (``compare_to_published``), the reasons for the
figures that are not reproduced, and the transfers, coverage and pensions of the
generated population (the generator's report).
"""

from __future__ import annotations

import sys
from pathlib import Path

from commonprosperity import statistics as S
from commonprosperity.baseline import compare_to_published

BASELINE = sys.modules["commonprosperity.baseline"]  # the package exports the function
DOC = Path(__file__).with_name("baseline.md")
BEGIN = "<!-- BEGIN GENERATED TABLE -->"
END = "<!-- END GENERATED TABLE -->"
N = 50_000


def fmt(x: float) -> str:
    """Format a number for the table."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4f}"


def yuan(x: float) -> str:
    """Whole yuan, rounded at the sixth decimal first.

    A pension per pensioner equal to its target came out 35,761.49999999999 on
    one machine and 35,761.5 on another: the table read 35,761 beside 35,762.
    """
    return f"{round(x, 6) + 0.0:,.0f}"


def transfers(reports: dict[int, dict]) -> list[str]:
    """One table of the generator's transfer, coverage and pension facts."""
    lines = [
        "### Transfers, coverage and pensions of the generated population",
        "",
        "Yuan per person per year unless stated; `pension target` is "
        "`statistics.pension_target` (R), the covered share's province target is "
        "`statistics.covered_share` (C).",
        "",
        "| year | area | covered share of wage earners | pensioners per person "
        "| pension per pensioner | pension target | other transfers received "
        "| gross transfers received | per recipient | contributions "
        "| contributions per covered employee | covered / uncovered wage |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for year, rep in reports.items():
        for area in ("urban", "rural"):
            r = rep[area]
            lines.append(
                f"| {year} | {area} | {r['covered_share_of_earners']:.3f} "
                f"| {r['pensioners_per_capita']:.3f} "
                f"| {yuan(r['pension_per_pensioner'])} | {yuan(r['pension_target'])} "
                f"| {yuan(r['other_transfers_per_capita'])} "
                f"| {yuan(r['gross_transfers_per_capita'])} "
                f"| {yuan(r['gross_transfers_per_recipient'])} "
                f"| {yuan(r['contributions_per_capita'])} "
                f"| {yuan(r['contributions_per_covered'])} "
                f"| {r['covered_to_uncovered_wage']:.2f} |"
            )
    lines.append("")
    first = next(iter(reports.values()))
    lines.append(
        f"Province covered share {first['covered_share_province']:.3f}; the housing "
        f"fund is {first['housing_fund_share_of_contributions']:.0%} of the status-quo "
        "employee contribution rate. Published non-private / private average wage: "
        + ", ".join(f"{y} {_wage_ratio(y)}" for y in (2020, 2021, 2022))
        + "."
    )
    lines.append("")
    return lines


def _wage_ratio(year: int) -> str:
    """The ratio of the year, with the weaker grade of its two wages."""
    public = S.figure("average_wage", year, group="urban_non_private")
    private = S.figure("average_wage", year, group="private")
    assert isinstance(public.value, float) and isinstance(private.value, float)
    grade = max(public.grade, private.grade, key=S.GRADES.index)
    return f"{public.value / private.value:.2f} ({grade})"


def table() -> str:
    """Markdown tables of every figure, one per year, then the transfers table."""
    lines = []
    reports = {}
    for year in S.BASELINE_YEARS:
        pop, reports[year] = BASELINE.generate(year, N, 0)
        t = compare_to_published(pop)
        lines += [
            f"### {year}",
            "",
            "| figure | area | city | role | published | simulated | difference "
            "| tolerance | within | grade | source / basis |",
            "|---|---|---|---|---:|---:|---:|---:|---|---|---|",
        ]
        notes = []
        for r in t.itertuples():
            absolute = r.difference_kind == "absolute"
            # Rounded before formatting, so a difference below the last digit
            # reads +0.00 %, not -0.00 %.
            diff = (
                f"{round(r.difference, 4) + 0.0:+.4f}"
                if absolute
                else f"{round(100 * r.difference, 2) + 0.0:+.2f} %"
            )
            tol = f"{r.tolerance:.4f}" if absolute else f"{100 * r.tolerance:.2f} %"
            mark = ""
            if r.note:
                notes.append(r.note)
                mark = f" [{len(notes)}]"
            lines.append(
                f"| {r.figure}{mark} | {r.area} | {r.city} | {r.role} "
                f"| {fmt(r.published)} | {fmt(r.simulated)} | {diff} | {tol} "
                f"| {'yes' if r.within else '**no**'} "
                f"| {r.grade} | {r.source} |"
            )
        lines.append("")
        lines += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
        lines.append("")
    lines += transfers(reports)
    return "\n".join(lines)


def main() -> int:
    """Rewrite the generated part of docs/baseline.md."""
    text = DOC.read_text(encoding="utf-8")
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(
        text[:start] + "\n\n" + table() + "\n" + text[stop:], encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
