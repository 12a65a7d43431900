"""Domain errors: services raise them, the error router turns them into a polite message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request. ``key`` is the UI string shown to the user."""

    key = "errors.generic"

    def __init__(self, key: str | None = None, **values: object) -> None:
        super().__init__(key or self.key)
        if key:
            self.key = key
        self.values = values


class NotAllowed(DomainError):
    key = "errors.not_admin"


class NotFound(DomainError):
    key = "errors.stale_button"


class ChannelUnavailable(Exception):
    """The bot cannot post to a channel (not an admin there, or no such channel)."""

    def __init__(self, channel: str, reason: str, detail: str) -> None:
        super().__init__(f"{channel}: {reason}: {detail}")
        self.channel = channel
        self.reason = reason
        self.detail = detail
