"""Structured logging (text or JSON lines) that never prints the bot token."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class RedactToken(logging.Filter):
    """Replace the token (and its secret half) wherever it would appear in a record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        secret = token.split(":", 1)[-1]
        self._needles = [n for n in (token, secret) if len(n) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(n in message for n in self._needles):
            for needle in self._needles:
                message = message.replace(needle, "***")
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(n in text for n in self._needles):
                for needle in self._needles:
                    text = text.replace(needle, "***")
                record.exc_info, record.exc_text = None, text
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, fmt: str, token: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiogram.event").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
