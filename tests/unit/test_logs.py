"""Logging never prints the bot token; JSON lines are valid JSON."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.logs import (
    JsonFormatter,
    RedactingStream,
    Redactor,
    RedactToken,
    install_redaction,
    setup_logging,
)

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


def test_redacting_stream_masks_whatever_is_written() -> None:
    out = io.StringIO()
    stream = RedactingStream(out, Redactor(TOKEN))
    print(f"url /bot{TOKEN}/getMe and {SECRET_HALF}", file=stream)  # type: ignore[arg-type]
    stream.writelines(["a ", f"{TOKEN}\n"])
    assert out.getvalue() == "url /bot***/getMe and ***\na ***\n"


def test_install_redaction_covers_prints_and_uncaught_exceptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_redaction(TOKEN)
    install_redaction(TOKEN)  # twice: wrapped once
    print(f"token {TOKEN}")
    try:
        raise ConnectionError(f"InvalidUrlClientError: http://127.0.0.1:99999/bot{TOKEN}/getMe")
    except ConnectionError as error:
        sys.excepthook(type(error), error, error.__traceback__)

    def crash() -> None:
        raise RuntimeError(f"in a thread {SECRET_HALF}")

    thread = threading.Thread(target=crash)
    thread.start()
    thread.join()
    assert out.getvalue() == "token ***\n"
    text = err.getvalue()
    assert "Traceback" in text
    assert "ConnectionError: InvalidUrlClientError: http://127.0.0.1:99999/bot***/getMe" in text
    assert "RuntimeError: in a thread ***" in text
    assert SECRET_HALF not in text


def test_setup_logging_quiets_alembic_plugin_list() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        setup_logging("INFO", "json", TOKEN)
        assert not logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO)
        assert logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
