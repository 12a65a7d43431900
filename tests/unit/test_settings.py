"""load_settings(): one readable line per bad variable, sane defaults, the token kept secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings, SettingsError, load_database_settings, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_HALF = TOKEN.split(":", 1)[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable of the bot from the real environment, and no .env file in the cwd."""
    names = {name.upper() for name in Settings.model_fields}
    for key in list(os.environ):
        if key.upper() in names:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def settings_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_token_explains_botfather() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("BOT_TOKEN is not set")
    assert "@BotFather" in message
    assert "/newbot" in message
    assert ".env" in message
    assert "\n" not in message


def test_missing_token_wins_over_other_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="@BotFather"):
        load_settings()


def test_token_read_from_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nTIPS_CHANNEL=@support_tips\n")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.tips_channel == "@support_tips"


@pytest.mark.parametrize("token", ["not-a-token", "987654321", "12345:short", f"{TOKEN} extra"])
def test_malformed_token(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("BOT_TOKEN: ")
    assert "malformed" in message
    assert token not in message  # a (nearly right) token is not echoed to the console
    assert SECRET_HALF not in message


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("TIPS_SCHEDULE", "0 10 * *", "expected 5 fields"),
        ("TIPS_SCHEDULE", "0 10 * * mon-fri *", "got 6"),
        ("TIPS_SCHEDULE", "0 25 * * mon-fri", "25"),
        ("TIPS_SCHEDULE", "61 10 * * *", "61"),
        ("TIPS_SCHEDULE", "0 10 * * funday", "funday"),
        ("TIPS_CHANNEL", "support_tips", "@channelusername"),
        ("TIPS_CHANNEL", "https://t.me/support_tips", "@channelusername"),
        ("ADMIN_IDS", "1, two", "numeric Telegram user ids"),
        ("ADMIN_IDS", "@boss", "numeric Telegram user ids"),
        ("TELEGRAM_API_URL", "localhost:8081", "http(s)://"),
        ("TELEGRAM_API_URL", "ftp://api.example.org", "http(s)://"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    message = settings_error(monkeypatch, **{variable: value})
    assert message.startswith(f"{variable}: ")
    assert expected in message
    assert "Value error" not in message
    assert TOKEN not in message


def test_admin_ids_commas_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "1, 2 3")
    assert load_settings().admin_ids == frozenset({1, 2, 3})


def test_admin_ids_single_and_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "42")
    assert load_settings().admin_ids == frozenset({42})
    monkeypatch.setenv("ADMIN_IDS", "")
    assert load_settings().admin_ids == frozenset()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/spasibot.db"
    assert settings.sqlite_path == Path("data/spasibot.db")
    assert settings.default_timezone == "Europe/Moscow"
    assert settings.default_locale == "ru"
    assert settings.tips_schedule == "0 10 * * mon-fri"
    assert settings.tips_channel is None
    assert settings.telegram_api_url is None
    assert settings.admin_ids == frozenset()


def test_keyword_overrides_and_cleanup() -> None:
    settings = load_settings(
        bot_token=TOKEN,
        tips_channel=" -1001234567890 ",
        telegram_api_url="http://localhost:8081/",
        default_locale="en",
    )
    assert settings.tips_channel == "-1001234567890"
    assert settings.telegram_api_url == "http://localhost:8081"
    assert settings.default_locale == "en"


def test_empty_optional_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TIPS_CHANNEL", "")
    monkeypatch.setenv("TELEGRAM_API_URL", "  ")
    settings = load_settings()
    assert settings.tips_channel is None
    assert settings.telegram_api_url is None


def test_default_schedule_is_weekdays_at_ten() -> None:
    settings = load_settings(bot_token=TOKEN)
    trigger = CronTrigger.from_crontab(settings.tips_schedule)
    fields = {f.name: str(f) for f in trigger.fields}
    assert fields["hour"] == "10"
    assert fields["minute"] == "0"
    assert fields["day_of_week"] == "mon-fri"


def test_token_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", "hook_secret_value_123")
    settings = load_settings()
    shown = f"{settings} {settings!r} {settings.model_dump()} {settings.bot_token}"
    assert SECRET_HALF not in shown
    assert "hook_secret_value_123" not in shown
    assert settings.bot_token.get_secret_value() == TOKEN


# --- database URLs and webhook rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql+asyncpg://u:p@db:5432/s", "postgresql+asyncpg://u:p@db:5432/s"),
        ("postgresql://u:p@db/s", "postgresql+asyncpg://u:p@db/s"),
        ("postgres://u:p@db/s", "postgresql+asyncpg://u:p@db/s"),
    ],
)
def test_database_url_schemes(monkeypatch: pytest.MonkeyPatch, given: str, used: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == used
    assert load_database_settings().database_url == used


@pytest.mark.parametrize(
    "url",
    ["mysql://u:hunter2@db/s", "sqlite+pysqlite:///x.db", "postgresql+psycopg2://u:hunter2@d/s"],
)
def test_unsupported_database_scheme(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    message = settings_error(monkeypatch, DATABASE_URL=url)
    assert message.startswith("DATABASE_URL: unsupported scheme")
    assert url.split("://")[0] in message
    assert "hunter2" not in message  # a password in the URL is not echoed
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError, match=r"^DATABASE_URL: unsupported scheme"):
        load_database_settings()  # python -m bot migrate says the same


def test_database_url_that_is_not_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, DATABASE_URL="data/spasibot.db")
    assert message.startswith("DATABASE_URL: expected a URL")


def test_missing_token_wins_over_a_bad_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError, match="@BotFather"):
        load_settings()


@pytest.mark.parametrize("url", ["http://bot.example.com/telegram", "http://10.0.0.5:8080/hook"])
def test_webhook_url_must_be_https(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    message = settings_error(monkeypatch, WEBHOOK_URL=url, WEBHOOK_SECRET="s3cret")
    assert message.startswith("WEBHOOK_URL: ")
    assert "https://" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.example.com/telegram",
        "http://127.0.0.1:8443/telegram",
        "http://localhost:8080/hook",
        "http://[::1]:8080/hook",
    ],
)
def test_webhook_url_https_or_loopback(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", url)
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret")
    assert load_settings().webhook_url == url


def test_webhook_url_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, WEBHOOK_URL="https://bot.example.com/telegram")
    assert message.startswith("WEBHOOK_SECRET: required when WEBHOOK_URL is set")


def test_url_with_a_bad_port(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(monkeypatch, TELEGRAM_API_URL="http://127.0.0.1:99999")
    assert message.startswith("TELEGRAM_API_URL: not a valid URL")


def test_bot_id_is_the_public_part_of_the_token() -> None:
    assert load_settings(bot_token=TOKEN).bot_id == 123456789
