"""Pydantic models of the content files, and the cross-file checks."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, field_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
ShortLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1500)]

#: The plural categories a locale entry may have (a table of only these keys is a plural).
PLURAL_FORMS = frozenset({"one", "few", "many", "other"})

#: Placeholders in UI strings look like {name}.
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class ContentError(Exception):
    """A content file is missing or broken; the message names file, item and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShortText(_Strict):
    ru: Line
    en: Line

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.ru


class ShortLabel(_Strict):
    ru: ShortLine
    en: ShortLine

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.ru


class LongText(_Strict):
    ru: Prose
    en: Prose

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.ru


class Category(_Strict):
    id: Slug
    title: ShortText
    about: LongText


class Quality(_Strict):
    id: Slug
    category: Slug
    #: the article's own name of the quality
    name: ShortText
    #: a shorter name for buttons (at most 32 characters); the name when absent
    label: ShortLabel | None = None
    meaning: LongText

    def button(self, locale: str) -> str:
        """The text for a button: the label when there is one, else the name."""
        return (self.label or self.name).get(locale)


class Catalogue(_Strict):
    category: list[Category] = Field(min_length=1)
    quality: list[Quality] = Field(min_length=1)


class Source(_Strict):
    id: Slug
    title: ShortText
    #: the seed file of an article we have; absent for an article we know by its link only
    file: str | None = None
    #: the article that links to this one (for an article known by its link)
    linked_from: Slug | None = None


#: How a tip is credited: ``source`` retells its article; ``based_on`` develops an idea of the
#: article beyond what it says (rendered «по мотивам статьи …»).
Credit = Literal["source", "based_on"]

#: The locale key of each credit line (``{source}`` is the article's title).
CREDIT_KEYS: dict[str, str] = {"source": "tips.credit_source", "based_on": "tips.credit_based_on"}


class Tip(_Strict):
    id: Slug
    source: Slug
    credit: Credit
    quality: Slug | None = None
    title: ShortText
    body: LongText


class TipsFile(_Strict):
    source: list[Source] = Field(min_length=1)
    tip: list[Tip] = Field(min_length=40)


@cache
def known_zones() -> frozenset[str]:
    """The IANA names of the zone database (the ``tzdata`` package or the system's)."""
    return frozenset(available_timezones())


def place_key(text: str) -> str:
    """How a typed place or zone name is compared: case, «ё»/«е», hyphens, underscores,
    dots and runs of spaces do not matter («санкт петербург» is «Санкт-Петербург»)."""
    folded = text.casefold().replace("ё", "е")
    return " ".join(part for part in re.split(r"[\s\-_.]+", folded) if part)


class Zone(_Strict):
    """A time zone and the cities people name it by (``timezones.toml``)."""

    tz: str
    #: the city on the zone's button; both spellings are accepted when typed
    city: ShortText
    #: offered as a button in the time-zone question
    offer: bool = False
    #: other cities and spellings of this zone
    names: list[Line] = Field(default_factory=list)

    @field_validator("tz")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in known_zones():
            raise ValueError(f"unknown time zone {value!r} (not in the zone database)")
        return value

    def spellings(self) -> list[str]:
        return [self.city.ru, self.city.en, *self.names]


class TimezonesFile(_Strict):
    zone: list[Zone] = Field(default_factory=list)

    def by_place(self) -> dict[str, str]:
        """Every accepted spelling (as :func:`place_key`) and its zone."""
        return {place_key(name): z.tz for z in self.zone for name in z.spellings()}

    def check(self, path: str) -> None:
        """One entry per zone, and each spelling names one zone only."""
        _unique(path, "zone", [z.tz for z in self.zone], field="tz")
        owner: dict[str, str] = {}
        for z in self.zone:
            for name in z.spellings():
                other = owner.setdefault(place_key(name), z.tz)
                if other != z.tz:
                    raise ContentError(
                        f"{path}: zone {z.tz!r}: field 'names': {name!r} already names {other!r}"
                    )


class Plural(_Strict):
    """Plural forms: Russian uses one/few/many, English one/other."""

    one: str | None = None
    few: str | None = None
    many: str | None = None
    other: str | None = None


class Locale(RootModel[dict[str, str | Plural]]):
    """A locale file: nested tables flatten into dotted keys (``tips.more``)."""

    @field_validator("root", mode="before")
    @classmethod
    def _flatten(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        flat: dict[str, object] = {}

        def walk(prefix: str, node: dict[str, object]) -> None:
            for key, item in node.items():
                name = f"{prefix}.{key}" if prefix else key
                if isinstance(item, dict) and not (item and set(item) <= PLURAL_FORMS):
                    walk(name, item)
                else:
                    flat[name] = item

        walk("", value)
        return flat

    def keys(self) -> set[str]:
        return set(self.root)


PluralCategory = Literal["one", "few", "many", "other"]


class Content(BaseModel):
    """All content, validated and indexed."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    catalogue: Catalogue
    tips_file: TipsFile
    locales: dict[str, Locale]
    timezones: TimezonesFile = TimezonesFile()

    @property
    def tips(self) -> list[Tip]:
        return self.tips_file.tip

    @property
    def qualities(self) -> list[Quality]:
        return self.catalogue.quality

    @property
    def categories(self) -> list[Category]:
        return self.catalogue.category

    def tip(self, tip_id: str) -> Tip | None:
        return next((t for t in self.tips if t.id == tip_id), None)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.tips_file.source if s.id == source_id)

    def quality(self, quality_id: str) -> Quality | None:
        return next((q for q in self.qualities if q.id == quality_id), None)

    def cross_check(self, tips_path: str, qualities_path: str) -> None:
        """Ids unique, references resolve, locales agree on keys and placeholders."""
        _unique(qualities_path, "category", [c.id for c in self.categories])
        _unique(qualities_path, "quality", [q.id for q in self.qualities])
        _unique(tips_path, "source", [s.id for s in self.tips_file.source])
        _unique(tips_path, "tip", [t.id for t in self.tips])
        categories = {c.id for c in self.categories}
        for q in self.qualities:
            if q.category not in categories:
                raise ContentError(
                    f"{qualities_path}: quality {q.id!r}: field 'category': "
                    f"unknown category {q.category!r}"
                )
        sources = {s.id for s in self.tips_file.source}
        for s in self.tips_file.source:
            if s.file is None and s.linked_from is None:
                raise ContentError(
                    f"{tips_path}: source {s.id!r}: field 'file': "
                    "a source needs its file or the article that links to it (linked_from)"
                )
            if s.linked_from is not None and s.linked_from not in sources:
                raise ContentError(
                    f"{tips_path}: source {s.id!r}: field 'linked_from': "
                    f"unknown source {s.linked_from!r}"
                )
        qualities = {q.id for q in self.qualities}
        for t in self.tips:
            if t.source not in sources:
                raise ContentError(
                    f"{tips_path}: tip {t.id!r}: field 'source': unknown source {t.source!r}"
                )
            if t.quality is not None and t.quality not in qualities:
                raise ContentError(
                    f"{tips_path}: tip {t.id!r}: field 'quality': unknown quality {t.quality!r}"
                )
        self._check_locales()

    def _check_locales(self) -> None:
        ru = self.locales["ru"].root
        for code, locale in self.locales.items():
            missing = sorted(set(ru) - set(locale.root))
            extra = sorted(set(locale.root) - set(ru))
            if missing or extra:
                key = (missing or extra)[0]
                problem = "missing" if missing else "not in ru.toml"
                raise ContentError(f"content/locales/{code}.toml: key {key!r}: {problem}")
            for key, value in locale.root.items():
                if _placeholders(value) != _placeholders(ru[key]):
                    raise ContentError(
                        f"content/locales/{code}.toml: key {key!r}: placeholders "
                        f"{sorted(_placeholders(value))} differ from ru.toml "
                        f"{sorted(_placeholders(ru[key]))}"
                    )
                if isinstance(value, Plural):
                    needed: tuple[str, ...] = (
                        ("one", "few", "many") if code == "ru" else ("one", "other")
                    )
                    absent = [form for form in needed if getattr(value, form) is None]
                    if absent:
                        raise ContentError(
                            f"content/locales/{code}.toml: key {key!r}: field '{absent[0]}': "
                            "plural form is missing"
                        )


def _placeholders(value: object) -> set[str]:
    if isinstance(value, Plural):
        found: set[str] = set()
        for form in (value.one, value.few, value.many, value.other):
            if form:
                found |= set(PLACEHOLDER.findall(form))
        return found
    return set(PLACEHOLDER.findall(str(value)))


def _unique(path: str, table: str, ids: list[str], field: str = "id") -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ContentError(f"{path}: {table} {ident!r}: field '{field}': duplicate {field}")
        seen.add(ident)
