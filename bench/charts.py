"""The /progress charts: rendering time, and the event loop's lag while they render.

``python -m bench charts [--charts 20] [--save DIR]``

- Time to render each chart (the trend and the self-rating beside kudos) for 16 qualities
  with long Russian names × 12 weeks, in this process (median of a few, after a warm-up).
- The lag of a ticker task that sleeps 10 ms in a loop (how late it wakes: what every other
  user's update waits), p50 / p99 / max, while ``--charts`` charts render at once (half of
  each kind): with nothing rendering (the baseline), in a thread (``run_in_executor``: the
  GIL stays with matplotlib), and in ``ChartRenderer``'s worker processes. Target p99 ≤ 50 ms.
``--save DIR`` writes sample charts (1, 4 and 16 qualities, Russian and English) there.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.charts import ChartRenderer, trend_png, versus_png
from tests.chart_samples import EN, RU, WEEKS, sample

TICK = 0.010


def save_samples(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for lang, texts in (("ru", RU), ("en", EN)):
        for n in (1, 4, 16):
            weeks, series, rows = sample(n, lang)
            for kind, png in (("trend", trend_png(weeks, series, texts)),
                              ("versus", versus_png(rows, texts))):  # fmt: skip
                path = directory / f"{kind}-{lang}-{n}.png"
                path.write_bytes(png)
                written.append(path)
        for kind, png in (("trend", trend_png(WEEKS[lang], [], texts)),
                          ("versus", versus_png([], texts))):  # fmt: skip
            path = directory / f"{kind}-{lang}-empty.png"
            path.write_bytes(png)
            written.append(path)
    return written


def render_times(repeats: int = 5) -> dict[str, float]:
    weeks, series, rows = sample(16)
    trend_png(weeks, series, RU)  # imports, font cache
    result = {}
    for name, draw in (("trend", lambda: trend_png(weeks, series, RU)),
                       ("versus", lambda: versus_png(rows, RU))):  # fmt: skip
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            draw()
            times.append(time.perf_counter() - started)
        result[name] = statistics.median(times)
    return result


async def _lag_while(work: Callable[[], Awaitable[object]] | None, idle: float) -> dict[str, float]:
    """The ticker's lag (s) while ``work`` runs (or for ``idle`` s), and the work's time."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - started - TICK)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    if work is None:
        await asyncio.sleep(idle)
    else:
        await work()
    elapsed = time.perf_counter() - started
    done.set()
    await tick
    cuts = statistics.quantiles(lags, n=100)
    return {"p50": cuts[49], "p99": cuts[98], "max": max(lags), "elapsed": elapsed}


def _batch(
    trend: Callable[..., Awaitable[bytes]], versus: Callable[..., Awaitable[bytes]], charts: int
) -> Callable[[], Awaitable[object]]:
    weeks, series, rows = sample(16)

    async def run() -> object:
        jobs = [trend(weeks, series, RU) if i % 2 == 0 else versus(rows, RU) for i in range(charts)]
        return await asyncio.gather(*jobs)

    return run


async def charts_bench(charts: int = 20, workers: tuple[int, ...] = (1, 2)) -> None:
    times = render_times()
    print(
        f"chart rendering, 16 qualities × 12 weeks, in-process median: "
        f"trend {times['trend'] * 1000:.0f} ms, versus {times['versus'] * 1000:.0f} ms"
    )
    loop = asyncio.get_running_loop()
    results: dict[str, dict[str, float]] = {}
    with ThreadPoolExecutor(1) as threads:

        async def in_thread(*args: object) -> bytes:
            draw = trend_png if len(args) == 3 else versus_png
            return await loop.run_in_executor(threads, draw, *args)

        results["in a thread (run_in_executor)"] = await _lag_while(
            _batch(in_thread, in_thread, charts), 0
        )
    for n in workers:
        renderer = ChartRenderer(workers=n)
        started = time.perf_counter()
        await renderer.ready()
        warm = time.perf_counter() - started
        try:
            first = time.perf_counter()
            await renderer.trend(*sample(16)[:2], RU)
            first = time.perf_counter() - first
            name = f"ChartRenderer, {n} process{'es' if n > 1 else ''}"
            results[name] = await _lag_while(_batch(renderer.trend, renderer.versus, charts), 0)
            print(f"{name}: started and warmed up in {warm:.2f} s, first chart {first:.2f} s")
        finally:
            await renderer.close()
    idle = max(r["elapsed"] for r in results.values())
    results = {"nothing rendering (baseline)": await _lag_while(None, idle), **results}
    print(f"\nevent-loop lag of a {TICK * 1000:.0f} ms ticker while {charts} charts render")
    print(f"{'':<34}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'charts/s':>10}")
    for name, r in results.items():
        rate = f"{charts / r['elapsed']:.1f}" if name[0] != "n" else "-"
        print(
            f"{name:<34}{r['p50'] * 1000:>8.1f}{r['p99'] * 1000:>8.1f}"
            f"{r['max'] * 1000:>8.1f}{rate:>10}"
        )
    base = results["nothing rendering (baseline)"]["p99"]
    for name, r in list(results.items())[1:]:
        verdict = "ok" if r["p99"] <= 0.050 else "over"
        print(
            f"{name}: p99 {r['p99'] * 1000:.1f} ms = {r['p99'] / max(base, 1e-6):.1f}× the "
            f"baseline (target ≤ 50 ms: {verdict}), longest stall {r['max'] * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--charts", type=int, default=20)
    parser.add_argument("--save", type=Path, default=None)
    args = parser.parse_args()
    if args.save:
        for path in save_samples(args.save):
            print(path)
        return
    asyncio.run(charts_bench(args.charts))


if __name__ == "__main__":
    main()
