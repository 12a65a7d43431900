"""Everything a person reads, loaded from the TOML files beside this module.

Files:
- ``qualities.toml``: the quality catalogue of the article «Портрет идеального сотрудника»,
  ``[[category]]`` and ``[[quality]]`` tables (a quality has the article's ``name`` and, when
  that is long, a shorter ``label`` for buttons: ``Quality.button(locale)``);
- ``tips.toml``: ``[[source]]`` (the two articles, and two articles the first one links to) and
  ``[[tip]]`` (advice, each naming its source and its ``credit``: ``source`` when it retells the
  article, ``based_on`` when it develops the article's idea; the locale key of the credit line
  is ``content.models.CREDIT_KEYS[tip.credit]``);
- ``timezones.toml``: ``[[zone]]`` tables: an IANA zone (checked against the zone database),
  the city naming it in Russian and English, other spellings, and whether the time-zone
  question offers it as a button;
- ``locales/<code>.toml``: UI strings under stable dotted keys, with plural forms.

``load_content()`` validates all of it with pydantic and raises :class:`ContentError`
naming the file, the item and the field when something is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from content.models import (
    Catalogue,
    Content,
    ContentError,
    Locale,
    Quality,
    TimezonesFile,
    Tip,
    TipsFile,
)

CONTENT_DIR = Path(__file__).resolve().parent
LOCALES = ("ru", "en")

__all__ = [
    "CONTENT_DIR",
    "LOCALES",
    "Content",
    "ContentError",
    "Locale",
    "Quality",
    "Tip",
    "load_content",
]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ContentError(f"{_show(path)}: file is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{_show(path)}: not valid TOML: {exc}") from exc


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(CONTENT_DIR.parent))
    except ValueError:
        return str(path)


def _describe(path: Path, raw: Mapping[str, Any], err: ValidationError) -> ContentError:
    """Turn the first pydantic error into 'file: item 'id': field 'x.y': message'."""
    first = err.errors()[0]
    loc = list(first["loc"])
    item = ""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        table, index = loc[0], loc[1]
        rows = raw.get(table)
        ident = None
        if isinstance(rows, list) and index < len(rows) and isinstance(rows[index], dict):
            ident = rows[index].get("id") or rows[index].get("tz")
        item = f"{table} {ident!r}" if ident else f"{table} #{index + 1}"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "(whole item)"
    where = f"{item}: " if item else ""
    return ContentError(f"{_show(path)}: {where}field '{field}': {first['msg']}")


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], path: Path) -> M:
    raw = _read_toml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _describe(path, raw, exc) from None


def load_content(root: Path | None = None) -> Content:
    """Load and cross-check every content file under ``root`` (default: this package)."""
    base = root or CONTENT_DIR
    catalogue = _parse(Catalogue, base / "qualities.toml")
    tips = _parse(TipsFile, base / "tips.toml")
    timezones = _parse(TimezonesFile, base / "timezones.toml")
    locales = {code: _parse(Locale, base / "locales" / f"{code}.toml") for code in LOCALES}
    content = Content(catalogue=catalogue, tips_file=tips, locales=locales, timezones=timezones)
    content.cross_check(_show(base / "tips.toml"), _show(base / "qualities.toml"))
    timezones.check(_show(base / "timezones.toml"))
    return content
