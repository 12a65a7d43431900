"""Logging never prints the bot token; JSON lines are valid JSON."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, RedactToken

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_HALF = TOKEN.split(":", 1)[1]


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(TOKEN))
    logger = logging.getLogger("spasibot.test.redact")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream, handler
    logger.removeHandler(handler)
    logger.propagate = True


def test_token_in_message(capture: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, _ = capture
    logger.info(f"GET https://api.telegram.org/bot{TOKEN}/getMe")
    out = stream.getvalue()
    assert "https://api.telegram.org/bot***/getMe" in out
    assert SECRET_HALF not in out


def test_token_in_args(capture: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, _ = capture
    logger.warning("request to %s failed after %d tries", f"/bot{TOKEN}/sendMessage", 3)
    out = stream.getvalue()
    assert "request to /bot***/sendMessage failed after 3 tries" in out
    assert SECRET_HALF not in out


def test_secret_half_alone(capture: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, _ = capture
    logger.error("secret=%s", SECRET_HALF)
    assert stream.getvalue().strip().endswith("secret=***")


def test_token_in_exception(capture: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, _ = capture
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getUpdates")
    except ConnectionError:
        logger.exception("polling failed")
    out = stream.getvalue()
    assert "polling failed" in out
    assert "Traceback" in out
    assert "ConnectionError: cannot reach https://api.telegram.org/bot***/getUpdates" in out
    assert SECRET_HALF not in out


def test_other_records_untouched(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = capture
    logger.info("posted tip %s to %s", "results_speak", "@support_tips")
    assert "posted tip results_speak to @support_tips" in stream.getvalue()
    assert "***" not in stream.getvalue()


def test_json_lines(capture: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, handler = capture
    handler.setFormatter(JsonFormatter())
    logger.info('привет %s "quoted"\nsecond line', "мир")
    try:
        raise ValueError(f"token {TOKEN}")
    except ValueError:
        logger.error("failed", exc_info=True)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # one record = one line, newlines escaped
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO"
    assert first["logger"] == "spasibot.test.redact"
    assert first["message"] == 'привет мир "quoted"\nsecond line'
    assert first["ts"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert "ValueError: token ***" in second["exception"]
    assert SECRET_HALF not in stream.getvalue()
