"""The queue of updates waiting for the bot, and the change signal everyone waits on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram.client.default import Default
from aiogram.types import Update

ALL_UPDATE_TYPES: tuple[str, ...] = tuple(
    name for name in Update.model_fields if name != "update_id"
)
# Telegram's default when allowed_updates was never given (or given as an empty list)
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_ALLOWED = frozenset(ALL_UPDATE_TYPES) - NOT_DELIVERED_BY_DEFAULT


class ChangeSignal:
    """Wakes every waiter whenever something changed (an API call, a new update, ...)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float) -> bool:
        """Wait for the next change; False if ``timeout`` passed first."""
        if timeout <= 0:
            return False
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: dict[str, Any]


def to_datetime(stamp: int) -> datetime:
    """aiogram types declare dates as datetimes; they serialize back to Unix time."""
    return datetime.fromtimestamp(stamp, tz=UTC)


_UNSET_MARKER = "\x00fakebot-unset\x00"


def _unset_to_marker(value: Any) -> Any:
    if isinstance(value, Default):
        return _UNSET_MARKER
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _strip_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_markers(v) for k, v in value.items() if v != _UNSET_MARKER}
    if isinstance(value, list):
        return [_strip_markers(v) for v in value if v != _UNSET_MARKER]
    return value


def dump(obj: Any) -> Any:
    """Serialize an aiogram object exactly as the Bot API would send it.

    Objects parsed from the bot's requests may still hold aiogram's ``Default`` sentinels
    (e.g. an unset parse_mode); those fields are left out, as if they had not been sent.
    """
    data = obj.model_dump(mode="json", by_alias=True, exclude_none=True, fallback=_unset_to_marker)
    return _strip_markers(data)


class UpdateQueue:
    def __init__(self, signal: ChangeSignal, first_update_id: int = 100_000_001) -> None:
        self._signal = signal
        self._next_id = first_update_id
        self.pending: list[PendingUpdate] = []
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.allowed_explicit: list[str] | None = None
        self.history: list[PendingUpdate] = []

    def push(self, kind: str, obj: Any) -> PendingUpdate:
        update = Update.model_validate({"update_id": self._next_id, kind: obj})
        pending = PendingUpdate(self._next_id, kind, dump(update))
        self._next_id += 1
        self.pending.append(pending)
        self.history.append(pending)
        self._signal.notify()
        return pending

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Persist ``allowed_updates`` like Telegram (None keeps the previous setting)."""
        if allowed is None:
            return
        known = [name for name in allowed if name in ALL_UPDATE_TYPES]
        self.allowed_explicit = known
        self.allowed = frozenset(known) if known else DEFAULT_ALLOWED

    def confirm_below(self, offset: int) -> None:
        self.pending = [u for u in self.pending if u.update_id >= offset]

    def keep_last(self, count: int) -> None:
        self.pending = self.pending[-count:] if count > 0 else []

    def drop_all(self) -> None:
        self.pending.clear()

    def remove(self, update: PendingUpdate) -> None:
        if update in self.pending:
            self.pending.remove(update)

    def take(self, limit: int) -> list[PendingUpdate]:
        """The first ``limit`` deliverable updates; updates of types not allowed are dropped."""
        kept: list[PendingUpdate] = []
        selected: list[PendingUpdate] = []
        for update in self.pending:
            if update.kind not in self.allowed:
                continue
            kept.append(update)
            if len(selected) < limit:
                selected.append(update)
        self.pending = kept
        return selected
