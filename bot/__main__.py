"""``python -m bot [run|migrate|check-content]`` (also the ``spasibot`` console script)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings
from content import Content, ContentError, load_content

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
        from bot.settings import load_database_settings
        from storage.database import Database

        try:
            db_settings = load_database_settings()
        except SettingsError as exc:
            print(f"spasibot: {exc}", file=sys.stderr)
            return 2
        from bot.startup import StartupError, prepare_storage

        try:
            prepare_storage(db_settings)
        except StartupError as exc:
            print(f"spasibot: {exc}", file=sys.stderr)
            return exc.exit_code
        db = Database(db_settings.database_url)

        async def migrate() -> None:
            try:
                await db.migrate()
            finally:
                await db.close()

        where = db_settings.database_url.split("@")[-1]  # no password
        try:
            asyncio.run(migrate())
        except Exception as exc:
            reason = (str(exc).strip().splitlines() or [""])[0]
            print(
                f"spasibot: DATABASE_URL: cannot migrate {where} ({type(exc).__name__}: {reason})",
                file=sys.stderr,
            )
            return 1
        print(f"database is up to date: {where}")
        return 0

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"spasibot: {exc}", file=sys.stderr)
        return 2

    # before anything else can fail: no output of this process shows the token from here on
    from bot.logs import install_redaction, setup_logging

    token = settings.bot_token.get_secret_value()
    install_redaction(token)
    setup_logging(settings.log_level, settings.log_format, token)
    return run(settings, content)


def run(settings: Settings, content: Content) -> int:
    """Run the bot; start-up refusals are one line (exit code 2), a stop signal exits 0."""
    from bot.startup import StartupError, prepare_storage

    try:
        prepare_storage(settings)
        from bot.app import build_application

        app = build_application(settings, content=content)
        asyncio.run(app.run())
    except StartupError as exc:
        if settings.log_format == "json":
            log.error("%s", exc)
        else:
            print(f"spasibot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0
    except Exception:
        log.critical("the bot stopped on an unexpected error", exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
