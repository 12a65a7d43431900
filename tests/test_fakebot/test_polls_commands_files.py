"""Polls, bot commands, documents and photos."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InputPollOption,
)

from tests.fakebot import FakeClock, FakeTelegram


async def test_poll_votes(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    bob = tg.user("Bob")
    group = tg.group("Team", members=[alice, bob], admins=[alice])
    tg.add_bot_to_group(group, by=alice)
    sent = await bot.send_poll(
        group.id,
        "Best <b>habit</b>?",
        [InputPollOption(text="Listen"), "Thank"],
        is_anonymous=False,
        allows_multiple_answers=True,
    )
    assert sent.poll is not None
    # parse_mode applies to the question, but only custom emoji entities are kept
    assert sent.poll.question == "Best habit?"
    assert sent.poll.question_entities is None
    assert [o.persistent_id for o in sent.poll.options] == [
        f"{sent.poll.id}-0",
        f"{sent.poll.id}-1",
    ]
    assert sent.poll.allows_revoting is True
    assert sent.poll.members_only is False
    await bot.get_updates(offset=-1, timeout=0)
    await bot.get_updates(offset=(await bot.get_updates(timeout=0))[-1].update_id + 1, timeout=0)

    alice.answer_poll(sent, [0, 1])
    bob.answer_poll(sent.poll.id, [1])
    updates = await bot.get_updates(timeout=0)
    answers = [u.poll_answer for u in updates if u.poll_answer]
    assert [(a.user.first_name if a.user else None, a.option_ids) for a in answers] == [
        ("Alice", [0, 1]),
        ("Bob", [1]),
    ]
    assert answers[0].option_persistent_ids == [f"{sent.poll.id}-0", f"{sent.poll.id}-1"]
    states = [u.poll for u in updates if u.poll]
    assert states[-1].total_voter_count == 2
    assert [o.voter_count for o in tg.poll(sent).options] == [1, 2]

    alice.answer_poll(sent, [])  # retract
    assert tg.poll(sent).total_voter_count == 1
    stopped = await bot.stop_poll(group.id, sent.message_id)
    assert stopped.is_closed
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await bot.stop_poll(group.id, sent.message_id)
    with pytest.raises(AssertionError, match="closed"):
        bob.answer_poll(sent, [0])
    carol = tg.user("Carol")
    with pytest.raises(AssertionError, match="not a member"):
        carol.answer_poll(sent.poll.id, [0])


async def test_anonymous_and_quiz_polls(tg: FakeTelegram, bot: Bot, clock: FakeClock) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    anonymous = await bot.send_poll(alice.id, "Q", ["a", "b"])
    assert anonymous.poll is not None
    assert anonymous.poll.is_anonymous is True
    with pytest.raises(AssertionError, match="anonymous"):
        alice.answer_poll(anonymous, [0])
    quiz = await bot.send_poll(
        alice.id,
        "2+2?",
        ["3", "4"],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
        explanation="Because <b>math</b>",
        open_period=30,
    )
    assert quiz.poll is not None
    assert quiz.poll.correct_option_ids == [1]
    assert quiz.poll.allows_revoting is False
    assert quiz.poll.explanation == "Because math"
    alice.answer_poll(quiz, [1])
    with pytest.raises(AssertionError, match="does not allow changing"):
        alice.answer_poll(quiz, [0])
    legacy = await bot.send_poll(
        alice.id, "Legacy?", ["x", "y"], type="quiz", correct_option_id=0, is_anonymous=False
    )
    assert legacy.poll is not None
    assert legacy.poll.correct_option_ids == [0]
    clock.advance(31)
    assert tg.poll(quiz).is_closed


def _poll_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"question": "Q?", "options": ["a", "b"]}
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"question": "q" * 301}, "Bad Request: poll question length must not exceed 300"),
        ({"question": "<b> </b>"}, "Bad Request: poll question must be non-empty"),
        ({"options": ["only"]}, "Bad Request: poll must have at least 2 option"),
        ({"options": [str(i) for i in range(13)]}, "Bad Request: poll can't have more than 12"),
        ({"options": ["a", "o" * 101]}, "Bad Request: poll options length must not exceed 100"),
        ({"options": ["a", " "]}, "Bad Request: poll options must be non-empty"),
        ({"type": "quiz"}, "Bad Request: QUIZ_CORRECT_ANSWERS_EMPTY"),
        ({"type": "quiz", "correct_option_ids": [2]}, "Bad Request: QUIZ_CORRECT_ANSWER_INVALID"),
        (
            {"type": "quiz", "correct_option_ids": [0], "explanation": "e" * 201},
            "Bad Request: explanation is too long",
        ),
        (
            {"type": "quiz", "correct_option_ids": [0], "explanation": "1\n2\n3\n4"},
            "Bad Request: explanation can't contain more than 2 line feeds",
        ),
        ({"open_period": 4}, "Bad Request: wrong open_period specified"),
        ({"open_period": 2_628_001}, "Bad Request: wrong open_period specified"),
        ({"question": "a < b"}, "Bad Request: can't parse entities"),
    ],
)
async def test_poll_limits(
    tg: FakeTelegram, bot: Bot, overrides: dict[str, Any], error: str
) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_poll(alice.id, **_poll_kwargs(**overrides))
    assert raised.value.message.startswith(error)
    assert not tg.bot_messages(alice.private)


async def test_poll_limits_accept_the_boundaries(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    await bot.send_poll(
        alice.id,
        "q" * 300,
        ["o" * 100, *(str(i) for i in range(11))],
        type="quiz",
        correct_option_ids=[0],
        explanation="e" * 198 + "\n\n",
        open_period=5,
    )
    await bot.send_poll(alice.id, "Add more?", ["one"], allow_adding_options=True)


def dumps(commands: list[BotCommand]) -> list[dict[str, Any]]:
    return [command.model_dump() for command in commands]


async def test_commands_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    default = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="help", description="Help"),
    ]
    assert await bot.set_my_commands(default)
    russian = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(russian, language_code="ru")
    groups = [BotCommand(command="stats", description="Team stats")]
    assert await bot.set_my_commands(groups, scope=BotCommandScopeAllGroupChats())
    personal = [BotCommand(command="admin", description="Admin panel")]
    assert await bot.set_my_commands(personal, scope=BotCommandScopeChat(chat_id=alice.id))

    assert dumps(await bot.get_my_commands()) == dumps(default)
    assert dumps(await bot.get_my_commands(language_code="ru")) == dumps(russian)
    assert dumps(await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())) == dumps(groups)
    in_chat = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=alice.id))
    assert dumps(in_chat) == dumps(personal)
    assert await bot.get_my_commands(language_code="de") == []
    assert dumps(tg.commands(language_code="ru")) == dumps(russian)
    assert dumps(tg.commands({"type": "chat", "chat_id": alice.id})) == dumps(personal)
    assert await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(personal, scope=BotCommandScopeChat(chat_id=12345))


@pytest.mark.parametrize(
    ("commands", "language_code", "error"),
    [
        ([BotCommand(command="Start", description="x")], None, "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand(command="/start", description="x")], None, "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand(command="c" * 33, description="x")], None, "Bad Request: BOT_COMMAND_INVALID"),
        ([BotCommand(command="with-dash", description="x")], None, "BOT_COMMAND_INVALID"),
        (
            [BotCommand(command="help", description="d" * 257)],
            None,
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
        ),
        (
            [BotCommand(command="help", description="   ")],
            None,
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
        ),
        (
            [BotCommand(command=f"c{i}", description="x") for i in range(101)],
            None,
            "Bad Request: BOT_COMMANDS_TOO_MUCH",
        ),
        ([BotCommand(command="help", description="x")], "rus", "invalid language code"),
    ],
)
async def test_command_rules(
    tg: FakeTelegram,
    bot: Bot,
    commands: list[BotCommand],
    language_code: str | None,
    error: str,
) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.set_my_commands(commands, language_code=language_code)
    assert error in raised.value.message
    assert await bot.get_my_commands() == []


async def test_command_boundaries(tg: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand(command=f"c{i}_" + "x" * 20, description="d" * 256) for i in range(100)]
    commands[0] = BotCommand(command="c" * 32, description="d")
    assert await bot.set_my_commands(commands)
    assert len(await bot.get_my_commands()) == 100


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_documents_and_photos(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    csv = "name;thanks\nAlice;3\nБоб;5\n".encode()
    sent = await bot.send_document(
        alice.id, BufferedInputFile(csv, filename="report.csv"), caption="<b>Weekly</b> report"
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.csv"
    assert sent.document.file_size == len(csv)
    assert sent.document.mime_type == "text/csv"
    assert sent.html_text == "<b>Weekly</b> report"
    assert tg.document_bytes(sent) == csv
    assert tg.document_bytes(tg.bot_messages(alice.private)[-1]) == csv
    again = await bot.send_document(alice.id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == sent.document.file_unique_id
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(alice.id, BufferedInputFile(b"x", "x.txt"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(alice.id, "no-such-file-id")

    photo = await bot.send_photo(
        alice.id, BufferedInputFile(_png(3, 2), "p.png"), caption="c" * 1024
    )
    assert photo.photo is not None
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"not an image", "p.png"))
    text = await bot.send_message(alice.id, "plain text")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=alice.id, message_id=text.message_id, caption="x")
    edited = await bot.edit_message_caption(
        chat_id=alice.id, message_id=sent.message_id, caption="new"
    )
    assert not isinstance(edited, bool)
    assert edited.caption == "new"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=sent.message_id)


async def test_copy_and_forward(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    bob = tg.user("Bob")
    alice.start_bot()
    bob.start_bot()
    original = alice.send("a tip worth sharing")
    copied = await bot.copy_message(bob.id, alice.id, original.message_id)
    forwarded = await bot.forward_message(bob.id, alice.id, original.message_id)
    bob_messages = tg.bot_messages(bob.private)
    assert [m.text for m in bob_messages] == ["a tip worth sharing"] * 2
    assert bob_messages[0].message_id == copied.message_id
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "user"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(bob.id, alice.id, 999)
