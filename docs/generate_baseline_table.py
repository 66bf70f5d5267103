"""Generate the calibration table of docs/baseline.md (between the markers).

Run from the repository root:  python docs/generate_baseline_table.py
It builds ``baseline(year, n_households=50_000, seed=0)`` for 2020-2024, simulates the
status quo of each year and writes every calibrated, held-out and shape figure beside
its published value, source and grade (``compare_to_published``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from commonprosperity import statistics as S
from commonprosperity.baseline import baseline, compare_to_published

DOC = Path(__file__).with_name("baseline.md")
BEGIN = "<!-- BEGIN GENERATED TABLE -->"
END = "<!-- END GENERATED TABLE -->"
N = 50_000


def fmt(x: float) -> str:
    """Format a number for the table."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4f}"


def table() -> str:
    """Markdown tables of every figure, one per year."""
    lines = []
    for year in S.BASELINE_YEARS:
        t = compare_to_published(baseline(year, n_households=N, seed=0))
        lines += [
            f"### {year}",
            "",
            "| figure | area | city | role | published | simulated | difference "
            "| tolerance | within | grade | source / basis |",
            "|---|---|---|---|---:|---:|---:|---:|---|---|---|",
        ]
        for r in t.itertuples():
            absolute = r.figure.startswith(
                ("share", "urbanisation", "rural bottom", "Gini", "wage share")
            )
            diff = (
                f"{r.difference:+.4f}" if absolute else f"{100 * r.difference:+.2f} %"
            )
            tol = f"{r.tolerance:.3f}" if absolute else f"{100 * r.tolerance:.2f} %"
            lines.append(
                f"| {r.figure} | {r.area} | {r.city} | {r.role} | {fmt(r.published)} "
                f"| {fmt(r.simulated)} | {diff} | {tol} "
                f"| {'yes' if r.within else '**no**'} "
                f"| {r.grade} | {r.source} |"
            )
        lines.append("")
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
