"""What the benchmarks share: the token, settings for the whole bot against a fake server,
and the resident memory of a process."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings

TOKEN = "42:BENCH-token_abcdefghijklmnopqrstuvwxyz012"

#: The fake server has no flood limits here; the paced sender is lifted out of the way so
#: that these benchmarks measure the bot's work, not Telegram's limits (``bench.fanout``
#: measures the sender at a limit). Above the settings' own bounds, hence ``model_copy``.
UNPACED = {
    "rate_per_second": 1e6,
    "rate_per_chat_per_second": 1e6,
    "rate_per_chat_burst": 1_000_000,
    "rate_group_per_minute": 1_000_000_000,
}


def bench_settings(api_url: str, db: Path) -> Settings:
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=api_url,
        database_url=f"sqlite+aiosqlite:///{db}",
        log_level="WARNING",
    )
    return settings.model_copy(update=UNPACED)


def rss_mib(pid: int | str = "self") -> tuple[float, float]:
    """(resident now, peak resident) of a process in MiB, from /proc/<pid>/status."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB
    return fields["VmRSS"], fields["VmHWM"]
