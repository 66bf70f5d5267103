"""Crossed grids: transfer levers crossed with tax or contribution levers (bracket).

A grid such as dibao line × basic deduction has policy groups (the scenarios of one
deduction, :func:`~commonprosperity._sweep_engine._policy_groups`) that repeat the
same transfer settings. Most households a transfer lever changes (the poor) are ones
no tax or contribution lever of the grid changes: their flows under a scenario
depend on its transfer parameters alone. The usual path evaluates them once per
group; here they are evaluated once per transfer setting, and each scenario
combines three parts:

1. the sweep's fixed households and the *transfer-only* households no transfer
   setting changes, evaluated once;
2. the transfer-only households the transfer settings change, once per setting (one
   level-D pass over whole rows, one histogram per setting);
3. the *policy* households (a tax or contribution lever of the grid may change
   them): those no group's transfer settings can change once per group (one pass
   for a block of groups, :func:`_policy_varying` decides which), the others per
   scenario.

A scenario's totals are its parts' compensated sums added in that order (one more
Neumaier step per part), and its bracket is that of its parts' histograms merged,
with at least the rounding allowance of one histogram of all the rows, as on the
usual path. Which household falls in which part is decided by the sweep's whole
grid (``universe``), so Dask tasks make the same parts and numbers as the threads
engine.

Why a household is transfer-only: ``household_varies`` over one scenario per policy
group, all given the same transfer parameters, is false for it, so every flow
before transfers (contributions, taxes) is the same under every group's policy; the
transfers (dibao, residents' pension, child allowance) are computed from those flows
and the transfer parameters alone, so they are the same too, under any setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import numpy as np

from commonprosperity._kernels import layout as L
from commonprosperity._kernels import simulate as K
from commonprosperity._kernels.histogram import binned, merge_binned
from commonprosperity._kernels.sweep import GROUP_D
from commonprosperity._sweep_engine import (
    _Binned,
    _block_size,
    _Fixed,
    _fixed_part,
    _head_rows,
    _household_varies,
    _Ordered,
    _Outcome,
    _pass_sums,
    _reorder,
    _shares_invariants,
    _split_fixed,
    _Stacked,
    _transfer_invariants,
)
from commonprosperity.population import CITY_LABELS

#: Most bytes the transfer settings' histograms may take together (estimated
#: before they are made); a grid needing more takes the usual path.
HISTOGRAM_BYTES = 256 * 2**20
#: Bins a histogram of many rows occupies at most, for that estimate (incomes over
#: 16 octaves at 4,096 bins an octave).
_MOST_BINS = 16 * 4096

_State = tuple[np.ndarray, np.ndarray]


def _transfer_keys(st: _Stacked) -> list[bytes]:
    """Per scenario: its transfer parameters (``GROUP_D``), as bytes."""
    return [st.P[i, list(GROUP_D)].tobytes() for i in range(st.n)]


def _indices_of(keys: list[bytes]) -> dict[bytes, list[int]]:
    """Each distinct key's indices, keys in order of first appearance."""
    out: dict[bytes, list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return out


def _with_transfers(st: _Stacked, rows: list[int], source: np.ndarray) -> _Stacked:
    """Scenarios ``rows`` of ``st`` with the transfer parameters of ``source``."""
    out = st.select(np.array(rows))
    out.P[:, list(GROUP_D)] = source[:, list(GROUP_D)]
    return out


def _add_states(first: _State, second: _State) -> _State:
    """The compensated sums of two parts, added (one more Neumaier step)."""
    return cast(_State, K.fold_rows(second[0][None, :], first[0], first[1] + second[1]))


def _merge(parts: list[_Binned | None]) -> _Binned | None:
    """The histograms ``parts`` merged in order (None: no rows)."""
    merged = None
    for p in parts:
        if p is not None:
            merged = p if merged is None else merge_binned(merged, p)
    return merged


def _histograms(
    executor: ThreadPoolExecutor, per_capita: np.ndarray, weight: np.ndarray
) -> list[_Binned]:
    """One :func:`binned` histogram per row of ``per_capita``, on the pool's threads."""
    return list(executor.map(lambda row: binned(row, weight, serial=True), per_capita))


def crossed_outcome(
    pop: _Ordered,
    st: _Stacked,
    three: bool,
    universe: _Stacked,
    executor: ThreadPoolExecutor,
    advance: Callable[[int], None] | None,
) -> _Outcome | None:
    """Bracketed results of ``st`` by the three parts, or None: use the usual path.

    ``pop``: the sweep's households (``pop.head`` its fixed ones). None when the
    grid is not crossed (fewer than two policy groups of several scenarios, no
    transfer setting shared), when no transfer-only household is changed by a
    transfer setting, or when the settings' histograms could take more than
    ``HISTOGRAM_BYTES``.
    """
    members = _indices_of([universe.policy_key(i) for i in range(universe.n)])
    settings = {k: rows[0] for k, rows in _indices_of(_transfer_keys(universe)).items()}
    # Crossed: two policy groups of several scenarios at least (a sweep's base
    # alone in its group is common), and transfer settings shared between them.
    if (
        sum(len(rows) > 1 for rows in members.values()) < 2
        or not 2 <= len(settings) < universe.n
    ):
        return None
    rest = dataclasses.replace(pop, head=None)
    # One scenario per policy group, all with the first scenario's transfers.
    representatives = _with_transfers(
        universe, [rows[0] for rows in members.values()], universe.P[:1]
    )
    policy = _household_varies(rest, representatives)
    # Each transfer setting under the first scenario's policy.
    by_setting = _with_transfers(
        universe, [0] * len(settings), universe.P[list(settings.values())]
    )
    only = _split_fixed(
        dataclasses.replace(
            _reorder(rest, np.flatnonzero(~policy), copy_persons=False), head=pop.head
        ),
        by_setting,
    )
    changed = dataclasses.replace(only, head=None)
    if changed.n_households == 0 or (
        len(settings) * min(changed.n_households, _MOST_BINS) * 32 > HISTOGRAM_BYTES
    ):
        return None

    # Parts 1 and 2 for each setting wanted here: the sums after them, and part
    # 2's histogram (part 1's is `fixed.binned`).
    fixed = _fixed_part(only.head, by_setting, "bracket", three)
    n_population = pop.n_households + pop.n_fixed
    setting_keys = list(settings)
    setting_index = {k: t for t, k in enumerate(setting_keys)}
    st_transfers = _transfer_keys(st)
    wanted = sorted({setting_index[k] for k in st_transfers})
    state: dict[bytes, _State] = {}
    histogram: dict[bytes, _Binned] = {}
    block = _block_size(changed.n_households, n_population)
    shared = None
    if _shares_invariants(
        by_setting.select(np.array(wanted)), block, changed.n_households, n_population
    ):
        shared = _transfer_invariants(changed, by_setting.rows(0, 1), three)
    for b0 in range(0, len(wanted), block):
        these = wanted[b0 : b0 + block]
        part = by_setting.select(np.array(these))
        pc = np.empty((part.n, changed.n_households))
        sums, comps = _pass_sums(changed, part, three, pc, fixed.start, shared)
        hists = _histograms(executor, pc, changed.gini_weight)
        for k, t in enumerate(these):
            state[setting_keys[t]] = (sums[k], comps[k])
            histogram[setting_keys[t]] = hists[k]

    out = _Outcome(
        np.empty((st.n, K.N_STATS + 2 * len(CITY_LABELS))),
        np.full(st.n, np.nan),
        np.full(st.n, np.nan),
        np.full(st.n, np.nan),
    )
    policy_part = _reorder(rest, np.flatnonzero(policy), copy_persons=False)
    # Part 3: the policy households a group's transfer settings may change are
    # evaluated per scenario, the others once per group (one pass for a block of
    # groups).
    flagged = _policy_varying(policy_part, universe, members, three, n_population)
    own_part = _reorder(policy_part, np.flatnonzero(~flagged), copy_persons=False)
    varying = _reorder(policy_part, np.flatnonzero(flagged), copy_persons=False)
    st_groups = _indices_of([st.policy_key(i) for i in range(st.n)])
    keys = list(st_groups)
    block = _block_size(own_part.n_households, n_population)
    for g0 in range(0, len(keys), block):
        block_keys = keys[g0 : g0 + block]
        owns = _group_parts(
            own_part,
            universe.select(np.array([members[k][0] for k in block_keys])),
            three,
            executor,
        )
        for key, own in zip(block_keys, owns, strict=True):
            index = np.array(st_groups[key])
            _evaluate_group(
                st,
                index,
                own,
                fixed,
                varying,
                state,
                histogram,
                st_transfers,
                three,
                pop,
                executor,
                out,
            )
            if advance is not None:
                advance(index.shape[0])
    return out


def _policy_varying(
    policy_part: _Ordered,
    universe: _Stacked,
    members: dict[bytes, list[int]],
    three: bool,
    n_population: int,
) -> np.ndarray:
    """Per policy household: whether a group's transfer settings may change it.

    Conservative, for every group of ``universe`` (``members``: each policy
    group's scenarios): a household is flagged when a residents' pension or child
    allowance varying within a group may reach one of its persons
    (``household_varies`` over the least and largest amounts, with the oldest
    allowance age), or when its income after levies per person, under a group's
    policy without transfers, is below 1.001 times the group's highest dibao line
    while the line or the take-up varies within the group. Above that the gap is
    negative under every setting of the group (benefits only add to the income
    the means test counts), so its dibao is zero; the margin covers the rounding
    of the two ways of summing the flows.
    """
    P = universe.P
    flagged = np.zeros(policy_part.n_households, dtype=np.bool_)
    if policy_part.n_households == 0:
        return flagged
    varies = {
        k: np.ptp(P[rows][:, list(GROUP_D)], axis=0) > 0 for k, rows in members.items()
    }
    if any(
        v[GROUP_D.index(L.RESIDENTS_PENSION)] or v[GROUP_D.index(L.CHILD_ALLOWANCE)]
        for v in varies.values()
    ):
        persons = universe.select(np.array([0, 0]))
        for column in (L.RESIDENTS_PENSION, L.CHILD_ALLOWANCE):
            persons.P[:, column] = (P[:, column].min(), P[:, column].max())
        persons.P[:, L.CHILD_ALLOWANCE_MAX_AGE] = P[:, L.CHILD_ALLOWANCE_MAX_AGE].max()
        flagged |= _household_varies(policy_part, persons)
    dibao = [
        k
        for k, v in varies.items()
        if v[GROUP_D.index(L.DIBAO_LINE)] or v[GROUP_D.index(L.DIBAO_TAKE_UP)]
    ]
    without = universe.select(np.array([members[k][0] for k in dibao], dtype=np.int64))
    without.P[:, [L.DIBAO_LINE, L.RESIDENTS_PENSION, L.CHILD_ALLOWANCE]] = 0.0
    block = _block_size(policy_part.n_households, n_population)
    for g0 in range(0, len(dibao), block):
        part = without.rows(g0, min(len(dibao), g0 + block))
        pc = np.empty((part.n, policy_part.n_households))
        _pass_sums(policy_part, part, three, pc)
        for k, key in enumerate(dibao[g0 : g0 + block]):
            highest = P[members[key], L.DIBAO_LINE].max()
            flagged |= ~(pc[k] >= highest * 1.001)
    return flagged


def _group_parts(
    own_part: _Ordered, firsts: _Stacked, three: bool, executor: ThreadPoolExecutor
) -> list[_Fixed]:
    """Each group's households ``own_part`` under its first scenario (``firsts``)."""
    if own_part.n_households == 0:
        return [_Fixed() for _ in range(firsts.n)]
    pc = np.empty((firsts.n, own_part.n_households))
    sums, comps = _pass_sums(own_part, firsts, three, pc)
    hists = _histograms(executor, pc, own_part.gini_weight)
    return [
        _Fixed(start=(sums[k], comps[k]), binned=hists[k], n_rows=pc.shape[1])
        for k in range(firsts.n)
    ]


def _evaluate_group(
    st: _Stacked,
    index: np.ndarray,
    own: _Fixed,
    fixed: _Fixed,
    varying: _Ordered,
    state: dict[bytes, _State],
    histogram: dict[bytes, _Binned],
    st_transfers: list[bytes],
    three: bool,
    pop: _Ordered,
    executor: ThreadPoolExecutor,
    out: _Outcome,
) -> None:
    """One policy group's scenarios ``index`` of ``st``: their parts combined."""
    # Parts 1 and 3's fixed households as one fixed part; each scenario adds the
    # histograms of its transfer setting's and its own varying households.
    shared = _Fixed(
        binned=_merge([fixed.binned, own.binned]), n_rows=fixed.n_rows + own.n_rows
    )
    n_other = pop.n_households + pop.n_fixed - shared.n_rows
    block = _block_size(varying.n_households, pop.n_households + pop.n_fixed)
    for i0 in range(0, index.shape[0], block):
        rows = index[i0 : i0 + block]
        starts = [state[st_transfers[i]] for i in rows]
        if own.start is not None:
            starts = [_add_states(s, own.start) for s in starts]
        sums = np.stack([s[0] for s in starts])
        comps = np.stack([s[1] for s in starts])
        extra: Sequence[_Binned | None] = [None] * rows.shape[0]
        if varying.n_households:
            pc = np.empty((rows.shape[0], varying.n_households))
            sums, comps = _pass_sums(varying, st.select(rows), three, pc, (sums, comps))
            extra = _histograms(executor, pc, varying.gini_weight)
        out.totals[rows] = sums + comps
        parts = [
            _merge([histogram[st_transfers[i]], more])
            for i, more in zip(rows, extra, strict=True)
        ]
        found = executor.map(lambda p: shared.binned_bracket(p, n_other), parts)
        # The fallback here, not on the pool: its kernels run parallel, and not
        # every threading layer takes parallel launches from several threads.
        brackets = [
            b or _all_rows_bracket(pop, st.rows(i, i + 1), three)
            for i, b in zip(rows, found, strict=True)
        ]
        out.gini[rows], out.lower[rows], out.upper[rows] = zip(*brackets, strict=True)


def _all_rows_bracket(
    pop: _Ordered, scenario: _Stacked, three: bool
) -> tuple[float, float, float]:
    """Bad rows or a bracket too wide: simulate's own path on every row."""
    rest = dataclasses.replace(pop, head=None)
    pc = np.empty((1, rest.n_households))
    _pass_sums(rest, scenario, three, per_capita=pc)
    head = _Fixed(
        rows=None if pop.head is None else lambda: _head_rows(pop.head, scenario, three)
    )
    return head.rows_bracket(pc[0], rest.gini_weight)
