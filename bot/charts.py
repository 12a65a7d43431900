"""The /progress charts: PNG images of a person's self-ratings, rendered off the event loop.

- ``trend_png``: the self-ratings per quality over the last weeks, one row per quality and
  one cell per week holding the rating (empty when the quality was not rated that week: the
  review rates a rotating subset, so a line per quality would be mostly gaps).
- ``versus_png``: per quality, the average self-rating (scale 1-5) beside the kudos
  received (a count), two panels sharing the quality rows.

Every text is the caller's, already in the team's language. The drawing lives in
``bot.chart_drawing`` and is imported only where it runs: matplotlib's rendering holds the
GIL for most of its ~0.1-0.3 s per chart, so a thread would still stall the event loop
(``python -m bench charts`` measures both), and ``ChartRenderer`` draws in worker processes
instead ('forkserver', or 'spawn' where there is none: never a fork of a process with
threads), started and warmed up with the renderer so the first chart is not slow.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChartTexts:
    """The charts' words, translated by the caller."""

    trend_title: str
    versus_title: str
    self_label: str
    kudos_label: str
    no_data: str
    decimal_mark: str = "."  # «3,5» in Russian


@dataclass(frozen=True, slots=True)
class TrendSeries:
    quality: str  # the quality's short label
    ratings: list[int | None]  # one per week, oldest first; None: not rated that week


def trend_png(weeks: Sequence[str], series: Sequence[TrendSeries], texts: ChartTexts) -> bytes:
    """Self-ratings per quality, one column per week (``weeks``: labels such as «7 дек»)."""
    from bot import chart_drawing

    return chart_drawing.to_png(chart_drawing.trend_figure(weeks, series, texts))


def versus_png(rows: Sequence[tuple[str, float | None, int]], texts: ChartTexts) -> bytes:
    """Per quality: (label, average self-rating or None, kudos received)."""
    from bot import chart_drawing

    return chart_drawing.to_png(chart_drawing.versus_figure(rows, texts))


def _warm_up() -> None:
    """A worker's initializer: imports matplotlib and loads the font once."""
    from bot import chart_drawing

    chart_drawing.to_png(chart_drawing.no_data_figure("Самооценка", "Нет данных"))


def _ready() -> bool:
    return True


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class ChartRenderer:
    """Renders off the event loop so other users are not delayed.

    ``workers`` processes, started at once and warmed up in the background; ``ready()``
    waits for them (call it at start-up). A worker that dies (killed, out of memory) breaks
    the pool: it is rebuilt and the chart tried once more.
    """

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool, self._warming = self._start()

    def _start(self) -> tuple[ProcessPoolExecutor, list[Future[bool]]]:
        pool = ProcessPoolExecutor(self._workers, mp_context=_context(), initializer=_warm_up)
        # a task per worker: the pool starts a process while none is idle
        return pool, [pool.submit(_ready) for _ in range(self._workers)]

    async def ready(self) -> None:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._warming))

    async def trend(
        self, weeks: Sequence[str], series: Sequence[TrendSeries], texts: ChartTexts
    ) -> bytes:
        return await self._run(trend_png, list(weeks), list(series), texts)

    async def versus(
        self, rows: Sequence[tuple[str, float | None, int]], texts: ChartTexts
    ) -> bytes:
        return await self._run(versus_png, list(rows), texts)

    async def _run(self, draw: Callable[..., bytes], *args: object) -> bytes:
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            return await loop.run_in_executor(pool, draw, *args)
        except BrokenProcessPool:
            if self._pool is pool:  # the first to notice rebuilds it
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool, self._warming = self._start()
            return await loop.run_in_executor(self._pool, draw, *args)

    async def close(self) -> None:
        """Cancels what has not started, waits for what has, stops the workers."""
        pool = self._pool
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
