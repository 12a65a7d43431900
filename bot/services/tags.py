"""#tags of the portrait: the tag to type for each quality, and the close ones for a tag that
names none.

A quality's tag is derived from its button label or name in the reader's language, else from
its id, and is kept only when ``match_quality`` reads it back as that quality alone (so every
listed tag works as listed). Preference: the whole label or name joined by ``_`` when it is
short (``#работа_в_команде``, ``#грамотная_речь``), else the first word of the name that names
it alone (``#усидчивость``), else the id (``#higher_purpose``, ``#c_3``).
"""

from __future__ import annotations

import difflib
import re

from bot.services.kudos import match_quality, normalized
from bot.services.teams import PortraitQuality

#: what /kudos reads as a tag (handlers.kudos.shared.TAG): 3-40 word characters or hyphens
TAG_FORM = re.compile(r"[\w-]{3,40}")
#: a whole name is offered as a tag up to this length; longer names offer one of their words
WHOLE_NAME_MAX = 24
#: close tags shown for an unknown one
CLOSE_SHOWN = 3
#: difflib's similarity (0-1) a key must reach to count as close
CLOSE_CUTOFF = 0.6


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalized(text))


def _candidates(quality: PortraitQuality, locale: str) -> list[str]:
    words = _words(quality.name(locale))
    found = [
        "_".join(whole)
        for whole in (_words(quality.button(locale)), words)
        if whole and len("_".join(whole)) <= WHOLE_NAME_MAX
    ]
    found += words
    found.append(quality.id)
    return found


def tag_for(quality: PortraitQuality, qualities: list[PortraitQuality], locale: str) -> str | None:
    """The tag (without ``#``) that picks ``quality`` among ``qualities``, in ``locale``
    where possible; None if none does (never for a catalogue quality or a custom skill)."""
    for candidate in _candidates(quality, locale):
        if TAG_FORM.fullmatch(candidate) and match_quality(candidate, qualities) is quality:
            return candidate
    return None


def _keys(quality: PortraitQuality) -> set[str]:
    """What a tag may be a misspelling of: names, their words, the id, both languages."""
    keys = {normalized(quality.id).replace(" ", "_")}
    for name in (quality.name_ru, quality.name_en, quality.label_ru, quality.label_en):
        words = _words(name)
        keys.update(words)
        if words:
            keys.add("_".join(words))
    return {k for k in keys if len(k) >= 3}


def close_qualities(
    tag: str, qualities: list[PortraitQuality], limit: int = CLOSE_SHOWN
) -> list[PortraitQuality]:
    """Up to ``limit`` qualities whose name, a word of it or its id is closest to ``tag``
    (difflib's ratio, at least CLOSE_CUTOFF), the closest first."""
    wanted = normalized(tag.lstrip("#")).replace(" ", "_")
    scored = []
    for index, quality in enumerate(qualities):
        best = max(
            (difflib.SequenceMatcher(None, wanted, key).ratio() for key in _keys(quality)),
            default=0.0,
        )
        if best >= CLOSE_CUTOFF:
            scored.append((-best, index, quality))
    return [quality for _, _, quality in sorted(scored, key=lambda s: (s[0], s[1]))[:limit]]
