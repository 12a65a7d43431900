"""Rendering: content and user data into Telegram HTML (every value escaped), bounded to
Telegram's limits; shared by the handlers and the ledger's delivery kinds."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from bot.i18n import Translator
from bot.services.teams import Member
from content import Content, Tip
from content.models import CREDIT_KEYS


def tip_card(tip: Tip, content: Content, i18n: Translator) -> str:
    lang = i18n.code
    source = escape(content.source(tip.source).title.get(lang))
    card = i18n.t(
        "tips.card_credited",
        title=escape(tip.title.get(lang)),
        body=escape(tip.body.get(lang)),
        credit=i18n.t(CREDIT_KEYS[tip.credit], source=source),
    )
    quality = content.quality(tip.quality) if tip.quality else None
    if quality is not None:
        card += "\n" + i18n.t("tips.quality", quality=escape(quality.name.get(lang)))
    return card


def tip_title(tip: Tip, i18n: Translator) -> str:
    return escape(tip.title.get(i18n.code))


TAG = re.compile(r"<[^>]*>")

#: Telegram's limit for a message text (UTF-16 code units after entity parsing); measuring the
#: HTML source instead is conservative (tags and entities only make it longer).
TEXT_LIMIT = 4096


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def within(
    lines: list[str],
    more: Callable[[int], str],
    limit: int = TEXT_LIMIT,
    sep: str = "\n",
    hidden: int = 0,
) -> str:
    """``lines`` joined, as many as fit in ``limit``; the rest (and ``hidden`` items left out
    before) named by ``more(n)``.

    The first line (a title) is always kept; a single line longer than the limit is cut."""
    if not lines:
        return ""
    kept = [lines[0]]
    size = units(lines[0])
    dropped = 0
    for index, line in enumerate(lines[1:], start=1):
        everything = units(sep + sep.join(lines[index:]))
        if size + everything + (units(sep + more(hidden)) if hidden else 0) <= limit:
            kept.extend(lines[index:])  # the rest fits whole: no «…and N more» needed
            break
        rest = len(lines) - index
        last = rest == 1
        tail = 0 if last and not hidden else units(sep + more(rest - 1 + hidden))
        if size + units(sep + line) + tail > limit:
            dropped = rest
            break
        kept.append(line)
        size += units(sep + line)
    if dropped + hidden:
        kept.append(more(dropped + hidden))
    text = sep.join(kept)
    return text if units(text) <= limit else _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    cut = text.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", errors="ignore")
    # never leave half a tag or entity behind
    for opener, closer in (("<", ">"), ("&", ";")):
        at = cut.rfind(opener)
        if at > cut.rfind(closer):
            cut = cut[:at]
    # an element cut in two cannot be closed safely: the cut text loses its markup
    return TAG.sub("", cut) + "…"


def names_within(names: list[str], more: Callable[[int], str], limit: int) -> str:
    """A comma-separated list of names that fits ``limit`` units («А, Б, …и ещё 3»)."""
    return within(names, more, limit, sep=", ")


def full_name(first: str | None, last: str | None, i18n: Translator) -> str:
    if not first:
        return escape(i18n.t("kudos.someone"))
    return escape(f"{first} {last}" if last else first)


def member_name(member: Member | None, i18n: Translator) -> str:
    return (
        full_name(member.first_name, member.last_name, i18n)
        if member
        else escape(i18n.t("kudos.someone"))
    )


def message_link(chat_id: int | None, message_id: int | None) -> str | None:
    """https://t.me/c/... links exist for supergroups and channels (ids -100...)."""
    if chat_id is None or message_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"


#: each text about the channel, and its variant naming the channel by its title
TITLED = {
    "tips.preview": "tips.preview_titled",
    "tips.posted": "tips.posted_titled",
    "tips.queued": "tips.queued_titled",
    "tips.not_admin": "tips.not_admin_titled",
    "tips.failed": "tips.failed_titled",
}


def channel_text(
    i18n: Translator, key: str, channel: str, named: str | None, **values: object
) -> str:
    """A text about the channel, naming it by its title when known (``key`` + ``_titled``),
    else by the TIPS_CHANNEL value."""
    if named:
        return i18n.t(TITLED[key], channel_title=escape(named), **values)
    return i18n.t(key, channel=escape(channel), **values)


def explain_reason(channel: str, reason: str, i18n: Translator, title: str | None = None) -> str:
    """The admin-facing text for a refused post, in the reader's language."""
    if reason == "not_found":  # no such channel: named by the setting
        return i18n.t("tips.not_found", channel=escape(channel))
    key = "tips.not_admin" if reason == "not_admin" else "tips.failed"
    return channel_text(i18n, key, channel, title)
