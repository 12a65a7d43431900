"""The self-review's ledger rows as Bot API calls: reminders, follow-ups, snoozed
reminders, feedback requests and answers. Rendered when sent, from the current state (a
reminder for a week already reviewed or skipped is not sent), in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiogram.methods import SendMessage
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import Translations, Translator
from bot.services.deliveries import BaseKind, DeliveryKind
from bot.services.reviews import (
    KIND_ANSWER,
    KIND_ASK,
    KIND_DIGEST,
    KIND_FOLLOW,
    KIND_REMIND,
    KIND_SNOOZE,
    ReviewsService,
    zone,
)
from bot.services.teams import TeamsService
from bot.services.users import UsersService
from bot.telegram.render import within
from handlers.reviews import keyboards
from handlers.reviews.render import short, summary, week_label


class _Personal(BaseKind):
    def __init__(self, reviews: ReviewsService, translations: Translations) -> None:
        self._reviews = reviews
        self._translations = translations

    async def _i18n(self, user_id: int) -> Translator:
        row = await self._reviews.schedule(user_id)
        return self._translations.for_language(row.language_code if row else None)

    async def on_unreachable(self, conn: AsyncConnection, row: Any) -> None:
        await UsersService.mark_blocked(conn, row.chat_id, row.due_at)


class Reminder(_Personal):
    """The weekly reminder (also its follow-up and a snoozed one)."""

    def __init__(self, reviews: ReviewsService, translations: Translations, key: str) -> None:
        super().__init__(reviews, translations)
        self._key = key

    async def render(self, row: Any) -> SendMessage | None:
        week = str(row.payload["week"])
        follow = self._key == "review.follow"
        if self._reviews.clock.now() - row.due_at > self._reviews.grace:
            return None  # the bot was down past the grace window: too late to remind
        if not await self._reviews.still_wanted(row.chat_id, week, follow=follow):
            return None
        i18n = await self._i18n(row.chat_id)
        return SendMessage(
            chat_id=row.chat_id,
            text=i18n.t(self._key),
            reply_markup=keyboards.reminder(week, i18n),
        )


class FeedbackAsk(_Personal):
    """A colleague is asked for feedback on a review."""

    def __init__(
        self, reviews: ReviewsService, teams: TeamsService, translations: Translations
    ) -> None:
        super().__init__(reviews, translations)
        self._teams = teams

    async def render(self, row: Any) -> SendMessage | None:
        found = await self._reviews.feedback(int(row.payload["request"]))
        if found is None or found[0].state != "pending":
            return None
        request, review = found
        i18n = await self._i18n(row.chat_id)
        author = await self._reviews.author_name(review)
        name = escape(author or i18n.t("review.someone"))
        qualities = await self._reviews.qualities(review.team_id)
        body = summary(review, qualities, [], i18n, ratings=request.show_ratings, limit=3000)
        rules = await self._reviews.rules(row.chat_id)
        tz = rules[1].zone if rules else zone("UTC")
        until = request.expires_at.astimezone(tz)
        text = i18n.t(
            "review.ask_text",
            name=name,
            week=week_label(review.week),
            summary=body,
            until=f"{until:%d.%m %H:%M}",
        )
        return SendMessage(
            chat_id=row.chat_id, text=text, reply_markup=keyboards.feedback(request.id, i18n)
        )


class FeedbackAnswer(_Personal):
    """The author gets a colleague's answer (or their refusal)."""

    async def render(self, row: Any) -> SendMessage | None:
        found = await self._reviews.feedback(int(row.payload["request"]))
        if found is None:
            return None
        request, review = found
        i18n = await self._i18n(row.chat_id)
        peer = await self._reviews.person_name(request.peer_id)
        name = escape(peer or i18n.t("review.someone"))
        week = week_label(review.week)
        if request.answer:
            text = i18n.t(
                "review.answer_text", name=name, week=week, text=escape(short(request.answer, 3500))
            )
        else:
            text = i18n.t("review.declined_text", name=name, week=week)
        return SendMessage(chat_id=row.chat_id, text=text)


#: names listed in one line of the digest at most (the rest: «…and N more»)
DIGEST_NAMES = 25


def _names(ids: list[int], members: dict[int, Any], i18n: Translator) -> str:
    names = [
        str(escape(f"{m.first_name or ''} {m.last_name or ''}".strip() or i18n.t("review.someone")))
        for m in (members[u] for u in ids[:DIGEST_NAMES] if u in members)
    ]
    if len(ids) > DIGEST_NAMES:
        names.append(i18n.t("common.and_more", n=len(ids) - DIGEST_NAMES))
    return ", ".join(names)


def _per_quality(
    title: str,
    shown: dict[str, str],
    order: Mapping[str, float],
    label: Callable[[str], str],
    i18n: Translator,
) -> list[str]:
    """A titled list «quality: value», highest first (nothing when there is nothing)."""
    if not shown:
        return []
    ranked = sorted(shown, key=lambda q: -order[q])
    return [i18n.t(title)] + [
        i18n.t("review.digest_line", name=label(q), value=shown[q]) for q in ranked
    ]


class LeadDigestKind(_Personal):
    """A lead's weekly digest: who did their review, who skipped twice, the average
    self-ratings and the kudos per quality, who nobody thanked for 30 days, and the reviews
    shared with the lead (only those)."""

    def __init__(
        self, reviews: ReviewsService, teams: TeamsService, translations: Translations
    ) -> None:
        super().__init__(reviews, translations)
        self._teams = teams

    async def render(self, row: Any) -> SendMessage | None:
        team = await self._teams.by_id(int(row.payload["team"]))
        digest = await self._reviews.lead_digest(team, str(row.payload["week"]))
        i18n = await self._i18n(row.chat_id)
        qualities = await self._reviews.qualities(team.id)
        members = {m.user_id: m for m in digest.members}

        def label(quality_id: str) -> str:
            found = qualities.get(quality_id)
            return str(escape(found.button(i18n.code) if found else quality_id))

        lines = [
            i18n.t("review.digest_title", week=week_label(digest.week), title=escape(team.title))
        ]
        if digest.submitted:
            lines.append(
                i18n.t(
                    "review.digest_submitted",
                    n=len(digest.submitted),
                    total=len(digest.members),
                    names=_names(digest.submitted, members, i18n),
                )
            )
        else:
            lines.append(i18n.t("review.digest_nobody"))
        if digest.skipped_twice:
            lines.append(
                i18n.t("review.digest_skipped", names=_names(digest.skipped_twice, members, i18n))
            )
        averages = {q: f"{v:.1f}" for q, v in digest.averages.items()}
        lines += _per_quality("review.digest_averages", averages, digest.averages, label, i18n)
        kudos = {q: str(n) for q, n in digest.kudos.items()}
        lines += _per_quality("review.digest_kudos", kudos, digest.kudos, label, i18n) or [
            i18n.t("review.digest_no_kudos")
        ]
        if digest.unthanked:
            lines.append(
                i18n.t("review.digest_unthanked", names=_names(digest.unthanked, members, i18n))
            )
        if digest.shared:
            lines.append(i18n.t("review.digest_shared"))
            for review in digest.shared:
                author = members.get(review.user_id)
                name = (
                    _names([review.user_id], members, i18n) if author else i18n.t("review.someone")
                )
                lines.append(
                    i18n.t(
                        "review.digest_line",
                        name=name,
                        value=escape(short(review.results or "", 300)),
                    )
                )
        text = within(lines, lambda n: i18n.t("common.and_more", n=n))
        return SendMessage(chat_id=row.chat_id, text=text)


def review_kinds(
    *, reviews: ReviewsService, teams: TeamsService, translations: Translations
) -> dict[str, DeliveryKind]:
    return {
        KIND_REMIND: Reminder(reviews, translations, "review.reminder"),
        KIND_SNOOZE: Reminder(reviews, translations, "review.reminder"),
        KIND_FOLLOW: Reminder(reviews, translations, "review.follow"),
        KIND_ASK: FeedbackAsk(reviews, teams, translations),
        KIND_ANSWER: FeedbackAnswer(reviews, translations),
        KIND_DIGEST: LeadDigestKind(reviews, teams, translations),
    }
