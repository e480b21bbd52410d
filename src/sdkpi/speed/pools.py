"""What the speed lane tunes in the process, and the thread pools it owns.

Light to import (stdlib only; pyarrow where memory is tuned): the early start of reading
and the command line use it before pandas is imported.

- `Pool`: a thread pool with an owner. Made when first used, shut down by `close` (every
  pool at the latest when the interpreter exits: `close_all`, registered with `atexit`).
  The lane's two: `EARLY` (the early start's reads) and `WRITER` (the sheet cache's
  background writes).
- `lean_memory_pool`: Arrow's allocator and how long it keeps freed memory.
- `tune_process`: the interpreter's cycle collector and numpy's BLAS threads, for a command.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Pool:
    """A ThreadPoolExecutor made on first use, and shut down by its owner (`close`)."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        _ALL.append(self)

    @property
    def running(self) -> bool:
        """Has the pool threads (made, and not shut down since)?"""
        return self._executor is not None

    def submit(self, task: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name)
            return self._executor.submit(task, *args)

    def close(self, *, wait: bool = False) -> None:
        """Shut the pool down: tasks not begun are cancelled; the next `submit` makes a new one."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)


_ALL: list[Pool] = []

#: Two reads at a time, as `loaders.sheets.load_dataset` reads.
EARLY = Pool(2, "sdkpi-early")
#: The sheet cache's entries written while the engine computes.
WRITER = Pool(2, "sdkpi-cache")


def close_all() -> None:
    """Shut every pool down (at exit: their threads end with the process)."""
    for pool in _ALL:
        pool.close()


atexit.register(close_all)


def lean_memory_pool(decay_ms: int = 0) -> None:
    """Use Arrow's jemalloc pool, returning freed memory to the system after `decay_ms`.

    Reading a sheet allocates and frees hundreds of MB; pages given back at once (0) keep
    the peak low but must be faulted in again by the next allocation; kept a while they are
    reused instead, for a higher peak (`typed_read.decay_for` chooses by the size of the
    data, for `load_dataset` and the early start alike). A pool chosen with
    ARROW_DEFAULT_MEMORY_POOL is left alone; so is a build without jemalloc.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(decay_ms)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass


def tune_process() -> None:
    """For a command: it runs for seconds over a few big arrays. numpy's BLAS threads (never
    used by sdkpi) would only spin on the cores that parse the data, and Python's cycle
    collector, at its default pace, walks every object made while importing pandas many
    times over."""
    import gc

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.set_threshold(20_000, 20, 20)
