"""Run every example script and every scenario and sweep file; CI calls this.

Each script runs in a fresh interpreter with a temporary output folder as its first
argument; each ``scenarios/*.toml`` goes through ``commonprosperity run`` and each
``sweep_*.toml`` through ``commonprosperity sweep``. Exit code 1 if any fails.

Run:  python examples/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOUSEHOLDS = "20000"


def jobs(tmp: Path) -> list[tuple[str, list[str]]]:
    """Every example as ``(name, command)``."""
    cli = [sys.executable, "-m", "commonprosperity"]
    out = []
    for script in sorted(HERE.glob("*.py")):
        if script.name == Path(__file__).name or script.name.startswith("_"):
            continue
        out.append((script.name, [sys.executable, str(script), str(tmp / script.stem)]))
    for scenario in sorted((HERE / "scenarios").glob("*.toml")):
        out.append(
            (
                f"run {scenario.name}",
                [
                    *cli,
                    "run",
                    str(scenario),
                    "--households",
                    HOUSEHOLDS,
                    "--out",
                    str(tmp / f"run-{scenario.stem}"),
                ],
            )
        )
    for sweep in sorted(HERE.glob("sweep_*.toml")):
        out.append(
            (
                f"sweep {sweep.name}",
                [
                    *cli,
                    "sweep",
                    str(sweep),
                    "--no-progress",
                    "--out",
                    str(tmp / f"sweep-{sweep.stem}"),
                ],
            )
        )
    return out


def main() -> int:
    """Run the examples and report; return the exit code."""
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for name, command in jobs(tmp):
            start = time.perf_counter()
            proc = subprocess.run(
                command, capture_output=True, text=True, cwd=tmp, check=False
            )
            took = time.perf_counter() - start
            if proc.returncode == 0:
                print(f"ok       {name} ({took:.1f} s)")
            else:
                failed.append(name)
                print(f"FAILED   {name} (exit {proc.returncode}, {took:.1f} s)")
                print(
                    "\n".join(
                        "    " + line
                        for line in (proc.stdout + proc.stderr)
                        .strip()
                        .splitlines()[-25:]
                    )
                )
    print(f"{len(failed)} failed" if failed else "all examples ran")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
