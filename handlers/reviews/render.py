"""The self-review as the user reads it: every value escaped, every text within Telegram's
limits (results and notes are shortened to fit, never refused by Telegram)."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

from bot.i18n import Translator
from bot.services.teams import PortraitQuality
from storage.repo.reviews import EvidenceRow, ReviewRow

#: the summary leaves room for the text around it (a feedback request, a history page)
SUMMARY_LIMIT = 3000
STARS = ("", "★☆☆☆☆", "★★☆☆☆", "★★★☆☆", "★★★★☆", "★★★★★")


def week_label(week: str) -> str:
    """«30.11–06.12» for "2026-W49" (Monday to Sunday)."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sunday = monday + timedelta(days=6)
    return f"{monday:%d.%m}–{sunday:%d.%m}"


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rating_line(quality: PortraitQuality | None, value: int | None, i18n: Translator) -> Markup:
    name = quality.button(i18n.code) if quality else "?"
    stars = STARS[value] if value else "—"
    return Markup("{}: {} {}").format(name, stars, value or "")


def summary(
    review: ReviewRow,
    qualities: dict[str, PortraitQuality],
    evidence: list[EvidenceRow],
    i18n: Translator,
    *,
    ratings: bool = True,
    limit: int = SUMMARY_LIMIT,
) -> Markup:
    """The review in a few lines; the results (the longest part) are shortened to fit."""
    tail: list[Markup] = []
    attached = [e for e in evidence if e.attached]
    if attached:
        tail.append(Markup(i18n.t("review.summary_evidence")))
        tail.extend(Markup("• {}").format(short(e.text, 150)) for e in attached[:10])
    if ratings and review.ratings:
        tail.append(Markup(i18n.t("review.summary_ratings")))
        tail.extend(
            rating_line(qualities.get(q), review.ratings.get(q), i18n) for q in review.qualities
        )
    if review.wish:
        tail.append(Markup(i18n.t("review.summary_wish", text=escape(review.wish))))
    if review.plan:
        tail.append(Markup(i18n.t("review.summary_plan", text=escape(review.plan))))
    title = Markup(i18n.t("review.summary_title", week=week_label(review.week)))
    rest = Markup("\n").join(tail)
    room = max(200, limit - len(title) - len(rest) - 40)
    results = Markup(
        i18n.t("review.summary_results", text=escape(short(review.results or "", room)))
    )
    parts = [title, results] + ([rest] if tail else [])
    return Markup("\n\n").join(parts)
