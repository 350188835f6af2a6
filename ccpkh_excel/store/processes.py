"""Work spread over forked processes, for the few steps where a province's size makes it pay:
reading hundreds of returns, writing hundreds of thousands of Tổng hợp rows.

Forked (Linux) workers inherit what the parent has in memory — the plan, the records, the
plan's secret — so nothing of it is pickled; only each item's result comes back. Elsewhere
(Windows, Excel's buttons, macOS) and for small batches the work runs in the process itself,
item by item, with the same results in the same order.

`guarded_map` is for work on files from outside: a reading library that aborts its process
on a hostile file (a Rust allocation that fails does) takes only a worker with it; the file
is named, and the rest of the batch goes on.
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
    reads `state()` (see `_inherited`). `meanwhile`: work for this process once every item is
    handed to the workers (before the first result; its error stops the workers and is raised
    here)."""
    if n <= 1:
        if meanwhile is not None:
            meanwhile()
        with _inherited(state):
            yield from map(fn, items)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _inherited(state):
        # a worker collects its own garbage (the parent may have paused its collector: paused_gc)
        pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=gc.enable)
        try:
            results = pool.map(fn, items, chunksize=chunksize)  # every item handed out now
            if meanwhile is not None:
                meanwhile()
            yield from results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _inherited(state: Any) -> Iterator[None]:
    """`state` for the workers forked meanwhile, and the parent's objects frozen for the garbage
    collector, so the workers share the parent's memory instead of copying it."""
    global _STATE
    _STATE = state
    gc.freeze()
    try:
        yield
    finally:
        _STATE = None
        gc.unfreeze()


def can_fork() -> bool:
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def guarded_map(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    n: int,
    state: Any = None,
    chunksize: int = 1,
    meanwhile: Callable[[], object] | None = None,
    crashed: Callable[[Any, int | None], Any] | None = None,
) -> Iterator[Any]:
    """`fork_map`, always in forked workers (at least one) where processes can be forked, and
    surviving a worker's death: the items that were in flight are tried again, each in a
    process of its own, and an item that kills its process gives `crashed(item, exit code)`
    (a negative code: the signal) in its place; the others go on in a new pool. Where
    processes cannot be forked: `fork_map` in this process (a crash there ends the run)."""
    items = list(items)
    if not can_fork() or crashed is None:
        yield from fork_map(fn, items, n if can_fork() else 1, state, chunksize, meanwhile)
        return
    with _inherited(state):
        yield from _guarded(fn, items, max(1, n), max(1, chunksize), meanwhile, crashed)


HEADROOM = 2 << 30  # bytes of address space a guarded worker may add to what it was forked with


def _bounded() -> None:
    """In a guarded worker: its own garbage collector, and its address space capped at what it
    inherited plus HEADROOM — a file that makes a reader ask for gigabytes gets a MemoryError
    (or aborts that worker) instead of pressing the whole machine."""
    import resource

    gc.enable()
    try:
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = size + HEADROOM
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):
        pass


def _run_chunk(fn: Callable[[Any], Any], chunk: list) -> list:
    return [fn(x) for x in chunk]


def _guarded(fn, items: list, n: int, chunksize: int, meanwhile, crashed) -> Iterator[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    fork = multiprocessing.get_context("fork")
    pos = 0  # items[:pos] are done
    while pos < len(items):
        chunks = [items[i : i + chunksize] for i in range(pos, len(items), chunksize)]
        pool = ProcessPoolExecutor(n, mp_context=fork, initializer=_bounded)
        broken = None
        futures: list = []
        try:
            try:
                for c in chunks:
                    futures.append(pool.submit(_run_chunk, fn, c))
            except BrokenProcessPool:  # a worker died already: the chunks not handed out are read below
                pass
            if meanwhile is not None:
                meanwhile, work = None, meanwhile
                work()
            for k, fut in enumerate(futures):
                try:
                    done = fut.result()
                except BrokenProcessPool:
                    broken = k
                    break
                pos += len(done)
                yield from done
            else:
                if len(futures) == len(chunks):
                    return
                broken = len(futures)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        # The pool hands out chunks in order, a few at a time (n running, n + 1 queued): the one
        # that killed its worker is almost always among the next 2n + 1. Each of their items is
        # read alone; the rest go to a new pool (if the culprit was further on, that pool breaks
        # too — every round moves on by at least one chunk, so the loop ends).
        for j in range(broken, min(broken + 2 * n + 1, len(chunks))):
            fut = futures[j] if j < len(futures) else None
            done = None
            if fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None:
                done = fut.result()
            for i, item in enumerate(chunks[j]):
                yield done[i] if done is not None else _alone(fork, fn, item, crashed)
                pos += 1


def _alone(fork, fn, item, crashed):
    """`fn(item)` in a forked process of its own: its result, or `crashed(item, exit code)`."""
    receive, send = fork.Pipe(duplex=False)
    child = fork.Process(target=_send_result, args=(send, fn, item), daemon=True)
    child.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:  # died before it could answer
        child.join()
        return crashed(item, child.exitcode)
    finally:
        receive.close()
    child.join()
    if not ok:
        raise value
    return value


def _send_result(send, fn, item) -> None:
    _bounded()
    try:
        out = (True, fn(item))
    except BaseException as exc:  # noqa: BLE001 - raised again in the parent, as a pool would
        out = (False, exc)
    send.send(out)
    send.close()
