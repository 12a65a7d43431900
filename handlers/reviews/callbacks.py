"""Buttons of the weekly self-review: short prefixes, Enum fields, ≤ 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Step(StrEnum):
    EVIDENCE = "ev"
    KEEP = "kp"
    NEXT = "nx"
    SKIP = "sk"
    SUBMIT = "sb"
    EDIT = "ed"
    CANCEL = "cn"
    ASK = "ak"
    SHARE = "sh"
    UNSHARE = "us"


class ReviewStep(CallbackData, prefix="rv1"):
    """A step's button on the user's own review (the review is checked to be theirs)."""

    act: Step
    review: int


class ReviewRate(CallbackData, prefix="rr1"):
    """A self-rating ``value`` 1-5 of the review's ``index``-th quality; 0: its meaning."""

    review: int
    index: int
    value: int


class RemindAct(StrEnum):
    START = "go"
    LATER = "lt"
    SKIP = "sk"


class Remind(CallbackData, prefix="rm1"):
    act: RemindAct
    week: str


class PeerAct(StrEnum):
    TOGGLE = "t"
    RATINGS = "r"
    SEND = "s"


class PeerPick(CallbackData, prefix="rp1"):
    act: PeerAct
    review: int
    user: int = 0


class FeedbackAct(StrEnum):
    ANSWER = "a"
    DECLINE = "d"


class Feedback(CallbackData, prefix="fb1"):
    act: FeedbackAct
    request: int


class Setting(StrEnum):
    DAY = "d"
    TIME = "t"
    ZONE = "z"
    QUIET = "q"
    PAUSE = "p"
    RESUME = "r"
    TEAM = "tm"
    SKIP = "s"
    UNSKIP = "u"


class MySchedule(CallbackData, prefix="ms1"):
    """A button of the personal review schedule panel (``day``: 0-6 for DAY)."""

    act: Setting
    day: int = 0


class MyZone(CallbackData, prefix="mz1"):
    zone: str


class TeamAct(StrEnum):
    OPEN = "o"
    DAY = "d"
    TIME = "t"
    HOLIDAY = "h"


class TeamReviews(CallbackData, prefix="tr2"):
    """A lead's button of the team's review panel (``value``: a weekday, or a week offset
    from the current one for HOLIDAY)."""

    team_id: int
    act: TeamAct
    value: int = 0


class FeedbackKudos(CallbackData, prefix="fk1"):
    """The writer of a feedback makes it a public kudos: ``quality`` -1 asks which quality,
    else the index of the quality offered."""

    request: int
    quality: int = -1


class HistoryOpen(CallbackData, prefix="rh1"):
    review: int
