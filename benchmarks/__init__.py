"""Benchmarks of commonprosperity against its references and peers (issue 8).

Run from the repository root::

    python -m benchmarks                 # full: 1e5-1e7 households, minutes
    python -m benchmarks --quick         # CI: small sizes, under 2 minutes
    python -m benchmarks --only simulate --sizes 1e5 1e6   # one module (NAME)
    python -m benchmarks --write         # also merge the rows into results.md
    python -m pytest benchmarks --benchmark-disable   # smoke: every case once, tiny

Every ``bench_*.py`` module exposes ``run(quick, sizes=None) -> list[dict]`` (see
:mod:`benchmarks.common` for the row format and the timing rules) and is picked up by
the runner automatically; the modules are not scripts (run one with
``python -m benchmarks --only NAME``). Library and references are timed in the same
process on the same data; the runner prints ratios, compares them with
``results.md`` and warns about any ratio worse by more than 1.5×, but never fails on
timing.
"""
