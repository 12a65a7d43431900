"""Typed settings from the environment and ``.env`` (loaded once, in ``main()``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
CHANNEL_RE = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{4,31}|-?\d{1,20})$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
BOTFATHER_HELP = (
    "BOT_TOKEN is not set. Open @BotFather in Telegram, send /newbot, follow the prompts, "
    "and put the token it gives you into .env as BOT_TOKEN=123456:ABC... "
    "(see .env.example and README.md)."
)


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming the variable."""


def validate_cron(value: str, timezone: str = "UTC") -> CronTrigger:
    """Parse a 5-field crontab expression (minute hour day month weekday)."""
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day month weekday), got {len(fields)}: {value!r}"
        )
    try:
        return CronTrigger.from_crontab(value, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {value!r}: {exc}") from None


class DatabaseSettings(BaseSettings):
    """The part of the settings that ``python -m bot migrate`` needs (no token)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite+aiosqlite:///data/spasibot.db"


class Settings(DatabaseSettings):
    """Every setting of the bot; see .env.example for documentation and defaults."""

    bot_token: SecretStr
    telegram_api_url: str | None = None
    default_timezone: str = "Europe/Moscow"
    default_locale: Literal["ru", "en"] = "ru"
    tips_channel: str | None = None
    tips_schedule: str = "0 10 * * mon-fri"
    tips_grace_minutes: int = Field(default=180, ge=0, le=7 * 24 * 60)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    updates_concurrency: int = Field(default=64, ge=1, le=10_000)
    # Telegram's limits and the delivery ledger (issue 6)
    rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    rate_per_chat_per_second: float = Field(default=1.0, gt=0, le=100)
    rate_per_chat_burst: int = Field(default=3, ge=1, le=100)
    rate_group_per_minute: int = Field(default=20, ge=1, le=1000)
    delivery_concurrency: int = Field(default=16, ge=1, le=1000)
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_lease_seconds: int = Field(default=60, ge=5, le=3600)
    delivery_keep_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_missing(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError(BOTFATHER_HELP)
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("malformed token: expected the form 123456789:AA... from @BotFather")
        return value

    @field_validator("telegram_api_url", "tips_channel", "webhook_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"expected an http(s):// URL, got {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_RE.match(value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - expected")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Moscow)"
            ) from None
        return value

    @field_validator("tips_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_RE.match(value.strip()):
            raise ValueError(f"expected @channelusername or a numeric chat id, got {value!r}")
        return value.strip() if value else value

    @field_validator("tips_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        validate_cron(value)
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    f"expected comma-separated numeric Telegram user ids, got {value!r}"
                ) from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the store is SQLite on disk."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix) :].split("?")[0]
            if rest and rest != ":memory:":
                return Path(rest)
        return None


def load_settings(**overrides: object) -> Settings:
    """Build the settings or raise :class:`SettingsError` with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        if name == "BOT_TOKEN" and (first["type"] == "missing" or BOTFATHER_HELP in first["msg"]):
            raise SettingsError(BOTFATHER_HELP) from None
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
