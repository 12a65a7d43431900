"""Structured logging (text or JSON lines) that never prints the bot token.

``install_redaction(token)`` runs right after the settings are loaded, before anything else
can fail: besides the log filter, it wraps ``sys.stdout`` and ``sys.stderr`` and replaces
``sys.excepthook`` (and ``threading.excepthook``), so that no traceback, warning or print can
show the token either, whatever prints it (an aiohttp error carries the request URL, which
holds the token).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

MASK = "***"


class Redactor:
    """Replaces the token and its secret half (the part after the colon) in text."""

    def __init__(self, token: str) -> None:
        secret = token.split(":", 1)[-1]
        # the whole token first, so that it is masked as one
        self.needles = tuple(n for n in (token, secret) if len(n) >= 8)

    def __call__(self, text: str) -> str:
        for needle in self.needles:
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    def found_in(self, text: str) -> bool:
        return any(n in text for n in self.needles)


class RedactToken(logging.Filter):
    """Replace the token (and its secret half) wherever it would appear in a record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._redact = Redactor(token)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._redact.found_in(message):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._redact.found_in(text):
                record.exc_info, record.exc_text = None, self._redact(text)
        elif record.exc_text and self._redact.found_in(record.exc_text):
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info and self._redact.found_in(record.stack_info):
            record.stack_info = self._redact(record.stack_info)
        return True


class RedactingStream:
    """A text stream that masks the token in everything written through it."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self._stream = stream
        self._redact = redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> object:  # fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)


def install_redaction(token: str) -> Redactor:
    """Mask the token in stdout, stderr and every uncaught exception from now on."""
    redact = Redactor(token)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream, redact))

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        sys.stderr.write(redact(text))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    return redact


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
    # alembic lists its plugins at INFO when imported: noise before a one-line refusal
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
