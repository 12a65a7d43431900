"""The content files: what the real files hold, and readable errors when one is broken."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

import content as content_pkg
from bot.__main__ import main
from bot.i18n import Translations
from bot.telegram.render import tip_card
from content import CONTENT_DIR, Content, ContentError, load_content
from content.models import CREDIT_KEYS

PROJECT = Path(__file__).resolve().parents[2]
TELEGRAM_MESSAGE_LIMIT = 4096


# --- the real files ------------------------------------------------------------------------


def test_categories(content: Content) -> None:
    assert [c.id for c in content.categories] == ["values", "personal", "motivation", "skills"]


def test_qualities(content: Content) -> None:
    assert len(content.qualities) == 44
    assert len({q.id for q in content.qualities}) == 44
    per_category = {c.id: 0 for c in content.categories}
    for quality in content.qualities:
        per_category[quality.category] += 1
    assert all(count > 0 for count in per_category.values()), per_category


#: the quality names of «Портрет идеального сотрудника техподдержки», in its order (the
#: article's «основными программи» is a typo of «программами»)
ARTICLE_NAMES = {
    "values": [
        "Гибкость",
        "Интерес",
        "Клиентоориентированность",
        "Ответственность",
        "Отзывчивость",
        "Счастье",
        "Терпимость",
        "Уважение",
        "Честность",
    ],
    "personal": [
        "Аккуратность",
        "Вежливость",
        "Внимание к деталям",
        "Дружелюбность",
        "Коммуникабельность",
        "Работа в команде",
        "Стрессоустойчивость",
        "Усидчивость и терпение",
        "Эмпатия",
    ],
    "motivation": [
        "География",
        "Карьерный рост",
        "Коллектив",
        "Личность руководителя",
        "Любовь к технике",
        "Офис и плюшки",
        "Помогать",
        "Признание",
        "Принадлежность, высшая цель",
        "Разбираться и изучать новое",
        "Развитие и обучение",
        "Трудоустройство и социальные гарантии",
        "Участие",
    ],
    "skills": [
        "Владение компьютером и основными программами",
        "Грамотная устная и письменная речь",
        "Знания в смежных областях",
        "Знание конкурентов и их особенностей",
        "Знание продукта",
        "Знание сопутствующих продуктов и интеграций",
        "Навык работы в программе поддержки — хелпдеск",
        "Умение формулировать и доносить мысли",
        "Работа на результат",
        "Умение быстро вникать в проблему",
        "Умение выявлять причинно-следственные связи",
        "Умение отказывать клиенту",
        "Умение передавать заявку коллегам и эскалировать",
    ],
}
#: a button shows at most this many characters of a name (handlers/keyboards.py)
BUTTON_TEXT = 32


def test_quality_names_are_the_articles(content: Content) -> None:
    for category, names in ARTICLE_NAMES.items():
        ours = [q.name.ru for q in content.qualities if q.category == category]
        assert ours == names, category
    assert sum(len(names) for names in ARTICLE_NAMES.values()) == 44


@pytest.mark.parametrize("code", ["ru", "en"])
def test_long_names_have_a_short_label_for_buttons(content: Content, code: str) -> None:
    for q in content.qualities:
        if len(q.name.get(code)) > BUTTON_TEXT:
            assert q.label is not None, q.id
        if q.label is not None:
            assert len(q.label.get(code)) <= BUTTON_TEXT, q.id
            assert q.label.get(code) != q.name.get(code), q.id
        assert q.button(code) == (q.label or q.name).get(code)


def test_tidiness_keeps_cleanliness_and_order(content: Content) -> None:
    tidiness = content.quality("tidiness")
    assert tidiness is not None
    assert "чистот" in tidiness.meaning.ru
    assert "порядок" in tidiness.meaning.ru
    assert "вовремя" in tidiness.meaning.ru


def test_tips_count_and_sources(content: Content) -> None:
    assert len(content.tips) >= 40
    sources = {s.id: s for s in content.tips_file.source}
    assert set(sources) == {"good_agent", "ideal_employee", "respect_capital", "person_not_client"}
    assert all(t.source in sources for t in content.tips)
    for source in ("good_agent", "ideal_employee"):
        assert sources[source].file
        assert sum(t.source == source for t in content.tips) >= 5, source
    for linked in ("respect_capital", "person_not_client"):  # known by their link only
        assert sources[linked].file is None
        assert sources[linked].linked_from == "good_agent"


def test_tips_that_develop_their_article_say_so(content: Content) -> None:
    credits = {t.id: t.credit for t in content.tips}
    assert set(credits.values()) == {"source", "based_on"}
    # the catalogue gives a quality its name and a line; a tip on it goes further
    assert all(credits[t.id] == "based_on" for t in content.tips if t.quality is not None)
    # an article we know only by its link and one-line summary can only inspire a tip
    linked = {s.id for s in content.tips_file.source if s.file is None}
    assert all(credits[t.id] == "based_on" for t in content.tips if t.source in linked)


def test_every_quality_has_its_own_tip(content: Content) -> None:
    explained = {t.quality for t in content.tips if t.quality is not None}
    missing = [q.id for q in content.qualities if q.id not in explained]
    assert missing == []
    assert all(content.quality(q) is not None for q in explained)


def test_tip_on_capitalised_vy(content: Content) -> None:
    found = [t for t in content.tips if "«Вы»" in t.body.ru]
    assert found, "no tip about writing «Вы» with a capital letter"
    assert any("«вы»" in t.body.ru for t in found)  # and it recommends the lowercase form


def test_tip_on_client_as_person(content: Content) -> None:
    found = [
        t
        for t in content.tips
        if "человек" in t.title.ru.lower() and "клиент" in (t.title.ru + t.body.ru).lower()
    ]
    assert found, "no tip about seeing the client as a person"
    for tip in found:  # it names the article the first one links to, which it comes from
        assert tip.credit == "based_on"
        assert content.source(tip.source).title.ru == (
            "Не клиент, а человек: 5 идей, как сделать поддержку дружелюбной"
        )


def test_credited_card_names_the_article(content: Content) -> None:
    i18n = Translations(content, "ru").get("ru")
    tip = next(t for t in content.tips if t.id == "person_not_ticket")
    credit = i18n.t(CREDIT_KEYS[tip.credit], source=content.source(tip.source).title.ru)
    assert credit == (
        "По мотивам статьи «Не клиент, а человек: 5 идей, как сделать поддержку дружелюбной»"
    )
    card = i18n.t("tips.card_credited", title="t", body="b", credit=escape(credit))
    assert card.endswith(f"<i>{credit}</i>")


def test_every_text_has_both_languages(content: Content) -> None:
    for tip in content.tips:
        assert re.search("[а-яё]", tip.body.ru, re.IGNORECASE), tip.id
        assert not re.search("[а-яё]", tip.body.en, re.IGNORECASE), tip.id


@pytest.mark.parametrize("code", ["ru", "en"])
def test_rendered_cards_fit_a_message(content: Content, code: str) -> None:
    i18n = Translations(content, "ru").get(code)
    longest = 0
    for tip in content.tips:
        card = tip_card(tip, content, i18n)
        assert escape(tip.title.get(code)) in card
        longest = max(longest, len(card))
        preview = i18n.t("tips.preview", channel="@" + "c" * 32, card=card)
        assert len(preview) < TELEGRAM_MESSAGE_LIMIT
    assert longest < TELEGRAM_MESSAGE_LIMIT // 2


def test_quality_tip_card_names_the_quality(content: Content) -> None:
    i18n = Translations(content, "ru").get("ru")
    tip = next(t for t in content.tips if t.quality is not None)
    quality = content.quality(tip.quality or "")
    assert quality is not None
    assert quality.name.ru in tip_card(tip, content, i18n)


# --- broken files --------------------------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of content/ to break one thing in."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def load_error(root: Path) -> str:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return str(info.value)


@pytest.mark.parametrize("empty", ['""', '"   "'])
def test_empty_tip_body(broken: Path, empty: str) -> None:
    edit(broken / "tips.toml", r'^body\.ru = "Если вы не уверены.*$', f"body.ru = {empty}")
    message = load_error(broken)
    assert "tips.toml" in message
    assert "'results_speak'" in message
    assert "body.ru" in message


def test_unknown_field_in_tip(broken: Path) -> None:
    edit(broken / "tips.toml", r'^source = "good_agent"$', 'source = "good_agent"\nauthor = "x"')
    message = load_error(broken)
    assert "tips.toml" in message
    assert "'results_speak'" in message
    assert "field 'author'" in message


def test_quality_with_unknown_category(broken: Path) -> None:
    edit(broken / "qualities.toml", r'^category = "values"$', 'category = "valuez"')
    message = load_error(broken)
    assert "qualities.toml" in message
    assert "'flexibility'" in message
    assert "category" in message
    assert "valuez" in message


def test_duplicate_tip_id(broken: Path) -> None:
    edit(broken / "tips.toml", r'^id = "self_analysis"$', 'id = "results_speak"')
    message = load_error(broken)
    assert "tips.toml" in message
    assert "'results_speak'" in message
    assert "duplicate" in message


def test_duplicate_quality_id(broken: Path) -> None:
    edit(broken / "qualities.toml", r'^id = "interest"$', 'id = "flexibility"')
    message = load_error(broken)
    assert "qualities.toml" in message
    assert "'flexibility'" in message
    assert "duplicate" in message


def test_tip_with_unknown_quality(broken: Path) -> None:
    edit(broken / "tips.toml", r'^quality = "honesty"$', 'quality = "honsety"')
    message = load_error(broken)
    assert "tips.toml" in message
    assert "'no_self_deception'" in message
    assert "quality" in message
    assert "honsety" in message


def test_tip_with_unknown_source(broken: Path) -> None:
    edit(broken / "tips.toml", r'^source = "good_agent"$', 'source = "bad_agent"')
    message = load_error(broken)
    assert "'results_speak'" in message
    assert "bad_agent" in message


def test_tip_without_credit(broken: Path) -> None:
    edit(broken / "tips.toml", r'^credit = "based_on"\n', "")
    message = load_error(broken)
    assert "'results_speak'" in message
    assert "credit" in message


def test_tip_with_unknown_credit(broken: Path) -> None:
    edit(broken / "tips.toml", r'^credit = "based_on"$', 'credit = "inspired"')
    message = load_error(broken)
    assert "'results_speak'" in message
    assert "credit" in message


def test_linked_source_with_unknown_article(broken: Path) -> None:
    edit(broken / "tips.toml", r'^linked_from = "good_agent"$', 'linked_from = "bad_agent"')
    message = load_error(broken)
    assert "'respect_capital'" in message
    assert "linked_from" in message
    assert "bad_agent" in message


def test_source_without_file_or_link(broken: Path) -> None:
    edit(broken / "tips.toml", r'^linked_from = "good_agent"\n', "")
    message = load_error(broken)
    assert "'respect_capital'" in message
    assert "file" in message


def test_label_too_long(broken: Path) -> None:
    edit(
        broken / "qualities.toml",
        r'^label = \{ ru = "Грамотная речь"',
        'label = { ru = "' + "р" * 40 + '"',
    )
    message = load_error(broken)
    assert "'literacy'" in message
    assert "label.ru" in message


def test_invalid_toml(broken: Path) -> None:
    edit(broken / "tips.toml", r'^id = "self_analysis"$', 'id = "self_analysis')
    message = load_error(broken)
    assert "tips.toml" in message
    assert "not valid TOML" in message


def test_missing_file(broken: Path) -> None:
    (broken / "qualities.toml").unlink()
    message = load_error(broken)
    assert "qualities.toml" in message
    assert "missing" in message


def test_locale_key_missing_in_en(broken: Path) -> None:
    edit(broken / "locales" / "en.toml", r"^tip_now = .*\n", "")
    message = load_error(broken)
    assert "en.toml" in message
    assert "'commands.tip_now'" in message
    assert "missing" in message


def test_locale_key_only_in_en(broken: Path) -> None:
    edit(broken / "locales" / "en.toml", r"^tip_now = ", 'tip_later = "Later"\ntip_now = ')
    message = load_error(broken)
    assert "en.toml" in message
    assert "'commands.tip_later'" in message


def test_placeholder_mismatch(broken: Path) -> None:
    edit(broken / "locales" / "en.toml", r"^posted = (.*)\{channel\}", r"posted = \1{chat}")
    message = load_error(broken)
    assert "en.toml" in message
    assert "'tips.posted'" in message
    assert "placeholders" in message
    assert "chat" in message


@pytest.mark.parametrize(
    ("code", "form_line", "form"),
    [
        ("ru", r'^few = "\{n\} совета"\n', "few"),
        ("ru", r'^many = "\{n\} советов"\n', "many"),
        ("ru", r'^one = "\{n\} совет"\n', "one"),
        ("en", r'^other = "\{n\} tips"\n', "other"),
        ("en", r'^one = "\{n\} tip"\n', "one"),
    ],
)
def test_missing_plural_form(broken: Path, code: str, form_line: str, form: str) -> None:
    edit(broken / "locales" / f"{code}.toml", form_line, "")
    message = load_error(broken)
    assert message.startswith(f"content/locales/{code}.toml: "), message  # the broken file
    assert "'tips.count'" in message
    assert f"'{form}'" in message
    assert "plural" in message


def test_unbroken_copy_loads(broken: Path, content: Content) -> None:
    copy = load_content(broken)
    assert [t.id for t in copy.tips] == [t.id for t in content.tips]


# --- python -m bot check-content ---------------------------------------------------------------


def test_check_content_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    content = load_content()
    out = result.stdout
    assert "content OK" in out
    assert f"{len(content.categories)} categories" in out
    assert f"{len(content.qualities)} qualities" in out
    assert f"{len(content.tips)} tips" in out
    assert "en, ru" in out


def test_check_content_reports_broken_file(
    broken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(broken / "tips.toml", r'^body\.ru = "Если вы не уверены.*$', 'body.ru = ""')
    monkeypatch.setattr(content_pkg, "CONTENT_DIR", broken)
    assert main(["check-content"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("content error: ")
    assert "tips.toml" in err
    assert "'results_speak'" in err
    assert "body.ru" in err
