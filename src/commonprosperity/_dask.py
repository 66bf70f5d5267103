"""The Dask engine of :func:`commonprosperity.sweep.sweep` (optional extra).

The population, and the grid's stacked scenarios (which group each task's
scenarios as the threads engine does), are scattered once to every worker, one
copy under a key of its own, or the population is read there from a Parquet file;
scenarios are cut into tasks of at most one block each, pinned to a worker, run by
the same code as the threads engine, and gathered in grid order, so the frames of
both engines are equal.
``dask`` and ``distributed`` are imported only when this engine is used
(``pip install commonprosperity[dask]``).

Each worker process counts the populations it has received
(:func:`population_receipts`), which is how the tests check that the population
travels once per worker and never again for a task.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any, cast

import numpy as np

from commonprosperity._sweep_engine import (
    _block_size,
    _evaluate,
    _Ordered,
    _Outcome,
    _policy_groups,
)
from commonprosperity._warn import warn_user
from commonprosperity.errors import (
    ArgumentError,
    CommonProsperityError,
    PopulationError,
)
from commonprosperity.simulate import _version, other_year_note

__all__ = [
    "check_address",
    "check_client",
    "evaluate_on_cluster",
    "population_receipts",
]

#: Per process: token of a shipped population -> times it was unpickled here.
_RECEIVED: dict[str, int] = {}

#: Seconds to wait for a scheduler given by its address to answer.
_CONNECT_SECONDS = 30

#: Seconds between checks that the workers running a sweep's tasks are still there.
_WATCH_SECONDS = 2.0

#: Rounds of re-running the tasks of workers that left before a sweep gives up.
_MAX_ATTEMPTS = 5


class _Shipped:
    """A population on its way to the workers; unpickling it is counted."""

    def __init__(
        self,
        population: _Ordered,
        token: str,
        year: int | None = None,
        source: str | None = None,
        cities: str = "",
    ):
        self.population = population
        self.token = token
        #: The income year, source and T5 caveat (cities lacking) of a population
        #: a worker read from a file.
        self.year = year
        self.source = source
        self.cities = cities

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _receive,
            (self.population, self.token, self.year, self.source, self.cities),
        )


def _receive(
    population: _Ordered,
    token: str,
    year: int | None = None,
    source: str | None = None,
    cities: str = "",
) -> _Shipped:
    _RECEIVED[token] = _RECEIVED.get(token, 0) + 1
    return _Shipped(population, token, year, source, cities)


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


def _grouped_tasks(
    stacked: Any, per_task: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The grid reordered so each policy group is together, and the tasks' slices.

    Scenarios that differ only in transfers share a fixed part, evaluated (and for
    the exact Gini, sorted) once per group in a task: slices of the grid in its own
    order, transfer lever first, gave each task one scenario of many groups, and a
    fixed part per scenario (dibao x deduction x growth, 200 scenarios: 47 s on two
    workers against 0.9 s on the threads). A group larger than ``per_task`` is cut
    into pieces; whole pieces are then packed into tasks of at most ``per_task``.
    A scenario's numbers do not depend on the cut (the groups are the whole
    grid's), so the rows equal the threads engine's, bit for bit.
    """
    groups = [index for index, _, _ in _policy_groups(stacked, None)]
    order = np.concatenate(groups) if groups else np.arange(0)
    bounds: list[tuple[int, int]] = []
    i0 = position = 0
    for index in groups:
        for start in range(0, len(index), per_task):
            size = min(per_task, len(index) - start)
            if position + size - i0 > per_task:
                bounds.append((i0, position))
                i0 = position
            position += size
    if position > i0:
        bounds.append((i0, position))
    return order, bounds


def _read_on_worker(
    path: str, base: Any, stacked: Any, gini: str, token: str
) -> _Shipped:
    """Worker task: read a population file and order it as the threads engine."""
    from commonprosperity._sweep_engine import _ordered_for_sweep
    from commonprosperity.population import Population
    from commonprosperity.simulate import population_cities_note

    _RECEIVED[token] = _RECEIVED.get(token, 0) + 1
    read = Population.read_parquet(path)
    population = _ordered_for_sweep(read, base, stacked, gini)
    cities = population_cities_note(read, judged_only=True)
    return _Shipped(population, token, read.year, read.source, cities)


def _households_of(shipped: _Shipped) -> tuple[int, int | None, str | None, str]:
    return (
        shipped.population.n_households,
        shipped.year,
        shipped.source,
        shipped.cities,
    )


def _ship(
    client: Any,
    worker: str,
    population: _Ordered | str,
    stacked: Any,
    base: Any,
    gini: str,
    token: str,
    shipped: dict[str, Any],
    universe: dict[str, Any],
) -> None:
    """Send ``worker`` its copies: the scenarios, and the population or its path."""
    # Every task groups its scenarios within the whole grid: sent once.
    universe[worker] = client.scatter(stacked, workers=[worker], hash=False)
    if isinstance(population, str):
        shipped[worker] = client.submit(
            _read_on_worker,
            population,
            base,
            universe[worker],
            gini,
            token,
            key=f"commonprosperity-population-{token}-{worker}",
            workers=[worker],
            allow_other_workers=False,
            pure=False,
        )
    else:
        shipped[worker] = client.scatter(
            _Shipped(population, token), workers=[worker], hash=False
        )


def _households_and_year(
    client: Any, shipped: dict[str, Any]
) -> tuple[int, int | None, str | None, str]:
    """Households, income year, source and T5 caveat of the workers' population.

    Asked of one worker that holds it.

    A task pinned to a worker that leaves waits for ever, so each wait is
    bounded and another holder is asked; a read that failed raises its error
    (a missing or invalid file).
    """
    from distributed import TimeoutError as DaskTimeoutError
    from distributed import wait

    for _ in range(10 * _MAX_ATTEMPTS):
        for worker, fut in shipped.items():
            if fut.status == "error":
                try:
                    fut.result()  # raises the worker's error
                except PopulationError as exc:
                    # "No such Parquet file" of a file the user can see: it is
                    # the worker that could not read it.
                    unread = re.search(
                        r"no such|permission|cannot read", str(exc), re.I
                    )
                    where = (
                        " (each worker reads the path itself: it must be readable "
                        "there, e.g. on a shared file system)"
                        if unread
                        else ""
                    )
                    raise type(exc)(f"on Dask worker {worker}: {exc}{where}") from None
        holders = _holders(client, shipped, ready=True)
        if not holders:
            running = [f for f in shipped.values() if not f.done()]
            if not running:
                break
            with contextlib.suppress(DaskTimeoutError):
                wait(running, timeout=_WATCH_SECONDS, return_when="FIRST_COMPLETED")
            continue
        ask = client.submit(
            _households_of,
            shipped[holders[0]],
            workers=[holders[0]],
            allow_other_workers=False,
            pure=False,
        )
        try:
            n_households, year, source, cities = ask.result(timeout=5 * _WATCH_SECONDS)
            return int(n_households), year, source, cities
        except DaskTimeoutError:
            ask.cancel()
    raise CommonProsperityError(
        "the Dask workers reading the sweep's population left the cluster; run "
        "the sweep again"
    )


def _live_workers(client: Any) -> list[str]:
    """The addresses of the cluster's workers, sorted, asked of the scheduler.

    Not ``client.scheduler_info()["workers"]``: the client's periodic refresh
    stores an identity without workers, and when it lands between that call's
    own refresh and its return, the call reports none (a sweep once stopped
    with "no workers" on a cluster of two).
    """
    return sorted(client.nthreads())


def _holders(client: Any, shipped: dict[str, Any], ready: bool = False) -> list[str]:
    """The workers that still hold their copy of the population, sorted.

    A copy lost with its worker makes its future cancelled, not finished. A
    population read from a file is still being read on some workers
    (``pending``): they count unless ``ready``.
    """
    live = set(_live_workers(client))
    ok = ("finished",) if ready else ("finished", "pending")
    return sorted(w for w, fut in shipped.items() if w in live and fut.status in ok)


async def _identity(address: str) -> Any:
    import asyncio

    from distributed.core import rpc

    remote = rpc(address, timeout=_CONNECT_SECONDS)
    try:
        # rpc's timeout bounds the connection only: a listener that never
        # replies held the sweep forever.
        return await asyncio.wait_for(remote.identity(), _CONNECT_SECONDS)
    finally:
        await remote.close_rpc()


def _check_port(address: str) -> None:
    """Refuse a port outside 1-65535, and say at once when nothing listens.

    distributed retried a refused connection for its whole timeout (30 s) and then
    said "timed out"; a plain connection is refused at once (``OSError``). A
    ``ValueError`` for a port no address can have.
    """
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    host, port = parse_host_port(parse_address(address)[1])
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1–65535")
    with socket.create_connection((host, port), timeout=_CONNECT_SECONDS):
        pass


def _check_scheduler(given: str, address: str) -> None:
    """Refuse an address where something other than a Dask scheduler answers.

    A Client on such an address failed with whatever the reply decoded to (a
    ValueError, a MemoryError for "3 EiB"), and the half-started Client then
    held the interpreter's exit for 60 s. Asking for the identity over a plain
    connection first leaves nothing behind. In a thread of its own: a notebook's
    thread already runs an event loop.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        try:
            info = pool.submit(asyncio.run, _identity(address)).result()
        except TimeoutError:  # an OSError too: not "cannot reach"
            info = TimeoutError(f"no reply within {_CONNECT_SECONDS:g} s")
        except OSError:
            raise
        except Exception as exc:
            info = exc
    if not (isinstance(info, dict) and info.get("type") == "Scheduler"):
        what = f"{type(info).__name__}: {info}" if isinstance(info, Exception) else ""
        raise CommonProsperityError(
            f"client: something answers at {given!r} but not as a Dask scheduler"
            + (f" ({what[:200]})" if what else "")
            + "; check the address and port (a scheduler listens on 8786 by default)"
        )


#: Schemes whose scheduler needs settings an address cannot carry (security,
#: transport): only an open ``distributed.Client`` reaches it.
CLIENT_ONLY_SCHEMES = ("tls", "wss", "ucx")


def address_scheme(address: str) -> str:
    """The scheme of a scheduler address, lower case (``tcp`` when none is given)."""
    return address.split("://", 1)[0].lower() if "://" in address else "tcp"


def check_address(client: str) -> None:
    """Refuse a scheduler address that cannot be used, without opening a client.

    The command line asks before it builds a population (up to 20 million
    households were built, then the address was found unreachable).

    Raises
    ------
    ArgumentError
        For an address that is malformed or needs settings (tls://, wss://, ucx://).
    CommonProsperityError
        When nothing listens there, or something other than a Dask scheduler.
    """
    import distributed

    # A malformed address is refused before a client exists: distributed
    # raised its ValueError from a half-started client, which stayed the
    # current client (dask's scheduler set to it) and hung on exit.
    scheme = address_scheme(client)
    if scheme in CLIENT_ONLY_SCHEMES:
        # distributed raised a bare TypeError (tls and wss need a security
        # context) or a FutureWarning (ucx, on resolving the address), and
        # its half-started client held the interpreter's exit for 60 s.
        raise ArgumentError(
            f"client: a {scheme}:// address ({client!r}) needs settings an "
            "address cannot carry (security, transport); open the "
            "distributed.Client yourself (e.g. Client(address, security=...)) "
            "and pass it as client="
        )
    with _address_errors(client):
        address = distributed.comm.addressing.resolve_address(client)
        if address.startswith(("tcp://", "ws://")):
            # A refused connection is known at once (ws:// waited 30 s too).
            _check_port(address)
        if address.startswith("tcp://"):
            _check_scheduler(client, address)


@contextlib.contextmanager
def _address_errors(client: str) -> Any:
    """The library's errors for an address nothing listens at, or no address."""
    try:
        yield
    except OSError as exc:
        raise CommonProsperityError(
            f"client: cannot reach the Dask scheduler at {client!r} ({exc})"
        ) from None
    except ValueError as exc:
        raise ArgumentError(
            f"client: {client!r} is not a Dask scheduler address ({exc}); give "
            "one such as 'tcp://10.0.0.5:8786', or a distributed.Client"
        ) from None


def check_client(client: Any) -> None:
    """Refuse a ``client=`` that cannot run a sweep, before any work.

    ``sweep`` asks before it checks the grid and orders the population: a bad
    client was found only after that (6 s for a 20,000-scenario grid). A
    scheduler address is probed, not connected to (:func:`check_address`).
    """
    try:
        import distributed
    except ImportError:  # pragma: no cover - the dask extra is part of the test env
        raise CommonProsperityError(
            "engine='dask' needs dask and distributed: pip install "
            "'commonprosperity[dask]'"
        ) from None
    if client is None:
        try:
            distributed.get_client()
        except ValueError:
            raise CommonProsperityError(
                "engine='dask' needs a cluster: pass client= a distributed.Client or "
                "a scheduler address such as 'tcp://10.0.0.5:8786'; no current Dask "
                "client was found"
            ) from None
    elif isinstance(client, str):
        check_address(client)
    elif isinstance(client, distributed.Client):
        if client.asynchronous:
            # Its calls return coroutines: the sweep failed with "'coroutine'
            # object is not iterable".
            raise ArgumentError(
                "client: an asynchronous distributed.Client (asynchronous=True) "
                "cannot run a sweep; pass a synchronous one"
            )
        if client.status in ("closing", "closed"):
            raise CommonProsperityError(
                f"client: the distributed.Client is {client.status}; pass an open "
                "client or a scheduler address"
            )
    else:
        hint = (
            " (wrap a cluster in distributed.Client(cluster))"
            if hasattr(client, "scheduler_address")
            else ""
        )
        raise ArgumentError(
            "client must be a distributed.Client or a scheduler address string; "
            f"got {type(client).__name__}{hint}"
        )


def _connect(client: Any) -> tuple[Any, bool]:
    """Return ``(client, owned)``; ``owned`` when this call opened it.

    ``client`` has passed :func:`check_client` (``sweep`` asks first): an
    address was probed twice a sweep.
    """
    import distributed

    if client is None:
        try:
            return distributed.get_client(), False
        except ValueError:
            check_client(None)  # the current client went away: its own message
            raise
    if isinstance(client, str):
        with _address_errors(client):
            # Opened for this call only: never the current client.
            return distributed.Client(client, timeout="30s", set_as_default=False), True
    return client, False


def evaluate_on_cluster(
    population: _Ordered | str,
    stacked: Any,
    gini: str,
    band_basis: str,
    client: Any,
    advance: Callable[[int], None] | None = None,
    *,
    base: Any = None,
) -> Any:
    """Evaluate the stacked scenarios on a Dask cluster; rows in scenario order.

    ``population`` is the ordered population of the threads engine
    (``_ordered_for_sweep``), scattered once per worker, or the path of a Parquet
    file that each worker reads once and orders as the threads engine itself
    (the same order: the data and the code are the same); if the call is interrupted
    (KeyboardInterrupt included), pending tasks are cancelled, the scattered
    population is released and a client opened here is closed.
    """
    from distributed import TimeoutError as DaskTimeoutError
    from distributed import wait

    dask_client, owned = _connect(client)
    futures: list[Any] = []
    shipped: dict[str, Any] = {}
    universe: dict[str, Any] = {}
    try:
        # distributed.wait works on the current client: one opened here from an
        # address is never the default (set_as_default=False), and a default
        # client of another cluster must not be the one asked.
        with dask_client.as_current():
            workers = _live_workers(dask_client)
            n_workers = len(workers)
            if n_workers == 0:
                raise CommonProsperityError(
                    "the Dask cluster has no workers; start some or wait for them"
                )
            S = stacked.n
            token = uuid.uuid4().hex
            # One copy per worker under a key of its own, and each task pinned to
            # the worker holding the copies it needs. One key broadcast to every
            # worker is a replicated key: the scheduler's memory manager
            # (ReduceReplicas) dropped the surplus copies before the tasks that
            # needed them arrived, or once a worker's own tasks were done and
            # before it stole another's, and the population travelled again.
            for worker in workers:
                try:
                    _ship(
                        dask_client,
                        worker,
                        population,
                        stacked,
                        base,
                        gini,
                        token,
                        shipped,
                        universe,
                    )
                except (KeyError, OSError):
                    # The worker left while its copies were sent (the scheduler no
                    # longer knows it, or the connection closed): go on without it.
                    shipped.pop(worker, None)
                    universe.pop(worker, None)
            workers = [w for w in workers if w in shipped]
            n_workers = len(workers)
            if n_workers == 0:
                raise CommonProsperityError(
                    "the Dask workers left the cluster while the sweep's population "
                    "was sent; run the sweep again"
                )
            source = None
            cities = ""
            if isinstance(population, str):
                n_households, year, source, cities = _households_and_year(
                    dask_client, shipped
                )
                if base is not None and (note := other_year_note(year, base.year)):
                    # The client never reads the file: sweep() could not say it.
                    warn_user(f"sweep: T1–T6 are judged on {note}")
            else:
                n_households = population.n_households
            per_task = max(1, min(_block_size(n_households), -(-S // n_workers)))
            order, bounds = _grouped_tasks(stacked, per_task)
            grouped = stacked.select(order)
            index: dict[Any, tuple[int, int]] = {}
            pinned: dict[Any, str] = {}

            def submit(i0: int, i1: int, worker: str, attempt: int) -> Any:
                fut = dask_client.submit(
                    _run_part,
                    shipped[worker],
                    grouped.rows(i0, i1),
                    gini,
                    band_basis,
                    universe[worker],
                    pure=False,
                    key=f"commonprosperity-sweep-{token}-{i0}-{attempt}",
                    workers=[worker],
                    allow_other_workers=False,
                )
                futures.append(fut)
                index[fut.key] = (i0, i1)
                pinned[fut.key] = worker
                return fut

            pending = {
                submit(i0, i1, workers[k % n_workers], 0)
                for k, (i0, i1) in enumerate(bounds)
            }
            n_stats = None
            parts: dict[tuple[int, int], Any] = {}
            attempt = 0
            while pending:
                try:
                    done, pending = wait(
                        pending, timeout=_WATCH_SECONDS, return_when="FIRST_COMPLETED"
                    )
                except DaskTimeoutError:
                    done = set()
                except CancelledError:
                    # wait() raises on a cancelled future: a worker that left took
                    # the copies its tasks depend on (or someone cancelled them).
                    done = {f for f in pending if f.status == "cancelled"}
                    pending -= done
                # A cancelled task lost the copies it depends on with their worker
                # (the client may learn of the copies' loss after the task's), or
                # its result, still on that worker, with them.
                lost = []
                for fut in done:
                    try:
                        part = fut.result()
                    except CancelledError:
                        lost.append(fut)
                        continue
                    parts[index[fut.key]] = part
                    n_stats = part.totals.shape[1]
                    if advance is not None:
                        advance(index[fut.key][1] - index[fut.key][0])
                if done and not lost:
                    continue
                # A pinned task waits for its worker forever, and the worker's copies
                # leave with it: run the tasks of a worker that left on the workers
                # that still hold the population.
                holders = _holders(dask_client, shipped)
                lost += [f for f in pending if pinned[f.key] not in holders]
                if not lost:
                    continue
                attempt += 1
                if not holders or attempt > _MAX_ATTEMPTS:
                    raise CommonProsperityError(
                        "the Dask workers holding the sweep's population left the "
                        "cluster (or it was restarted); run the sweep again"
                    )
                # Not the workers that just lost tasks, while others remain.
                gone = {pinned[f.key] for f in lost}
                holders = [w for w in holders if w not in gone] or holders
                dask_client.cancel(lost)
                pending -= set(lost)
                for k, fut in enumerate(lost):
                    i0, i1 = index[fut.key]
                    pending.add(submit(i0, i1, holders[k % len(holders)], attempt))
            out = _Outcome(
                np.empty((S, cast(int, n_stats))),
                np.empty(S),
                np.empty(S),
                np.empty(S),
                source,
                cities,
            )
            for (i0, i1), part in parts.items():
                rows = order[i0:i1]
                out.totals[rows] = part.totals
                out.gini[rows] = part.gini
                out.lower[rows] = part.lower
                out.upper[rows] = part.upper
            return out
    except Exception as exc:
        # A worker without the package fails in distributed's unpickling, as a
        # bare Exception('ModuleNotFoundError(...)') naming no remedy.
        if "No module named 'commonprosperity'" in str(exc):
            raise CommonProsperityError(
                "the Dask workers cannot import commonprosperity: install it on "
                "every worker (pip install commonprosperity, the version of this "
                f"client, {_version()}) and restart them"
            ) from exc
        raise
    finally:
        if futures:
            dask_client.cancel(futures)
        scattered = [*shipped.values(), *universe.values()]
        if scattered:
            dask_client.cancel(scattered)
        if owned:
            dask_client.close()
