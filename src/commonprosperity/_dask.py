"""The Dask engine of :func:`commonprosperity.sweep.sweep` (optional extra).

The population, and the grid's stacked scenarios (which group each task's
scenarios as the threads engine does), are scattered once to every worker
(``broadcast=True``); scenarios are cut into tasks of at most one block each, run on
the workers by the same code as the threads engine, and gathered in grid order, so
the frames of both engines are equal.
``dask`` and ``distributed`` are imported only when this engine is used
(``pip install commonprosperity[dask]``).

Each worker process counts the populations it has received
(:func:`population_receipts`), which is how the tests check that the population
travels once per worker and never again for a task.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from commonprosperity._sweep_engine import _block_size, _evaluate, _Ordered, _Outcome
from commonprosperity.errors import ArgumentError, CommonProsperityError

__all__ = ["evaluate_on_cluster", "population_receipts"]

#: Per process: token of a shipped population -> times it was unpickled here.
_RECEIVED: dict[str, int] = {}


class _Shipped:
    """A population on its way to the workers; unpickling it is counted."""

    def __init__(self, population: _Ordered, token: str) -> None:
        self.population = population
        self.token = token

    def __reduce__(self) -> tuple[Any, ...]:
        return (_receive, (self.population, self.token))


def _receive(population: _Ordered, token: str) -> _Shipped:
    _RECEIVED[token] = _RECEIVED.get(token, 0) + 1
    return _Shipped(population, token)


def population_receipts() -> dict[str, int]:
    """How many times this process received each shipped population.

    Returns
    -------
    dict of str to int
        Token of a sweep's scattered population → number of times it was
        deserialised in this process (1 on each worker that got it once).

    Examples
    --------
    >>> receipts = population_receipts()  # in the client process: usually empty
    >>> all(count >= 1 for count in receipts.values())
    True
    """
    return dict(_RECEIVED)


def _run_part(
    shipped: _Shipped, stacked: Any, gini: str, band_basis: str, universe: Any
) -> Any:
    """Worker task: evaluate a slice of the scenarios on the shipped population.

    ``universe``, all the sweep's scenarios, groups them as the threads engine does.
    """
    return _evaluate(shipped.population, stacked, gini, band_basis, universe=universe)


def _connect(client: Any) -> tuple[Any, bool]:
    """Return ``(client, owned)``; ``owned`` when this call opened it."""
    try:
        import distributed
    except ImportError:  # pragma: no cover - the dask extra is part of the test env
        raise CommonProsperityError(
            "engine='dask' needs dask and distributed: pip install "
            "'commonprosperity[dask]'"
        ) from None
    if client is None:
        try:
            return distributed.get_client(), False
        except ValueError:
            raise CommonProsperityError(
                "engine='dask' needs a cluster: pass client= a distributed.Client or "
                "a scheduler address such as 'tcp://10.0.0.5:8786'; no current Dask "
                "client was found"
            ) from None
    if isinstance(client, str):
        # A malformed address is refused before a client exists: distributed
        # raised its ValueError from a half-started client, which stayed the
        # current client (dask's scheduler set to it) and hung on exit.
        try:
            distributed.comm.resolve_address(client)
            # Opened for this call only: never the current client.
            return distributed.Client(client, timeout="30s", set_as_default=False), True
        except OSError as exc:
            raise CommonProsperityError(
                f"client: cannot reach the Dask scheduler at {client!r} ({exc})"
            ) from None
        except ValueError as exc:
            raise ArgumentError(
                f"client: {client!r} is not a Dask scheduler address ({exc}); give "
                "one such as 'tcp://10.0.0.5:8786', or a distributed.Client"
            ) from None
    if isinstance(client, distributed.Client):
        if client.status in ("closing", "closed"):
            raise CommonProsperityError(
                f"client: the distributed.Client is {client.status}; pass an open "
                "client or a scheduler address"
            )
        return client, False
    hint = (
        " (wrap a cluster in distributed.Client(cluster))"
        if hasattr(client, "scheduler_address")
        else ""
    )
    raise ArgumentError(
        "client must be a distributed.Client or a scheduler address string; got "
        f"{type(client).__name__}{hint}"
    )


def evaluate_on_cluster(
    population: _Ordered,
    stacked: Any,
    gini: str,
    band_basis: str,
    client: Any,
    advance: Callable[[int], None] | None = None,
) -> Any:
    """Evaluate the stacked scenarios on a Dask cluster; rows in scenario order.

    ``population`` is the ordered population of the threads engine
    (``_sorted_by_base``); it is scattered once per worker; if the call is interrupted
    (KeyboardInterrupt included), pending tasks are cancelled, the scattered
    population is released and a client opened here is closed.
    """
    from distributed import as_completed

    dask_client, owned = _connect(client)
    futures: list[Any] = []
    shipped = universe = None
    try:
        n_workers = len(dask_client.scheduler_info().get("workers", {}))
        if n_workers == 0:
            raise CommonProsperityError(
                "the Dask cluster has no workers; start some or wait for them"
            )
        S = stacked.n
        block = _block_size(population.n_households)
        per_task = max(1, min(block, -(-S // n_workers)))
        token = uuid.uuid4().hex
        shipped = dask_client.scatter(
            _Shipped(population, token), broadcast=True, hash=False
        )
        # Every task groups its scenarios within the whole grid: sent once.
        universe = dask_client.scatter(stacked, broadcast=True, hash=False)
        bounds = [(i0, min(S, i0 + per_task)) for i0 in range(0, S, per_task)]
        index = {}
        for i0, i1 in bounds:
            fut = dask_client.submit(
                _run_part,
                shipped,
                stacked.rows(i0, i1),
                gini,
                band_basis,
                universe,
                pure=False,
                key=f"commonprosperity-sweep-{token}-{i0}",
            )
            futures.append(fut)
            index[fut.key] = (i0, i1)
        n_stats = None
        parts: dict[tuple[int, int], Any] = {}
        for fut in as_completed(futures):
            part = fut.result()
            parts[index[fut.key]] = part
            n_stats = part.totals.shape[1]
            if advance is not None:
                advance(index[fut.key][1] - index[fut.key][0])
        out = _Outcome(np.empty((S, n_stats)), np.empty(S), np.empty(S), np.empty(S))
        for (i0, i1), part in parts.items():
            out.totals[i0:i1] = part.totals
            out.gini[i0:i1] = part.gini
            out.lower[i0:i1] = part.lower
            out.upper[i0:i1] = part.upper
        return out
    finally:
        if futures:
            dask_client.cancel(futures)
        scattered = [f for f in (shipped, universe) if f is not None]
        if scattered:
            dask_client.cancel(scattered)
        if owned:
            dask_client.close()
