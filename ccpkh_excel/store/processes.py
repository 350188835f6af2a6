"""Work spread over forked processes, for the few steps where a province's size makes it pay:
reading hundreds of returns, writing hundreds of thousands of Tổng hợp rows.

Forked (Linux) workers inherit what the parent has in memory — the plan, the records, the
plan's secret — so nothing of it is pickled; only each item's result comes back. Elsewhere
(Windows, Excel's buttons, macOS) and for small batches the work runs in the process itself,
item by item, with the same results in the same order.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

WORKERS_ENV = "CCPKH_WORKERS"
MAX_WORKERS = 4

_STATE: Any = None  # what the forked workers read (set just before the fork)


def workers(items: int, parallel_from: int) -> int:
    """How many processes work on `items` items: the environment's CCPKH_WORKERS (1 = none),
    else one per CPU (at most MAX_WORKERS) from `parallel_from` items on, where processes can
    be forked (Linux; elsewhere one)."""
    import multiprocessing

    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted:
        try:
            return max(1, min(int(wanted), items))
        except ValueError:
            return 1
    if items < parallel_from:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS, items))


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile. A step that makes hundreds of thousands of
    objects that live on (rows read, rows merged, rows written) would otherwise have the
    collector go over all of them again and again (a national merge: 1.4 s of its CPU);
    their memory is still freed by reference counting, and the rare cycle is collected
    once the step is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def state() -> Any:
    """In a worker: the state `fork_map` was given."""
    return _STATE


def fork_map(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    n: int,
    state: Any = None,
    chunksize: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[Any]:
    """`fn(item)` for every item, in order, in `n` forked workers (or here when n ≤ 1); `fn`
    reads `state()`. The parent's objects are frozen for the garbage collector meanwhile, so the
    workers share the parent's memory instead of copying it. `meanwhile`: work for this
    process once every item is handed to the workers (before the first result; its error
    stops the workers and is raised here)."""
    global _STATE
    if n <= 1:
        if meanwhile is not None:
            meanwhile()
        _STATE = state
        try:
            yield from map(fn, items)
        finally:
            _STATE = None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _STATE = state
    gc.freeze()
    # a worker collects its own garbage (the parent may have paused its collector: paused_gc)
    pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=gc.enable)
    try:
        results = pool.map(fn, items, chunksize=chunksize)  # every item handed out now
        if meanwhile is not None:
            meanwhile()
        yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _STATE = None
        gc.unfreeze()
