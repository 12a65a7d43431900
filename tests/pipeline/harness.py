"""The pipeline layer: the bot's real Dispatcher fed updates in process, its Bot talking to a
recording session instead of HTTP (as aiogram's own tests do, ``tests/mocked_bot.py``).

``RecordingSession`` keeps every Bot API call and answers it the way Telegram would, from a
small model of the chats: sent messages get increasing ids and are kept with their keyboard,
edits and deletions change them (an edit that changes nothing is refused with «message is not
modified»), a private chat with someone who never started the bot refuses with 403. Results
go through aiogram's own response parsing, so handlers get the objects they get in production.

``Pipeline`` builds users and chats, feeds their messages and button presses through
``dp.feed_update`` and drains the ledger through the real drainer.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetMe,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)

from bot.app import Application
from tests.clock import FakeClock
from tests.fakebot.formatting import format_text, utf16_len
from tests.fakebot.world import _COMMAND_RE, _MENTION_RE

BOT_USERNAME = "spasibot_bot"


@dataclass
class Person:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    started: bool = False
    blocked: bool = False

    @property
    def user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )


@dataclass
class Group:
    id: int
    title: str
    members: dict[int, str] = field(default_factory=dict)  # user id -> status

    @property
    def chat(self) -> Chat:
        return Chat(id=self.id, type="supergroup", title=self.title)


@dataclass
class Shown:
    """A message as it is now in a chat (edits applied)."""

    chat_id: int
    message_id: int
    html: str
    text: str
    markup: InlineKeyboardMarkup | None
    from_bot: bool
    sender: Person | None = None
    document: BufferedInputFile | None = None
    reply_to: int | None = None
    deleted: bool = False

    def labels(self) -> list[str]:
        if self.markup is None:
            return []
        return [b.text for row in self.markup.inline_keyboard for b in row]


@dataclass
class Answer:
    """What a button press showed the presser."""

    text: str | None
    show_alert: bool
    url: str | None


class RecordingSession(BaseSession):
    """Records every call and answers it from the model of the chats (see the module doc)."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.calls: list[TelegramMethod[Any]] = []

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - the bot downloads nothing
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        try:
            result = self.world.answer(bot, method)
        except _Refused as refusal:
            body = Response[Any](ok=False, description=refusal.description, error_code=refusal.code)
            self.check_response(bot, method, refusal.code, body.model_dump_json())
            raise AssertionError("unreachable") from None
        body = Response[Any](ok=True, result=result)
        response = self.check_response(bot, method, 200, body.model_dump_json())
        return response.result  # type: ignore[return-value]


class _Refused(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description


def _value(bot: Bot, value: Any, name: str) -> Any:
    return bot.default[name] if isinstance(value, Default) else value


class World:
    """The chats as Telegram holds them, and the answers Telegram gives."""

    def __init__(self, bot_id: int, clock: FakeClock) -> None:
        self.bot_user = User(id=bot_id, is_bot=True, first_name="Spasibot", username=BOT_USERNAME)
        self.clock = clock
        self.people: dict[int, Person] = {}
        self.groups: dict[int, Group] = {}
        self.messages: dict[tuple[int, int], Shown] = {}
        self.answers: dict[str, Answer] = {}
        self._next_id: dict[int, itertools.count[int]] = {}

    def new_message_id(self, chat_id: int) -> int:
        return next(self._next_id.setdefault(chat_id, itertools.count(1)))

    def chat(self, chat_id: int) -> Chat:
        if chat_id in self.groups:
            return self.groups[chat_id].chat
        person = self.people.get(chat_id)
        return Chat(id=chat_id, type="private", first_name=person.first_name if person else "?")

    def message(self, shown: Shown) -> Message:
        sender = self.bot_user if shown.from_bot else shown.sender.user if shown.sender else None
        reply = None
        if shown.reply_to is not None and (shown.chat_id, shown.reply_to) in self.messages:
            reply = self.message(self.messages[shown.chat_id, shown.reply_to])
        return Message(
            message_id=shown.message_id,
            date=self.clock.now(),
            chat=self.chat(shown.chat_id),
            from_user=sender,
            text=shown.text,
            entities=_entities(shown.text) if not shown.from_bot else None,
            reply_markup=shown.markup,
            reply_to_message=reply,
        )

    # --- the Bot API -------------------------------------------------------------------------

    def answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            return self._send(bot, method)
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._edit(bot, method)
        if isinstance(method, DeleteMessage):
            shown = self._existing(int(method.chat_id), method.message_id, "to delete")
            shown.deleted = True
            return True
        if isinstance(method, AnswerCallbackQuery):
            self.answers[method.callback_query_id] = Answer(
                method.text, bool(method.show_alert), method.url
            )
            return True
        if isinstance(method, GetChatMember):
            return self._member(int(method.chat_id), method.user_id)
        if isinstance(method, GetMe):
            return self.bot_user
        if isinstance(method, SendDocument):
            return self._send_document(method)
        if method.__returning__ is bool:
            return True
        raise AssertionError(f"the recording session does not model {type(method).__name__}")

    def _check_can_write(self, chat_id: int) -> None:
        if chat_id in self.groups:
            return
        person = self.people.get(chat_id)
        if person is None or not person.started:
            raise _Refused(403, "Forbidden: bot can't initiate conversation with a user")
        if person.blocked:
            raise _Refused(403, "Forbidden: bot was blocked by the user")

    def _keep(self, chat_id: int, html: str, parse_mode: Any, markup: Any, **extra: Any) -> Shown:
        shown = Shown(
            chat_id=chat_id,
            message_id=self.new_message_id(chat_id),
            html=html,
            text=format_text(html, parse_mode, None).text,
            markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            from_bot=True,
            **extra,
        )
        self.messages[chat_id, shown.message_id] = shown
        return shown

    def _send(self, bot: Bot, method: SendMessage) -> Message:
        chat_id = int(method.chat_id)
        self._check_can_write(chat_id)
        reply_to = method.reply_to_message_id
        if method.reply_parameters is not None:
            reply_to = method.reply_parameters.message_id
        shown = self._keep(
            chat_id,
            method.text,
            _value(bot, method.parse_mode, "parse_mode"),
            method.reply_markup,
            reply_to=reply_to,
        )
        return self.message(shown)

    def _send_document(self, method: SendDocument) -> Message:
        chat_id = int(method.chat_id)
        self._check_can_write(chat_id)
        document = method.document
        assert isinstance(document, BufferedInputFile), "the bot sends files it built"
        shown = self._keep(chat_id, method.caption or "", "HTML", method.reply_markup)
        shown.document = document
        message = self.message(shown)
        return message.model_copy(
            update={
                "document": {
                    "file_id": f"doc{shown.message_id}",
                    "file_unique_id": f"u{shown.message_id}",
                    "file_name": document.filename,
                }
            }
        )

    def _existing(self, chat_id: int, message_id: int | None, what: str) -> Shown:
        shown = self.messages.get((chat_id, message_id or 0))
        if shown is None or shown.deleted:
            raise _Refused(400, f"Bad Request: message {what} not found")
        return shown

    def _edit(self, bot: Bot, method: EditMessageText | EditMessageReplyMarkup) -> Message:
        assert method.chat_id is not None, "the bot edits no inline messages"
        shown = self._existing(int(method.chat_id), method.message_id, "to edit")
        if not shown.from_bot:
            raise _Refused(400, "Bad Request: message can't be edited")
        markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        html = shown.html
        text = shown.text
        if isinstance(method, EditMessageText):
            html = method.text or ""
            text = format_text(html, _value(bot, method.parse_mode, "parse_mode"), None).text
        if text == shown.text and markup == shown.markup:
            raise _Refused(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        shown.html, shown.text, shown.markup = html, text, markup
        return self.message(shown)

    def _member(self, chat_id: int, user_id: int) -> Any:
        group = self.groups.get(chat_id)
        person = self.people.get(user_id)
        if group is None or person is None:
            raise _Refused(400, "Bad Request: chat not found")
        status = group.members.get(user_id, "left")
        if status == "creator":
            return ChatMemberOwner(user=person.user, is_anonymous=False)
        if status == "administrator":
            return ChatMemberAdministrator(
                user=person.user,
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_send_welcome_messages=False,
                can_pin_messages=True,
            )
        if status == "member":
            return ChatMemberMember(user=person.user)
        return ChatMemberLeft(user=person.user)


def _entities(text: str) -> list[MessageEntity] | None:
    """The entities a Telegram client marks in a typed text (commands, @mentions)."""
    found = [
        MessageEntity(
            type=kind,
            offset=utf16_len(text[: match.start()]),
            length=utf16_len(match.group(0)),
        )
        for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention"))
        for match in regex.finditer(text)
    ]
    return sorted(found, key=lambda e: e.offset) or None


class Pipeline:
    """Users, chats and the updates they cause, fed to the real Dispatcher in process."""

    def __init__(self, app: Application, session: RecordingSession, clock: FakeClock) -> None:
        self.app = app
        self.bot = app.bot
        self.dp = app.dp
        self.session = session
        self.world = session.world
        self.clock = clock
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # --- the world --------------------------------------------------------------------------

    def person(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> Person:
        person = Person(next(self._user_ids), first_name, last_name, username, language_code)
        self.world.people[person.id] = person
        return person

    def group(self, title: str, *, members: list[Person], admins: list[Person]) -> Group:
        group = Group(-1_000_000_000_000 - next(self._group_ids), title)
        for person in members:
            group.members[person.id] = "member"
        for index, person in enumerate(admins):
            group.members[person.id] = "creator" if index == 0 else "administrator"
        self.world.groups[group.id] = group
        return group

    # --- updates ----------------------------------------------------------------------------

    async def feed(self, **event: Any) -> None:
        update = Update(update_id=next(self._update_ids), **event)
        await self.dp.feed_update(self.bot, update)  # mounted on the bot there

    async def send(
        self,
        person: Person,
        text: str,
        *,
        chat: Group | None = None,
        reply_to: Shown | None = None,
    ) -> Shown:
        """``person`` writes ``text`` in their private chat or in ``chat``; replies are
        to messages kept in the model."""
        chat_id = chat.id if chat is not None else person.id
        if chat is None and text.split()[0] == "/start":
            person.started = True
            person.blocked = False
        shown = Shown(
            chat_id=chat_id,
            message_id=self.world.new_message_id(chat_id),
            html=text,
            text=text,
            markup=None,
            from_bot=False,
            sender=person,
            reply_to=reply_to.message_id if reply_to is not None else None,
        )
        self.world.messages[chat_id, shown.message_id] = shown
        await self.feed(message=self.world.message(shown))
        return shown

    async def start(self, person: Person, payload: str | None = None) -> Shown:
        """/start in private; returns the bot's first answer."""
        before = self.mark()
        await self.send(person, "/start" if payload is None else f"/start {payload}")
        return self.sent_since(before, person.id)[0]

    async def press(self, person: Person, message: Shown, label: str) -> Answer:
        """Press the button labelled ``label`` under ``message`` as it is now."""
        current = self.current(message)
        for row in current.markup.inline_keyboard if current.markup else []:
            for button in row:
                if button.text == label:
                    assert button.callback_data is not None, f"{label!r} is not a callback button"
                    return await self.press_data(person, current, button.callback_data)
        raise AssertionError(f"no button {label!r}; buttons: {current.labels()}")

    async def press_data(self, person: Person, message: Shown, data: str) -> Answer:
        """A press with any ``data`` from ``message`` (a modified client can send any)."""
        query_id = str(next(self._query_ids))
        query = CallbackQuery(
            id=query_id,
            from_user=person.user,
            chat_instance=str(message.chat_id),
            message=self.world.message(self.current(message)),
            data=data,
        )
        await self.feed(callback_query=query)
        answer = self.world.answers.get(query_id)
        assert answer is not None, f"the press {data!r} was not answered"
        return answer

    async def add_bot(self, group: Group, *, by: Person) -> None:
        """``by`` adds the bot to ``group`` (the bot is then a member)."""
        event = ChatMemberUpdated(
            chat=group.chat,
            from_user=by.user,
            date=self.clock.now(),
            old_chat_member=ChatMemberLeft(user=self.world.bot_user),
            new_chat_member=ChatMemberMember(user=self.world.bot_user),
        )
        await self.feed(my_chat_member=event)

    # --- what the bot said ------------------------------------------------------------------

    def current(self, message: Shown) -> Shown:
        return self.world.messages[message.chat_id, message.message_id]

    def in_chat(self, chat_id: int) -> list[Shown]:
        """The bot's messages in a chat (the deleted ones too, marked), oldest first."""
        return [
            m for (c, _), m in sorted(self.world.messages.items()) if c == chat_id and m.from_bot
        ]

    def last(self, chat_id: int) -> Shown:
        said = [m for m in self.in_chat(chat_id) if not m.deleted]
        assert said, f"the bot said nothing in {chat_id}"
        return said[-1]

    def mark(self) -> int:
        """A point in the bot's history, for :meth:`sent_since`."""
        return len(self.world.messages)

    def sent_since(self, mark: int, chat_id: int | None = None) -> list[Shown]:
        """The messages the bot sent after ``mark``, optionally to one chat."""
        return [
            m
            for m in list(self.world.messages.values())[mark:]
            if m.from_bot and (chat_id is None or m.chat_id == chat_id)
        ]

    def calls_of(self, kind: type[TelegramMethod[Any]]) -> list[Any]:
        return [call for call in self.session.calls if isinstance(call, kind)]

    async def said(self, person_or_chat: Person | Group, action: Any) -> list[Shown]:
        """Run ``action`` (an awaitable) and return what the bot sent to that chat meanwhile."""
        before = self.mark()
        await action
        return self.sent_since(before, person_or_chat.id)

    async def drain(self) -> None:
        """Send what the ledger holds due now (the receivers' DMs, announcements ...) and
        record the outcomes, through the application's own drainer. The drainer also runs in
        the background as in production, so a row may go out before this is called: assert
        ledger sends after ``drain()``, never that they have not happened yet."""
        await self.app.drainer.drain(timeout=10)
