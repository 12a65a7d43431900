"""The /progress charts: valid PNGs of a phone's width, no overlapping texts with 16 long
Russian names, no missing glyphs, the empty case, and the renderer's worker processes."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import signal
import subprocess
import sys
import warnings

import pytest
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from PIL import Image

from bot.chart_drawing import WIDTH, printable, trend_figure, versus_figure
from bot.charts import ChartRenderer, TrendSeries, trend_png, versus_png
from tests.chart_samples import EN, RU, WEEKS, sample

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def texts_of(fig: Figure) -> list[tuple[str, str | None, object]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return [
        (t.get_text(), t.get_gid(), t.get_window_extent(renderer))
        for ax in fig.axes
        for t in ax.texts
        if t.get_text()
    ]


def assert_no_overlap(fig: Figure) -> None:
    texts = texts_of(fig)
    width, height = fig.canvas.get_width_height()
    for text, _, box in texts:
        assert 0 <= box.x0 <= box.x1 <= width, text  # type: ignore[attr-defined]
        assert 0 <= box.y0 <= box.y1 <= height, text  # type: ignore[attr-defined]
    for (a, _, box_a), (b, _, box_b) in itertools.combinations(texts, 2):
        assert not box_a.overlaps(box_b), (a, b)  # type: ignore[attr-defined]
    labels = [box for _, gid, box in texts if gid == "label"]
    (boxes,) = [c for c in fig.axes[0].collections if isinstance(c, PatchCollection)]
    for path in boxes.get_paths():  # the cells and bars stay right of the quality names
        cell = path.get_extents(boxes.get_transform())
        for box in labels:
            assert not box.overlaps(cell)  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("qualities", [1, 4, 16])
def test_pngs_are_valid_and_phone_wide(lang: str, qualities: int) -> None:
    weeks, series, rows = sample(qualities, lang)
    texts = RU if lang == "ru" else EN
    for png in (trend_png(weeks, series, texts), versus_png(rows, texts)):
        image = decode(png)
        assert image.width == WIDTH
        assert 200 < image.height < 1500
        assert 10_000 < len(png) < 400_000


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_sixteen_long_qualities_do_not_overlap(lang: str) -> None:
    weeks, series, rows = sample(16, lang)
    texts = RU if lang == "ru" else EN
    assert_no_overlap(trend_figure(weeks, series, texts))
    assert_no_overlap(versus_figure(rows, texts))


def test_long_names_wrap_and_end_in_an_ellipsis() -> None:
    long = "Умение выявлять причинно-следственные связи и объяснять их клиенту простыми словами"
    fig = versus_figure([(long, 4.0, 3)], RU)
    labels = [t for t, gid, _ in texts_of(fig) if gid == "label" and t.rstrip("…") in long]
    assert len(labels) == 2
    assert labels[1].endswith("…")
    assert_no_overlap(fig)


def test_long_week_labels_stand_up_rather_than_overlap() -> None:
    weeks = [f"{d} ноября 2026" for d in range(1, 13)]
    _, series, _ = sample(4)
    fig = trend_figure(weeks, series, RU)
    assert any(t.get_rotation() == 90 for t in fig.axes[0].texts)
    assert_no_overlap(fig)


def test_cyrillic_renders_without_missing_glyphs() -> None:
    weeks, series, rows = sample(16, "ru")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trend_png(weeks, series, RU)
        versus_png([("Эмпатия 🙂", 3.5, 2), *rows], RU)
    assert [str(w.message) for w in caught] == []


def test_glyphs_the_font_lacks_are_dropped() -> None:
    assert printable("Эмпатия 🙂 «ок» – …") == "Эмпатия «ок» – …"


def test_numbers_follow_the_decimal_mark() -> None:
    ru = [t for t, _, _ in texts_of(versus_figure([("Эмпатия", 3.5, 2)], RU))]
    en = [t for t, _, _ in texts_of(versus_figure([("Empathy", 3.5, 2)], EN))]
    assert "3,5" in ru
    assert "3.5" in en


@pytest.mark.parametrize(
    "draw",
    [
        lambda: trend_png(WEEKS["ru"], [], RU),
        lambda: trend_png(WEEKS["ru"], [TrendSeries("Эмпатия", [None] * 12)], RU),
        lambda: trend_png([], [], RU),
        lambda: versus_png([], RU),
        lambda: versus_png([("Эмпатия", None, 0)], RU),
    ],
)
def test_no_data_is_a_picture_with_the_text(draw: object) -> None:
    png = draw()  # type: ignore[operator]
    image = decode(png)
    assert image.width == WIDTH
    assert image.height < 600


def test_no_data_figure_shows_the_callers_text() -> None:
    shown = [t for t, _, _ in texts_of(trend_figure(WEEKS["ru"], [], RU))]
    assert "Самооценка за 12 недель" in shown
    assert " ".join(shown).count("график") == 1


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="ratings"):
        trend_png(WEEKS["ru"], [TrendSeries("Эмпатия", [3])], RU)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        trend_png(["7 дек"], [TrendSeries("Эмпатия", [6])], RU)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        versus_png([("Эмпатия", 0.5, 1)], RU)


async def test_renderer_draws_in_workers_and_closes() -> None:
    renderer = ChartRenderer(workers=1)
    try:
        await renderer.ready()
        weeks, series, rows = sample(4)
        trend, versus = await renderer.trend(weeks, series, RU), await renderer.versus(rows, RU)
        assert trend == trend_png(weeks, series, RU)
        assert decode(versus).width == WIDTH
        with pytest.raises(ValueError, match="ratings"):
            await renderer.trend(weeks, [TrendSeries("Эмпатия", [3])], RU)
    finally:
        await renderer.close()
    with pytest.raises(RuntimeError):
        await renderer.versus(rows, RU)


async def test_a_dead_worker_is_replaced() -> None:
    renderer = ChartRenderer(workers=1)
    try:
        await renderer.ready()
        (worker,) = renderer._pool._processes.values()  # type: ignore[attr-defined]
        os.kill(worker.pid, signal.SIGKILL)
        await asyncio.to_thread(worker.join, 30)
        weeks, series, _ = sample(1)
        assert decode(await renderer.trend(weeks, series, EN)).width == WIDTH
    finally:
        await renderer.close()


def test_the_bot_process_does_not_import_matplotlib() -> None:
    code = "import sys, bot.charts; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
