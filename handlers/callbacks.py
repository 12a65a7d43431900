"""Callback data of every button: short versioned prefixes, Enum fields, ≤ 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Rating(StrEnum):
    USEFUL = "u"
    NOT_FOR_ME = "n"


class TipMore(CallbackData, prefix="tm1"):
    """«Another tip» under a tip in private; ``after`` is the tip shown (not repeated next)."""

    after: str


class TipRate(CallbackData, prefix="tr1"):
    """A reader's rating of a channel post; the post is the message the button is under."""

    rating: Rating


class TeamJoin(CallbackData, prefix="tj1"):
    team_id: int


class TeamPick(CallbackData, prefix="tp1"):
    team_id: int


class PortraitView(CallbackData, prefix="pv1"):
    """A portrait screen: ``category`` empty for the list of categories."""

    team_id: int
    category: str = ""


class PortraitRead(CallbackData, prefix="pw1"):
    """A section of the read-only portrait members see: ``section`` a category id, ``own``
    for the team's own skills, empty for the list of sections."""

    team_id: int
    section: str = ""


class PortraitToggle(CallbackData, prefix="pq1"):
    team_id: int
    quality: str


class PortraitAdd(CallbackData, prefix="pa1"):
    team_id: int


class PortraitRemove(CallbackData, prefix="pr1"):
    team_id: int
    quality: str


class SettingsAction(StrEnum):
    TIMEZONE = "tz"
    BUDGET_DOWN = "b-"
    BUDGET_UP = "b+"
    BUDGET_SHOW = "b="  # the value between ➖ and ➕: shows it, changes nothing
    ANNOUNCE = "an"
    BIRTHDAYS = "bd"
    DIGEST = "dg"


class TeamSettings(CallbackData, prefix="ts1"):
    team_id: int
    action: SettingsAction


class KudosQuality(CallbackData, prefix="kq1"):
    """A quality for a kudos draft (``draft`` identifies it in the giver's own state)."""

    draft: str
    quality: str


class KudosDraftCancel(CallbackData, prefix="kc1"):
    draft: str


class KudosUndo(CallbackData, prefix="ku1"):
    kudos_id: int


class KudosFix(CallbackData, prefix="kf1"):
    kudos_id: int


class KudosRequality(CallbackData, prefix="kr1"):
    kudos_id: int
    quality: str


class KudosRequalityPage(CallbackData, prefix="kx1"):
    """Another page of the qualities offered to change a kudos' quality."""

    kudos_id: int
    page: int


class KudosFixBack(CallbackData, prefix="kb1"):
    """Leave the quality as it is: the undo and fix buttons come back."""

    kudos_id: int


class KudosReceiver(CallbackData, prefix="kt1"):
    """The colleague picked in the private /kudos flow."""

    user_id: int


class KudosConfirm(CallbackData, prefix="ks1"):
    send: bool


class MinePage(CallbackData, prefix="mp1"):
    team_id: int
    page: int


class ForgetMe(CallbackData, prefix="fm1"):
    confirm: bool


class KudosPage(CallbackData, prefix="kp1"):
    """Another page of the quality buttons of a kudos draft (``draft`` as in KudosQuality)."""

    draft: str
    page: int


class TimezoneChoice(CallbackData, prefix="tz1"):
    """A zone offered in the private time-zone question (the team is the flow's)."""

    zone: str
