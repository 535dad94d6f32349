"""An ordered map over threads with bounded read-ahead.

Decoding images and reading Zarr chunks release the GIL, so threads overlap them
with each other and with the work that consumes the results (a forward pass, a
write); the window bounds memory however many items there are.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Callable, Iterable, Iterator, TypeVar

T, R = TypeVar("T"), TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int,
                ahead: int) -> Iterator[R]:
    """``fn`` of every item, in order, computed by ``workers`` threads at most ``ahead``
    items ahead of the consumer."""
    items = iter(items)
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        pending = deque(pool.submit(fn, x) for x in islice(items, max(1, ahead)))
        while pending:
            result = pending.popleft().result()
            pending.extend(pool.submit(fn, x) for x in islice(items, 1))
            yield result
    finally:  # also when the consumer stops early or fails: drop the queued work
        pool.shutdown(wait=True, cancel_futures=True)
