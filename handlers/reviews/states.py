"""The self-review's conversation flows (persisted: a restart resumes them)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ReviewFlow(StatesGroup):
    results = State()
    ratings = State()
    wish = State()
    plan = State()


class ScheduleFlow(StatesGroup):
    time = State()
    zone = State()
    quiet = State()
    pause = State()


class TeamReviewTime(StatesGroup):
    time = State()


class FeedbackFlow(StatesGroup):
    answer = State()
