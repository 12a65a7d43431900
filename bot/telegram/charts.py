"""The chart renderer, started on first use (its worker processes cost a second to start
and most processes — the tests', a worker's — never draw a chart)."""

from __future__ import annotations

from bot.charts import ChartRenderer


class Charts:
    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._renderer: ChartRenderer | None = None

    def get(self) -> ChartRenderer:
        if self._renderer is None:
            self._renderer = ChartRenderer(self._workers)
        return self._renderer

    async def close(self) -> None:
        if self._renderer is not None:
            await self._renderer.close()
            self._renderer = None
