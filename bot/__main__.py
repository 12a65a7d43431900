"""``python -m bot [run|migrate|check-content]`` (also the ``spasibot`` console script)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from bot.settings import SettingsError, load_settings
from content import ContentError, load_content

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spasibot", description="Spasibot, the support team bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=("run", "migrate", "check-content"),
        help="run the bot (default), apply database migrations, or validate content/",
    )
    args = parser.parse_args(argv)

    try:
        content = load_content()
    except ContentError as exc:
        print(f"content error: {exc}", file=sys.stderr)
        return 1
    if args.command == "check-content":
        print(
            f"content OK: {len(content.categories)} categories, {len(content.qualities)} "
            f"qualities, {len(content.tips)} tips, locales {', '.join(sorted(content.locales))}"
        )
        return 0

    if args.command == "migrate":
        from bot.settings import DatabaseSettings
        from storage.database import Database

        db_settings = DatabaseSettings()
        db = Database(db_settings.database_url)

        async def migrate() -> None:
            await db.migrate()
            await db.close()

        asyncio.run(migrate())
        print(f"database is up to date: {db_settings.database_url.split('@')[-1]}")
        return 0

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"spasibot: {exc}", file=sys.stderr)
        return 2

    from bot.app import build_application
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format, settings.bot_token.get_secret_value())
    app = build_application(settings, content=content)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
