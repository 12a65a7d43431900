"""Sample data for the /progress charts: the longest names of the quality catalogue, in
Russian and English, rated the way the weekly review rotates them (about once in four
weeks). Used by ``tests/unit/test_charts.py`` and ``bench/charts.py``."""

from __future__ import annotations

import random
import statistics

from bot.charts import ChartTexts, TrendSeries

RU = ChartTexts(
    trend_title="Самооценка за 12 недель",
    versus_title="Как вы себя оцениваете и за что вас благодарят",
    self_label="Самооценка (1–5)",
    kudos_label="Благодарности за квартал",
    no_data="Пока нет оценок: пройдите еженедельный обзор — и здесь появится график",
    decimal_mark=",",
)
EN = ChartTexts(
    trend_title="Self-ratings over 12 weeks",
    versus_title="How you rate yourself and what colleagues thank you for",
    self_label="Self-rating (1–5)",
    kudos_label="Kudos this quarter",
    no_data="No ratings yet: do the weekly review and a chart will appear here",
)
QUALITIES = {
    "ru": [
        "Умение передавать заявку коллегам и эскалировать",
        "Навык работы в программе поддержки — хелпдеск",
        "Знание сопутствующих продуктов и интеграций",
        "Владение компьютером и основными программами",
        "Умение формулировать и доносить мысли",
        "Знание конкурентов и их особенностей",
        "Умение выявлять причинно-следственные связи",
        "Трудоустройство и социальные гарантии",
        "Умение быстро вникать в проблему",
        "Грамотная устная и письменная речь",
        "Разбираться и изучать новое",
        "Принадлежность, высшая цель",
        "Эмпатия",
        "Терпение",
        "Гибкость",
        "Стрессоустойчивость",
    ],
    "en": [
        "Handing a request to colleagues and escalating",
        "Working in the support software, the helpdesk",
        "Knowing related products and integrations",
        "Using a computer and the main software",
        "Putting thoughts into words and getting them across",
        "Knowing competitors and their specifics",
        "Finding cause and effect",
        "Employment and social guarantees",
        "Getting to the heart of a problem quickly",
        "Correct spoken and written language",
        "Figuring things out and exploring the new",
        "Belonging, higher purpose",
        "Empathy",
        "Patience",
        "Flexibility",
        "Stress resistance",
    ],
}
_DAYS = (14, 21, 28, 5, 12, 19, 26, 2, 9, 16, 23, 30)
_MONTHS = {
    "ru": ("сен",) * 3 + ("окт",) * 4 + ("ноя",) * 5,
    "en": ("Sep",) * 3 + ("Oct",) * 4 + ("Nov",) * 5,
}
WEEKS = {
    "ru": [f"{d} {m}" for d, m in zip(_DAYS, _MONTHS["ru"], strict=True)],
    "en": [f"{m} {d}" for d, m in zip(_DAYS, _MONTHS["en"], strict=True)],
}


def sample(
    qualities: int, lang: str = "ru", seed: int = 1
) -> tuple[list[str], list[TrendSeries], list[tuple[str, float | None, int]]]:
    """Weeks, trend series and versus rows for ``qualities`` qualities: each rated about
    once in four weeks (the review's rotation), one never rated."""
    rng = random.Random(seed)
    names = QUALITIES[lang][:qualities]
    series = []
    rows: list[tuple[str, float | None, int]] = []
    for i, name in enumerate(names):
        ratings: list[int | None] = [
            rng.randint(2, 5) if (week + i) % 4 == 0 or rng.random() < 0.15 else None
            for week in range(12)
        ]
        if i == 2 and qualities > 2:
            ratings = [None] * 12
        series.append(TrendSeries(name, ratings))
        rated = [r for r in ratings if r is not None]
        average = round(statistics.fmean(rated), 1) if rated else None
        rows.append((name, average, rng.choice([0, 1, 2, 3, 6, 9, 14])))
    return WEEKS[lang], series, rows
