"""Conversation flows: one StatesGroup each; every exit clears the state."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AddSkill(StatesGroup):
    name = State()
    meaning = State()


class SetTimezone(StatesGroup):
    name = State()


class GiveKudos(StatesGroup):
    receiver = State()
    quality = State()
    reason = State()
    confirm = State()
