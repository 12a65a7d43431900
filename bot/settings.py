"""Typed settings from the environment and ``.env`` (loaded once, in ``main()``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
CHANNEL_RE = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{4,31}|-?\d{1,20})$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
BOTFATHER_HELP = (
    "BOT_TOKEN is not set. Open @BotFather in Telegram, send /newbot, follow the prompts, "
    "and put the token it gives you into .env as BOT_TOKEN=123456:ABC... "
    "(see .env.example and README.md)."
)

#: the database drivers the bot ships with, and the plain schemes rewritten to them
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
DATABASE_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
#: hosts a webhook may be served from over plain http (tests, a proxy on the same machine)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        value = value.strip()
        scheme, sep, rest = value.partition("://")
        scheme = scheme.lower()
        if not sep:
            raise ValueError(
                "expected a URL such as sqlite+aiosqlite:///data/spasibot.db or "
                "postgresql+asyncpg://user:password@host:5432/spasibot"
            )
        scheme = DATABASE_ALIASES.get(scheme, scheme)
        if scheme not in DATABASE_SCHEMES:
            # the scheme only: the rest may hold a password
            raise ValueError(
                f"unsupported scheme {value.partition('://')[0]!r}: use sqlite+aiosqlite:///"
                "path.db or postgresql+asyncpg://user:password@host:5432/db"
            )
        return f"{scheme}://{rest}"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the store is SQLite on disk."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix) :].split("?")[0]
            if rest and rest != ":memory:":
                return Path(rest)
        return None


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
    review_grace_hours: int = Field(default=12, ge=0, le=7 * 24)
    review_qualities_per_week: int = Field(default=4, ge=1, le=16)

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
        if value is not None:
            try:
                urlsplit(value).port  # noqa: B018 (raises for a port out of range)
            except ValueError:
                raise ValueError(f"not a valid URL (bad port?): {value!r}") from None
        return value.rstrip("/") if value else value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        plain = value is not None and not value.startswith("https://")
        if plain and urlsplit(value).hostname not in LOOPBACK_HOSTS:
            raise ValueError(
                f"Telegram sends webhooks only to https:// URLs, got {value!r} "
                "(plain http is allowed only for 127.0.0.1, localhost and ::1)"
            )
        return value

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

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET: required when WEBHOOK_URL is set, so that only Telegram can "
                "post updates (1-256 of A-Z a-z 0-9 _ -, e.g. the output of openssl rand -hex 32)"
            )
        return self

    @property
    def bot_id(self) -> int:
        """The bot's numeric id: the token's part before the colon (not secret)."""
        return int(self.bot_token.get_secret_value().split(":", 1)[0])


def load_settings(**overrides: object) -> Settings:
    """Build the settings or raise :class:`SettingsError` with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _one_line(exc) from None


def load_database_settings(**overrides: object) -> DatabaseSettings:
    """The settings of ``python -m bot migrate``, or :class:`SettingsError`."""
    try:
        return DatabaseSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _one_line(exc) from None


def _one_line(exc: ValidationError) -> SettingsError:
    errors = exc.errors()
    for error in errors:  # a missing token is told first, whatever else is wrong
        token = bool(error["loc"]) and str(error["loc"][0]) == "bot_token"
        if token and (error["type"] == "missing" or BOTFATHER_HELP in error["msg"]):
            return SettingsError(BOTFATHER_HELP)
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:  # a rule over several variables names its variable itself
        return SettingsError(message)
    return SettingsError(f"{str(first['loc'][0]).upper()}: {message}")
