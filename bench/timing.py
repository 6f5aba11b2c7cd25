"""Timing helpers for the benchmarks: medians, paired with a baseline, SQL statement counts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def timed(action: Callable[[], Any]) -> float:
    """Return the wall time of one call, in seconds."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_time(action: Callable[[], Any], runs: int) -> float:
    """Return the median wall time of ``runs`` calls, after one warm-up call."""
    action()
    return statistics.median(timed(action) for _ in range(runs))


def paired_medians(
    action: Callable[[], Any],
    baseline: Callable[[], Any],
    runs: int,
    *,
    slow: float = 20.0,
    clean_up: Callable[[], Any] | None = None,
) -> tuple[float, float]:
    """Return the median wall times of an action and of its baseline, run in turns.

    Taking turns (baseline, action, baseline, action…) exposes both to the same
    moments of the machine's load, so their ratio is fair even on a busy machine.
    Both are warmed up first; an action whose warm-up takes longer than ``slow``
    seconds keeps that run as its first sample (nothing is left to warm up).
    ``clean_up`` runs after every call, outside its timing (an import's rows
    deleted so that the next run imports into the same state).
    """

    def once(call: Callable[[], Any]) -> float:
        try:
            return timed(call)
        finally:
            if clean_up is not None:
                clean_up()

    once(baseline)
    first = once(action)
    ours, theirs = ([first], [once(baseline)]) if first > slow else ([], [])
    while len(ours) < runs:
        theirs.append(once(baseline))
        ours.append(once(action))
    return statistics.median(ours), statistics.median(theirs)


def seconds(value: float) -> str:
    """Format a duration as people read it: "850 ms", "4.14 s"."""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


class StatementCounter:
    """Count the SQL statements an engine sends (``before_cursor_execute``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[list[int]]:
        """Yield a one-item list that holds, after the block, the statements sent in it."""
        box = [0]
        before = self.count
        try:
            yield box
        finally:
            box[0] = self.count - before

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)
