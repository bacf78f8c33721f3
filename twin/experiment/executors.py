"""Where a batch's runs execute: here, in local worker processes, or on a Dask cluster.

Every executor takes the runs one by one from an iterator and yields ``(task, outcome)`` as
runs finish, in whatever order they finish; the outcome is what the task function returned,
or the exception that kept it from returning (a worker process that died). Only a few runs
per worker are submitted ahead, so a batch of a million runs holds a few dozen tasks, not a
million.

- :class:`SerialExecutor`: in this process, one run after another (``workers=1``).
- :class:`ProcessExecutor`: a :class:`concurrent.futures.ProcessPoolExecutor` whose
  workers are started with ``spawn`` (not ``fork``: a forked copy of a process that has
  started numba or BLAS threads can deadlock).
- :class:`DaskExecutor`: a :class:`distributed.Client` on a scheduler's address, or on a
  :class:`distributed.LocalCluster` of worker processes it starts (``local:N``). Workers on
  other machines write run folders to the same path, so the batch folder (and the scenario's
  input files) must be on a file system they share.

Which executor ran a run never changes its figures: a run depends only on its scenario.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from twin._errors import TwinError

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "available_cores",
    "check_options",
    "make_executor",
]

T = TypeVar("T")

#: Tasks submitted ahead per worker: enough that a worker never waits for the next one.
AHEAD = 2


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish."""

    workers: int
    description: str

    def map_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[tuple[T, Any]]: ...

    def close(self) -> None: ...


def available_cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SerialExecutor:
    """Runs tasks one after another in this process."""

    workers = 1
    description = "this process"

    def map_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[tuple[T, Any]]:
        for task in tasks:
            yield task, fn(task)

    def close(self) -> None:
        pass


class ProcessExecutor:
    """Runs tasks in ``workers`` local processes started with ``spawn``.

    If a worker process dies (killed, out of memory), a new pool starts; the runs that were
    under way are run again one at a time, so only the run that kills its worker comes back
    as a :class:`~concurrent.futures.process.BrokenProcessPool` outcome, and the remaining
    runs go on.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local processes"
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))

    def map_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[tuple[T, Any]]:
        todo = iter(tasks)
        pending: dict[Future, tuple[T, ProcessPoolExecutor]] = {}
        # Runs that were under way when a worker died: which one killed it is unknown, so they
        # are run again one at a time; the one that breaks its pool alone is the culprit.
        suspects: deque[T] = deque()

        def submit(task: T) -> None:
            try:
                pending[self._pool.submit(fn, task)] = (task, self._pool)
            except BrokenProcessPool:
                self._renew(self._pool)
                pending[self._pool.submit(fn, task)] = (task, self._pool)

        def top_up() -> None:
            while len(pending) < AHEAD * self.workers and not suspects:
                task = next(todo, None)
                if task is None:
                    return
                submit(task)

        top_up()
        while pending or suspects:
            if suspects and not pending:
                task = suspects.popleft()
                submit(task)
                (future,) = pending
                pool = pending.pop(future)[1]
                try:
                    outcome = future.result()
                except Exception as error:  # noqa: BLE001 - handed to the caller as the run's outcome
                    outcome = error
                    if isinstance(error, BrokenProcessPool):
                        self._renew(pool)
                yield task, outcome
                top_up()
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task, pool = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    self._renew(pool)
                    suspects.append(task)
                    continue
                except Exception as error:  # noqa: BLE001 - handed to the caller as the run's outcome
                    outcome = error
                yield task, outcome
            top_up()

    def _renew(self, pool: ProcessPoolExecutor) -> None:
        """Replace ``pool`` by a new one, if it is still the current pool."""
        if pool is self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Runs tasks on a Dask cluster, one run per worker thread.

    Parameters
    ----------
    target
        A scheduler address (``tcp://host:8786``), ``local:N`` for a
        :class:`~distributed.LocalCluster` of ``N`` single-threaded worker processes started
        here (``local`` alone: one per core), or a :class:`distributed.Client` to use (it is
        left open).
    """

    def __init__(self, target: Any) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        self._own_client = not isinstance(target, Client)
        if isinstance(target, Client):
            self._client = target
        elif isinstance(target, str) and (target == "local" or target.startswith("local:")):
            n = _local_workers(target)
            # ":0": any free port. None would still start the scheduler's HTTP server on 8787
            # and fail when another cluster holds it.
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(str(target), timeout="10s")
            except (OSError, TimeoutError, ValueError) as error:
                raise TwinError(f"--dask {target}: cannot reach the Dask scheduler ({error}); check that it runs "
                                "and the address (tcp://host:8786), or use --dask local:N") from None  # fmt: skip
        threads = sum(self._client.nthreads().values())
        self.workers = max(threads, 1)
        where = "a local Dask cluster" if self._cluster is not None else f"Dask at {self._client.scheduler.address}"
        self.description = f"{where} ({threads} worker threads)"

    def map_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[tuple[T, Any]]:
        from distributed import as_completed

        todo = iter(tasks)
        pending: dict[Any, T] = {}
        running = as_completed()

        def submit() -> bool:
            task = next(todo, None)
            if task is None:
                return False
            future = self._client.submit(fn, task, pure=False)
            pending[future] = task
            running.add(future)
            return True

        for _ in range(AHEAD * self.workers):
            if not submit():
                break
        for future in running:
            task = pending.pop(future)
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker; the run's outcome
                outcome = error
            future.release()
            yield task, outcome
            submit()

    def close(self) -> None:
        if self._own_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _local_workers(target: str) -> int:
    text = target.partition(":")[2]
    if not text:
        return available_cores()
    if not text.isdigit() or int(text) < 1:
        raise TwinError(f"--dask {target}: give the number of local workers, e.g. --dask local:2")
    return int(text)


def check_options(*, workers: int | None = None, dask: Any = None) -> None:
    """Raise :class:`TwinError` for options no executor takes (before a batch starts)."""
    if dask is not None and workers is not None:
        raise TwinError(f"--workers {workers} and --dask {dask}: give one; with Dask the cluster's workers run the "
                        "batch (--dask local:N starts N)")  # fmt: skip
    if workers is not None and workers < 1:
        raise TwinError(f"--workers {workers}: must be at least 1")
    if isinstance(dask, str) and (dask == "local" or dask.startswith("local:")):
        _local_workers(dask)


def make_executor(*, workers: int | None = None, dask: Any = None, runs: int | None = None) -> Executor:
    """The executor for ``workers`` local processes, or for a Dask cluster.

    Parameters
    ----------
    workers
        Local worker processes; ``None``: one per core (no more than ``runs``). One runs
        everything in this process.
    dask
        A Dask scheduler address, ``local:N``, or a :class:`distributed.Client`; overrides
        ``workers``.
    runs
        How many runs there are to do, so that no idle worker is started.
    """
    check_options(workers=workers, dask=dask)
    if dask is not None:
        return DaskExecutor(dask)
    n = workers if workers is not None else available_cores()
    if runs is not None:
        n = max(1, min(n, runs))
    return SerialExecutor() if n == 1 else ProcessExecutor(n)
