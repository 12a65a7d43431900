"""UI strings: plural rules, picking a language, and every key the code uses exists."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.app import ADMIN_COMMANDS, GROUP_COMMANDS, PRIVATE_COMMANDS
from bot.i18n import Translations, english_plural, russian_plural
from content import LOCALES, Content
from content.models import Plural

PROJECT = Path(__file__).resolve().parents[2]
SCANNED = ("bot", "handlers")
KEY_RE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


@pytest.fixture(scope="module")
def translations(content: Content) -> Translations:
    return Translations(content, "ru")


# --- plural rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (101, "one"),
        (111, "many"),
        (112, "many"),
        (0, "many"),
    ],
)
def test_russian_plural(n: int, form: str) -> None:
    assert russian_plural(n) == form


@pytest.mark.parametrize(("n", "form"), [(1, "one"), (0, "other"), (2, "other"), (21, "other")])
def test_english_plural(n: int, form: str) -> None:
    assert english_plural(n) == form


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1 совет"), (3, "3 совета"), (5, "5 советов"), (11, "11 советов"), (21, "21 совет")],
)
def test_russian_count_text(translations: Translations, n: int, text: str) -> None:
    assert translations.get("ru").t("tips.count", n=n) == text


@pytest.mark.parametrize(("n", "text"), [(1, "1 tip"), (0, "0 tips"), (21, "21 tips")])
def test_english_count_text(translations: Translations, n: int, text: str) -> None:
    assert translations.get("en").t("tips.count", n=n) == text


def test_plural_needs_n(translations: Translations) -> None:
    with pytest.raises(TypeError, match=r"tips\.count"):
        translations.get("ru").t("tips.count")


def test_unknown_key_names_key_and_locale(translations: Translations) -> None:
    with pytest.raises(KeyError, match=r"tips\.nope.*'en'"):
        translations.get("en").t("tips.nope")


# --- choosing the language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU", "ru"),
        ("uk", "ru"),
        ("be", "ru"),
        ("kk", "ru"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "en"),
        ("pt-br", "en"),
        (None, "ru"),
        ("", "ru"),
    ],
)
def test_for_language(translations: Translations, code: str | None, expected: str) -> None:
    i18n = translations.for_language(code)
    assert i18n.code == expected
    # the strings really are the chosen language's, not just the label
    assert i18n.t("tips.more") == translations.get(expected).t("tips.more")


def test_unknown_user_language_follows_the_default(content: Content) -> None:
    english_default = Translations(content, "en")
    assert english_default.for_language(None).code == "en"
    assert english_default.for_language("ru").code == "ru"
    assert english_default.get("xx").code == "en"


def test_locales_really_differ(translations: Translations) -> None:
    assert translations.get("ru").t("tips.more") != translations.get("en").t("tips.more")


# --- every key used in the code exists --------------------------------------------------------


class KeyScan(ast.NodeVisitor):
    """``x.t("key", a=..)`` calls, dynamic ``x.t(name)`` candidates and DomainError keys."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, frozenset[str] | None]] = []  # (where, key, kwargs)
        self.prefixes: list[tuple[str, str]] = []  # f"commands.{name}" -> "commands."
        self.dynamic: list[tuple[str, str]] = []  # keys in a function that calls t(variable)
        self._where = ""
        self._function: ast.AST | None = None

    def scan(self, path: Path) -> None:
        self._where = str(path.relative_to(PROJECT))
        self.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._in_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._in_function(node)

    def _in_function(self, node: ast.AST) -> None:
        outer, self._function = self._function, node
        self.generic_visit(node)
        self._function = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if (
                isinstance(item, ast.Assign)
                and [getattr(t, "id", None) for t in item.targets] == ["key"]
                and isinstance(item.value, ast.Constant)
                and isinstance(item.value.value, str)
            ):
                self.calls.append((f"{self._where}:{item.lineno}", item.value.value, None))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "t" and node.args:
            where = f"{self._where}:{node.lineno}"
            first = node.args[0]
            names = (
                None
                if any(k.arg is None for k in node.keywords)
                else frozenset(k.arg for k in node.keywords if k.arg)
            )
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.calls.append((where, first.value, names))
            elif isinstance(first, ast.JoinedStr):
                head = first.values[0]
                assert isinstance(head, ast.Constant), f"{where}: f-string key without a prefix"
                self.prefixes.append((where, str(head.value)))
            elif isinstance(first, ast.Name) and self._function is not None:
                for sub in ast.walk(self._function):
                    if (
                        isinstance(sub, ast.Constant)
                        and isinstance(sub.value, str)
                        and KEY_RE.match(sub.value)
                    ):
                        self.dynamic.append((where, sub.value))
        self.generic_visit(node)


@pytest.fixture(scope="module")
def scan() -> KeyScan:
    scanner = KeyScan()
    for package in SCANNED:
        for path in sorted((PROJECT / package).rglob("*.py")):
            scanner.scan(path)
    return scanner


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def forms(value: str | Plural) -> list[str]:
    if isinstance(value, Plural):
        return [f for f in (value.one, value.few, value.many, value.other) if f is not None]
    return [value]


def test_scan_finds_the_keys(scan: KeyScan) -> None:
    keys = {key for _, key, _ in scan.calls}
    assert len(keys) >= 20, sorted(keys)
    assert "tips.card_credited" in keys
    assert "errors.stale_button" in keys  # NotFound.key, a class attribute
    assert ("tips.stats_best" in {k for _, k in scan.dynamic}) or "tips.stats_best" in keys
    assert any(prefix == "commands." for _, prefix in scan.prefixes)


@pytest.mark.parametrize("code", LOCALES)
def test_every_key_used_in_code_exists(scan: KeyScan, content: Content, code: str) -> None:
    strings = content.locales[code].root
    used = [(where, key) for where, key, _ in scan.calls] + scan.dynamic
    missing = [f"{where}: {key}" for where, key in used if key not in strings]
    assert missing == []


@pytest.mark.parametrize("code", LOCALES)
def test_every_command_has_a_description(scan: KeyScan, content: Content, code: str) -> None:
    strings = content.locales[code].root
    prefixes = {prefix for _, prefix in scan.prefixes}
    assert prefixes == {"commands."}
    for name in (*PRIVATE_COMMANDS, *GROUP_COMMANDS, *ADMIN_COMMANDS):
        description = strings.get(f"commands.{name}")
        assert isinstance(description, str), f"commands.{name} missing in {code}"
        assert 1 <= len(description) <= 256  # the Bot API limit of a command description


@pytest.mark.parametrize("code", LOCALES)
def test_code_passes_every_placeholder(scan: KeyScan, content: Content, code: str) -> None:
    """A call that forgets a {name} of its string would crash with KeyError for the user."""
    strings = content.locales[code].root
    problems = []
    for where, key, names in scan.calls:
        if names is None or key not in strings:
            continue
        needed = set().union(*(placeholders(f) for f in forms(strings[key])))
        if isinstance(strings[key], Plural):
            needed.add("n")
        if needed - names:
            problems.append(f"{where}: {key} needs {sorted(needed - names)}")
    assert problems == []


@pytest.mark.parametrize("code", LOCALES)
def test_every_string_formats(translations: Translations, content: Content, code: str) -> None:
    i18n = translations.get(code)
    for key, value in content.locales[code].root.items():
        names = set().union(*(placeholders(f) for f in forms(value)))
        values: dict[str, object] = {name: f"<{name}>" for name in names}
        if isinstance(value, Plural):
            for n in (1, 2, 5, 0, 21):
                values["n"] = n
                text = i18n.t(key, **values)
                assert str(n) in text, (key, n)
        else:
            text = i18n.t(key, **values)
            assert text.strip(), key
            for name in names:
                assert f"<{name}>" in text, (key, name)
            assert "{" not in text, key
            assert "}" not in text, key
