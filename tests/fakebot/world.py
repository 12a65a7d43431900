"""The simulated Telegram world: users, chats, stored messages, polls, callback queries.

Everything the bot can observe is built from this state with aiogram's own types. User
actions (``FakeUser.start_bot()``, ``.send()``, ``.press()``...) change the state and enqueue
the updates Telegram would send to the bot.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiogram.types import (
    AcceptedGiftTypes,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberUpdated,
    Document,
    InlineKeyboardMarkup,
    InlineQuery,
    Message,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginUser,
    PhotoSize,
    Poll,
    PollAnswer,
    PollOption,
    ReplyKeyboardMarkup,
    User,
)

from .clock import Clock
from .errors import bad_request, forbidden
from .flood import FloodController
from .formatting import utf16_len
from .updates import ChangeSignal, UpdateQueue, to_datetime
from .validation import MAX_TEXT_LENGTH, START_PAYLOAD_RE

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]
ChatMemberUnion = (
    ChatMemberOwner | ChatMemberAdministrator | ChatMemberMember | ChatMemberLeft | ChatMemberBanned
)
IN_CHAT: frozenset[str] = frozenset({"creator", "administrator", "member"})

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?(?![\w/@])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")
_URL_RE = re.compile(r"(?<![\w/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


@dataclass
class CallbackAnswer:
    """What the bot answered to a callback query (answerCallbackQuery)."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None = None


@dataclass
class ApiCall:
    """One Bot API call the bot made, with its outcome."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    at: float


@dataclass(eq=False)
class FileRecord:
    file_id: str
    file_unique_id: str
    kind: Literal["document", "photo"]
    file_name: str | None
    mime_type: str | None
    data: bytes
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def as_document(self) -> Document:
        return Document(
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            file_name=self.file_name,
            mime_type=self.mime_type,
            file_size=self.size,
        )

    def as_photo(self) -> list[PhotoSize]:
        return [
            PhotoSize(
                file_id=self.file_id,
                file_unique_id=self.file_unique_id,
                width=self.width,
                height=self.height,
                file_size=self.size,
            )
        ]


@dataclass(eq=False)
class PollOptionState:
    text: str
    entities: list[MessageEntity]
    persistent_id: str
    voters: set[int] = field(default_factory=set)


@dataclass(eq=False)
class PollState:
    id: str
    question: str
    question_entities: list[MessageEntity]
    options: list[PollOptionState]
    is_anonymous: bool
    type: str
    allows_multiple_answers: bool
    allows_revoting: bool
    correct_option_ids: list[int] | None
    explanation: str | None
    explanation_entities: list[MessageEntity]
    open_period: int | None
    close_date: int | None
    closes_at: float | None
    is_closed: bool
    chat_id: int
    message_id: int
    votes: dict[int, list[int]] = field(default_factory=dict)

    def closed(self, now: float) -> bool:
        return self.is_closed or (self.closes_at is not None and now >= self.closes_at)

    def build(self, now: float) -> Poll:
        return Poll(
            id=self.id,
            question=self.question,
            question_entities=self.question_entities or None,
            options=[
                PollOption(
                    persistent_id=option.persistent_id,
                    text=option.text,
                    text_entities=option.entities or None,
                    voter_count=len(option.voters),
                )
                for option in self.options
            ],
            total_voter_count=sum(1 for chosen in self.votes.values() if chosen),
            is_closed=self.closed(now),
            is_anonymous=self.is_anonymous,
            type=self.type,
            allows_multiple_answers=self.allows_multiple_answers,
            allows_revoting=self.allows_revoting,
            members_only=False,
            correct_option_ids=self.correct_option_ids,
            explanation=self.explanation,
            explanation_entities=self.explanation_entities or None,
            open_period=self.open_period,
            close_date=to_datetime(self.close_date) if self.close_date is not None else None,
        )


@dataclass(eq=False)
class StoredMessage:
    chat: FakeChat
    message_id: int
    date: int
    sender: FakeUser | None  # None: sent by the bot (or a channel post)
    from_bot: bool
    text: str | None = None
    entities: list[MessageEntity] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[MessageEntity] = field(default_factory=list)
    inline_markup: InlineKeyboardMarkup | None = None
    reply_to: StoredMessage | None = None
    poll: PollState | None = None
    document: FileRecord | None = None
    photo: FileRecord | None = None
    new_chat_members: list[User] | None = None
    left_chat_member: User | None = None
    migrate_to_chat_id: int | None = None
    migrate_from_chat_id: int | None = None
    forward_origin: MessageOriginUser | MessageOriginChat | MessageOriginChannel | None = None
    protected: bool = False
    edit_date: int | None = None
    deleted: bool = False

    @property
    def is_service(self) -> bool:
        return (
            self.new_chat_members is not None
            or self.left_chat_member is not None
            or self.migrate_to_chat_id is not None
            or self.migrate_from_chat_id is not None
        )

    def build(self, world: World, *, with_reply: bool = True) -> Message:
        chat = self.chat
        from_user: User | None
        sender_chat: Chat | None = None
        if chat.type == "channel":
            from_user = None
            sender_chat = chat.as_chat()
        elif self.from_bot:
            from_user = world.bot_user
        else:
            from_user = self.sender.as_user() if self.sender is not None else None
        reply = (
            self.reply_to.build(world, with_reply=False)
            if with_reply and self.reply_to is not None
            else None
        )
        return Message(
            message_id=self.message_id,
            date=to_datetime(self.date),
            chat=chat.as_chat(),
            from_user=from_user,
            sender_chat=sender_chat,
            text=self.text,
            entities=self.entities or None,
            caption=self.caption,
            caption_entities=self.caption_entities or None,
            reply_markup=self.inline_markup,
            reply_to_message=reply,
            poll=self.poll.build(world.clock.monotonic()) if self.poll is not None else None,
            document=self.document.as_document() if self.document is not None else None,
            photo=self.photo.as_photo() if self.photo is not None else None,
            new_chat_members=self.new_chat_members,
            left_chat_member=self.left_chat_member,
            migrate_to_chat_id=self.migrate_to_chat_id,
            migrate_from_chat_id=self.migrate_from_chat_id,
            forward_origin=self.forward_origin,
            has_protected_content=True if self.protected else None,
            edit_date=self.edit_date,
        )


@dataclass(eq=False)
class CallbackQueryState:
    id: str
    user: FakeUser
    message: StoredMessage
    data: str
    created_at: float
    answer: CallbackAnswer | None = None


@dataclass(eq=False)
class InlineQueryState:
    id: str
    user: FakeUser
    query: str
    created_at: float
    results: list[dict[str, Any]] | None = None


class FakeChat:
    """A chat of the simulated world (private chat with the bot, group, supergroup, channel)."""

    def __init__(
        self,
        world: World,
        chat_id: int,
        chat_type: ChatType,
        *,
        title: str | None = None,
        username: str | None = None,
        user: FakeUser | None = None,
    ) -> None:
        self._world = world
        self.id = chat_id
        self.type: ChatType = chat_type
        self.title = title
        self.username = username
        self.user = user
        self.members: dict[int, MemberStatus] = {}
        self.bot_status: MemberStatus = "left"
        self.owner: FakeUser | None = None
        self.messages: dict[int, StoredMessage] = {}
        self.reply_keyboard: ReplyKeyboardMarkup | None = None
        self.last_action: str | None = None
        self._next_message_id = 1
        self.bot_cursor = 0

    def __repr__(self) -> str:
        name = self.title if self.type != "private" else (self.user.first_name if self.user else "")
        return f"FakeChat({self.type} {self.id} {name!r})"

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def allocate_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def as_chat(self) -> Chat:
        if self.type == "private" and self.user is not None:
            return Chat(
                id=self.id,
                type="private",
                first_name=self.user.first_name,
                last_name=self.user.last_name,
                username=self.user.username,
            )
        return Chat(id=self.id, type=self.type, title=self.title, username=self.username)

    def full_info(self) -> ChatFullInfo:
        base = self.as_chat()
        return ChatFullInfo(
            **base.model_dump(exclude_none=True),
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=AcceptedGiftTypes(
                unlimited_gifts=False,
                limited_gifts=False,
                unique_gifts=False,
                premium_subscription=False,
                gifts_from_channels=False,
            ),
        )

    def status_of(self, user: FakeUser) -> MemberStatus:
        return self.members.get(user.id, "left")

    def live_messages(self) -> list[StoredMessage]:
        return [m for m in self.messages.values() if not m.deleted]


class FakeUser:
    """A Telegram user played by a test. Create with ``FakeTelegram.user()``."""

    def __init__(
        self,
        world: World,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self._world = world
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = False
        self.blocked = False
        self.private = FakeChat(world, user_id, "private", user=self)

    def __repr__(self) -> str:
        return f"FakeUser({self.id} {self.first_name!r})"

    def as_user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )

    # --- actions --------------------------------------------------------------------------
    def start_bot(self, payload: str | None = None) -> Message:
        """Press Start (or open a t.me/bot?start=payload link): sends /start [payload]."""
        return self._world.user_start(self, payload)

    def send(
        self, text: str, chat: FakeChat | None = None, reply_to: Message | None = None
    ) -> Message:
        """Send a text message (to the private chat with the bot by default)."""
        return self._world.user_send(self, text, chat or self.private, reply_to)

    def forward(self, text: str, author: FakeUser) -> Message:
        """Forward to the bot (in private) a message ``author`` wrote a minute ago."""
        return self._world.user_forward(self, text, author, self._world.now_date() - 60)

    async def press(self, message: Message, label: str, timeout: float = 5.0) -> CallbackAnswer:
        """Press the inline button labelled ``label``; wait for the bot's answerCallbackQuery."""
        query_id = self._world.user_press(self, message, label)
        return await self._world.wait_callback_answer(query_id, timeout)

    def press_data(self, message: Message, callback_data: str) -> str:
        """Forge a callback query with arbitrary data on ``message``; returns the query id."""
        stored = self._world.stored(message)
        self._world.check_can_see(self, stored.chat)
        return self._world.push_callback_query(self, stored, callback_data)

    def answer_poll(self, message_or_poll_id: Message | str, option_ids: list[int]) -> None:
        """Vote in a non-anonymous poll the bot sent (an empty list retracts the vote)."""
        self._world.user_vote(self, message_or_poll_id, option_ids)

    def block_bot(self) -> None:
        self._world.user_block(self, blocked=True)

    def unblock_bot(self) -> None:
        self._world.user_block(self, blocked=False)

    def inline_query(self, query: str, offset: str = "") -> str:
        """Type ``@bot query`` in any chat; returns the inline query id."""
        return self._world.user_inline_query(self, query, offset)


class World:
    """All state of the fake Telegram, shared by the HTTP server and the test helpers."""

    def __init__(
        self,
        *,
        token: str,
        bot_username: str,
        bot_name: str,
        clock: Clock,
        flood: FloodController | None,
        privacy_mode: bool,
        callback_query_ttl: float,
    ) -> None:
        bot_id_text, _, secret = token.partition(":")
        if not bot_id_text.isdigit() or not secret:
            raise ValueError("a bot token looks like '<digits>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id_text)
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.clock = clock
        self.flood = flood
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.bot_user = User(
            id=self.bot_id, is_bot=True, first_name=bot_name, username=bot_username
        )
        self.signal = ChangeSignal()
        self.updates = UpdateQueue(self.signal)
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.files: dict[str, FileRecord] = {}
        self.polls: dict[str, PollState] = {}
        self.callback_queries: dict[str, CallbackQueryState] = {}
        self.inline_queries: dict[str, InlineQueryState] = {}
        self.commands: dict[tuple[str, str], list[Any]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.calls: list[ApiCall] = []
        self._user_ids = itertools.count(1_000_001)
        self._owner_ids = itertools.count(7_000_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._channel_ids = itertools.count(2_000_000_001)
        self._query_ids = itertools.count(4_242_000_000_001)
        self._file_ids = itertools.count(1)
        self._poll_ids = itertools.count(5_000_000_000_001)

    # --- helpers --------------------------------------------------------------------------
    @staticmethod
    def now_date() -> int:
        return int(time.time())

    def new_file_ids(self, kind: str) -> tuple[str, str]:
        number = next(self._file_ids)
        return f"FAKE{kind.upper()}{number:08d}{self.bot_id}", f"U{kind[:3]}{number:06d}"

    def new_poll_id(self) -> str:
        return str(next(self._poll_ids))

    def resolve_user(self, user_id: int) -> User | None:
        if user_id == self.bot_id:
            return self.bot_user
        user = self.users.get(user_id)
        return user.as_user() if user is not None else None

    def chat_by_username(self, username: str) -> FakeChat | None:
        wanted = username.lower()
        for chat in self.chats.values():
            if chat.username is not None and chat.username.lower() == wanted:
                return chat
        return None

    def stored(self, message: Message) -> StoredMessage:
        chat = self.chats.get(message.chat.id)
        stored = chat.messages.get(message.message_id) if chat is not None else None
        if stored is None or stored.deleted:
            raise AssertionError(
                f"message {message.message_id} in chat {message.chat.id} does not exist "
                "(deleted, or not from this fake)"
            )
        return stored

    def chat_instance(self, chat: FakeChat) -> str:
        return str((chat.id * 2_654_435_761 + self.bot_id) % (2**62))

    # --- world building -------------------------------------------------------------------
    def add_user(
        self,
        first_name: str,
        *,
        username: str | None,
        language_code: str | None,
        last_name: str | None,
    ) -> FakeUser:
        user = FakeUser(
            self,
            next(self._user_ids),
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        self.chats[user.id] = user.private
        return user

    def add_group(
        self,
        title: str,
        *,
        members: list[FakeUser],
        admins: list[FakeUser],
        supergroup: bool,
        username: str | None,
        owner: FakeUser | None,
    ) -> FakeChat:
        group_number = next(self._group_ids)
        channel_number = next(self._channel_ids)
        chat_id = -1_000_000_000_000 - channel_number if supergroup else -group_number
        if username is not None and not supergroup:
            raise ValueError("only supergroups can have a username")
        chat = FakeChat(
            self, chat_id, "supergroup" if supergroup else "group", title=title, username=username
        )
        everyone = list(dict.fromkeys([*([owner] if owner else []), *admins, *members]))
        if not everyone:
            raise ValueError("a group needs at least one member")
        chat.owner = owner or (admins[0] if admins else everyone[0])
        for user in everyone:
            chat.members[user.id] = "member"
        for user in admins:
            chat.members[user.id] = "administrator"
        chat.members[chat.owner.id] = "creator"
        self.chats[chat_id] = chat
        return chat

    def add_channel(
        self, title: str, *, username: str | None, bot_is_admin: bool, owner: FakeUser | None
    ) -> FakeChat:
        chat_id = -1_000_000_000_000 - next(self._channel_ids)
        chat = FakeChat(self, chat_id, "channel", title=title, username=username)
        if owner is None:
            # a synthetic owner, outside the ids of tg.user() so test users keep their ids
            owner = FakeUser(self, next(self._owner_ids), f"{title} owner")
            self.users[owner.id] = owner
        chat.owner = owner
        chat.members[chat.owner.id] = "creator"
        chat.bot_status = "administrator" if bot_is_admin else "left"
        self.chats[chat_id] = chat
        return chat

    # --- chat members ---------------------------------------------------------------------
    def bot_member(self, chat: FakeChat, status: MemberStatus | None = None) -> ChatMemberUnion:
        return self.member_object(chat, self.bot_user, status or chat.bot_status, is_bot=True)

    def member_object(
        self, chat: FakeChat, user: User, status: MemberStatus, *, is_bot: bool = False
    ) -> ChatMemberUnion:
        if status == "creator":
            return ChatMemberOwner(user=user, is_anonymous=False)
        if status == "administrator":
            channel = chat.type == "channel"
            return ChatMemberAdministrator(
                user=user,
                can_be_edited=is_bot,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=channel,
                can_edit_stories=channel,
                can_delete_stories=channel,
                can_send_welcome_messages=False,
                can_post_messages=True if channel else None,
                can_edit_messages=True if channel else None,
                can_pin_messages=None if channel else True,
            )
        if status == "member":
            return ChatMemberMember(user=user)
        if status == "kicked":
            return ChatMemberBanned(user=user, until_date=to_datetime(0))
        return ChatMemberLeft(user=user)

    def push_my_chat_member(
        self, chat: FakeChat, by: FakeUser | None, old: MemberStatus, new: MemberStatus
    ) -> None:
        self.updates.push(
            "my_chat_member",
            ChatMemberUpdated(
                chat=chat.as_chat(),
                from_user=by.as_user() if by is not None else self.bot_user,
                date=to_datetime(self.now_date()),
                old_chat_member=self.bot_member(chat, old),
                new_chat_member=self.bot_member(chat, new),
            ),
        )

    def push_chat_member(
        self, chat: FakeChat, user: FakeUser, old: MemberStatus, new: MemberStatus
    ) -> None:
        if chat.bot_status != "administrator":
            return  # chat_member updates go only to administrators
        self.updates.push(
            "chat_member",
            ChatMemberUpdated(
                chat=chat.as_chat(),
                from_user=user.as_user(),
                date=to_datetime(self.now_date()),
                old_chat_member=self.member_object(chat, user.as_user(), old),
                new_chat_member=self.member_object(chat, user.as_user(), new),
            ),
        )

    def set_bot_status(self, chat: FakeChat, status: MemberStatus, by: FakeUser | None) -> None:
        old = chat.bot_status
        if old == status:
            return
        chat.bot_status = status
        self.push_my_chat_member(chat, by, old, status)

    def add_bot_to_group(self, chat: FakeChat, by: FakeUser, *, as_admin: bool) -> None:
        if not chat.is_group:
            raise AssertionError(f"{chat!r} is not a group")
        role = chat.status_of(by)
        if role not in IN_CHAT:
            raise AssertionError(f"{by!r} is not a member of {chat!r}")
        if (as_admin or chat.bot_status == "kicked") and role not in ("creator", "administrator"):
            raise AssertionError(f"{by!r} is not an administrator of {chat!r}")
        if chat.bot_status in ("member", "administrator"):
            raise AssertionError(f"the bot is already in {chat!r}")
        self.set_bot_status(chat, "administrator" if as_admin else "member", by)
        self.add_service_message(chat, by, new_chat_members=[self.bot_user])

    def remove_bot_from_group(self, chat: FakeChat, by: FakeUser) -> None:
        if chat.bot_status not in ("member", "administrator"):
            raise AssertionError(f"the bot is not in {chat!r}")
        if chat.status_of(by) not in ("creator", "administrator"):
            raise AssertionError(f"{by!r} is not an administrator of {chat!r}")
        self.set_bot_status(chat, "kicked", by)
        self.add_service_message(chat, by, left_chat_member=self.bot_user)

    def bot_left(self, chat: FakeChat) -> None:
        self.set_bot_status(chat, "left", None)

    def set_bot_admin(self, chat: FakeChat, is_admin: bool) -> None:
        if chat.type == "channel":
            self.set_bot_status(chat, "administrator" if is_admin else "left", chat.owner)
            return
        if not chat.is_group:
            raise AssertionError("the bot can only be promoted in groups and channels")
        if chat.bot_status not in ("member", "administrator"):
            raise AssertionError(f"the bot is not in {chat!r}; add it first")
        self.set_bot_status(chat, "administrator" if is_admin else "member", chat.owner)

    def join_group(self, chat: FakeChat, user: FakeUser) -> Message:
        if not chat.is_group:
            raise AssertionError(f"{chat!r} is not a group")
        old = chat.status_of(user)
        if old in IN_CHAT:
            raise AssertionError(f"{user!r} is already in {chat!r}")
        chat.members[user.id] = "member"
        message = self.add_service_message(chat, user, new_chat_members=[user.as_user()])
        self.push_chat_member(chat, user, old, "member")
        return message

    def leave_group(self, chat: FakeChat, user: FakeUser) -> Message:
        old = chat.status_of(user)
        if old not in IN_CHAT:
            raise AssertionError(f"{user!r} is not in {chat!r}")
        if old == "creator":
            raise AssertionError("the owner cannot leave in this fake")
        chat.members[user.id] = "left"
        message = self.add_service_message(chat, user, left_chat_member=user.as_user())
        self.push_chat_member(chat, user, old, "left")
        return message

    def migrate_group(self, chat: FakeChat, by: FakeUser) -> FakeChat:
        """Upgrade a basic group to a supergroup, as Telegram does: a new chat with a new
        id and the same people; the old group gets ``migrate_to_chat_id``, the new one
        ``migrate_from_chat_id`` (both service messages reach the bot), and the bot can no
        longer write to the old one."""
        if chat.type != "group":
            raise AssertionError(f"{chat!r} is not a basic group")
        new = FakeChat(
            self, -1_000_000_000_000 - next(self._channel_ids), "supergroup", title=chat.title
        )
        new.members = dict(chat.members)
        new.owner = chat.owner
        new.bot_status = chat.bot_status
        self.chats[new.id] = new
        self.add_service_message(chat, by, migrate_to_chat_id=new.id)
        self.add_service_message(new, by, migrate_from_chat_id=chat.id)
        chat.bot_status = "left"
        return new

    def add_service_message(
        self,
        chat: FakeChat,
        by: FakeUser,
        *,
        new_chat_members: list[User] | None = None,
        left_chat_member: User | None = None,
        migrate_to_chat_id: int | None = None,
        migrate_from_chat_id: int | None = None,
    ) -> Message:
        stored = StoredMessage(
            chat=chat,
            message_id=chat.allocate_message_id(),
            date=self.now_date(),
            sender=by,
            from_bot=False,
            new_chat_members=new_chat_members,
            left_chat_member=left_chat_member,
            migrate_to_chat_id=migrate_to_chat_id,
            migrate_from_chat_id=migrate_from_chat_id,
        )
        chat.messages[stored.message_id] = stored
        built = stored.build(self)
        if self.bot_receives(chat, stored):
            self.updates.push("message", built)
        self.signal.notify()
        return built

    # --- what the bot may do --------------------------------------------------------------
    def check_bot_can_write(self, chat: FakeChat) -> None:
        if chat.type == "private":
            user = chat.user
            if user is None:
                raise bad_request("chat not found")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        kind = "channel" if chat.type == "channel" else chat.type
        if chat.type == "channel":
            if chat.bot_status != "administrator":
                raise forbidden("bot is not a member of the channel chat")
            return
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot_status not in ("member", "administrator"):
            raise forbidden(f"bot is not a member of the {kind} chat")

    def check_bot_can_read(self, chat: FakeChat) -> None:
        """getChat / getChatMember...: like writing, but public chats are readable."""
        if chat.type == "private":
            user = chat.user
            if user is None or not (user.started or user.blocked):
                raise bad_request("chat not found")
            return
        if chat.type == "channel" and chat.username:
            return
        self.check_bot_can_write(chat)

    def bot_receives(self, chat: FakeChat, stored: StoredMessage) -> bool:
        """Whether Telegram would deliver a user's message in ``chat`` to the bot."""
        if chat.type == "private":
            return chat.user is not None and chat.user.started and not chat.user.blocked
        if chat.bot_status not in ("member", "administrator"):
            return False
        if chat.bot_status == "administrator" or not self.privacy_mode or stored.is_service:
            return True
        if stored.reply_to is not None and stored.reply_to.from_bot:
            return True
        text = stored.text or ""
        match = re.match(r"/[A-Za-z0-9_]{1,32}(?:@([A-Za-z0-9_]{1,32}))?(?!\w)", text)
        if match is None:
            return False
        target = match.group(1)
        return target is None or target.lower() == self.bot_username.lower()

    # --- user actions ---------------------------------------------------------------------
    def check_can_see(self, user: FakeUser, chat: FakeChat) -> None:
        if chat.type == "private":
            if chat is not user.private:
                raise AssertionError(f"{user!r} cannot see another user's private chat")
            return
        if chat.status_of(user) not in IN_CHAT:
            raise AssertionError(f"{user!r} is not a member of {chat!r}")

    def _auto_entities(self, text: str) -> list[MessageEntity]:
        found: list[MessageEntity] = []
        for regex, kind in (
            (_COMMAND_RE, "bot_command"),
            (_MENTION_RE, "mention"),
            (_URL_RE, "url"),
        ):
            for match in regex.finditer(text):
                found.append(
                    MessageEntity(
                        type=kind,
                        offset=utf16_len(text[: match.start()]),
                        length=utf16_len(match.group(0)),
                    )
                )
        return sorted(found, key=lambda e: (e.offset, -e.length))

    def _user_message(
        self,
        user: FakeUser,
        chat: FakeChat,
        text: str,
        reply_to: Message | None,
        origin: MessageOriginUser | None = None,
    ) -> Message:
        if not text.strip():
            raise AssertionError("Telegram clients do not send empty messages")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise AssertionError("Telegram clients split messages longer than 4096 characters")
        target: StoredMessage | None = None
        if reply_to is not None:
            if reply_to.chat.id != chat.id:
                raise AssertionError("reply_to must be a message of the same chat")
            target = self.stored(reply_to)
        stored = StoredMessage(
            chat=chat,
            message_id=chat.allocate_message_id(),
            date=self.now_date(),
            sender=user,
            from_bot=False,
            text=text,
            entities=self._auto_entities(text),
            reply_to=target,
            forward_origin=origin,
        )
        chat.messages[stored.message_id] = stored
        built = stored.build(self)
        if self.bot_receives(chat, stored):
            self.updates.push("message", built)
        self.signal.notify()
        return built

    def user_start(self, user: FakeUser, payload: str | None) -> Message:
        if payload is not None and not START_PAYLOAD_RE.fullmatch(payload):
            raise AssertionError(
                "a start payload is 1-64 characters of A-Z, a-z, 0-9, _ and - "
                f"(Telegram clients drop anything else): {payload!r}"
            )
        if user.blocked:
            user.blocked = False
            self.push_my_chat_member(user.private, user, "kicked", "member")
        user.started = True
        text = "/start" if payload is None else f"/start {payload}"
        return self._user_message(user, user.private, text, None)

    def user_send(
        self, user: FakeUser, text: str, chat: FakeChat, reply_to: Message | None
    ) -> Message:
        if chat.type == "private":
            if chat is not user.private:
                raise AssertionError(f"{user!r} can only write in their own chat with the bot")
            if user.blocked:
                raise AssertionError(f"{user!r} blocked the bot; call unblock_bot() or start_bot()")
            if not user.started:
                if text == "/start" or text.startswith("/start "):
                    payload = text[len("/start ") :].strip() or None
                    return self.user_start(user, payload)
                raise AssertionError(
                    f"{user!r} has not started the bot: Telegram shows a START button, "
                    "call start_bot() first"
                )
        elif chat.type == "channel":
            raise AssertionError("users cannot write in a channel in this fake")
        else:
            self.check_can_see(user, chat)
        return self._user_message(user, chat, text, reply_to)

    def user_forward(self, user: FakeUser, text: str, author: FakeUser, sent_at: int) -> Message:
        """``user`` forwards to the bot a message ``author`` wrote at ``sent_at`` (a client's
        thanks): the bot gets it with ``forward_origin`` naming the author."""
        if not user.started or user.blocked:
            raise AssertionError(f"{user!r} cannot write to the bot now")
        origin = MessageOriginUser(type="user", date=sent_at, sender_user=author.as_user())
        return self._user_message(user, user.private, text, None, origin)

    def user_press(self, user: FakeUser, message: Message, label: str) -> str:
        stored = self.stored(message)
        self.check_can_see(user, stored.chat)
        markup = stored.inline_markup
        buttons = [button for row in markup.inline_keyboard for button in row] if markup else []
        labels = [button.text for button in buttons]
        for button in buttons:
            if button.text == label:
                if button.callback_data is None:
                    raise AssertionError(
                        f"button {label!r} is not a callback button: "
                        f"{button.model_dump(exclude_none=True)}"
                    )
                return self.push_callback_query(user, stored, button.callback_data)
        raise AssertionError(
            f"no button {label!r} in message {stored.message_id} of {stored.chat!r}; "
            f"buttons: {labels}"
        )

    def push_callback_query(self, user: FakeUser, stored: StoredMessage, data: str) -> str:
        query_id = str(next(self._query_ids))
        self.callback_queries[query_id] = CallbackQueryState(
            id=query_id, user=user, message=stored, data=data, created_at=self.clock.monotonic()
        )
        self.updates.push(
            "callback_query",
            CallbackQuery(
                id=query_id,
                from_user=user.as_user(),
                chat_instance=self.chat_instance(stored.chat),
                message=stored.build(self),
                data=data,
            ),
        )
        return query_id

    async def wait_callback_answer(self, query_id: str, timeout: float) -> CallbackAnswer:
        state = self.callback_queries.get(query_id)
        if state is None:
            raise AssertionError(f"unknown callback query {query_id}")
        loop_deadline = time.monotonic() + timeout
        while state.answer is None:
            remaining = loop_deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"the bot did not answer callback query {query_id} (data={state.data!r}, "
                    f"from {state.user!r}) within {timeout}s; "
                    f"{len(self.updates.pending)} update(s) still unconfirmed"
                )
            await self.signal.wait(remaining)
        return state.answer

    def user_vote(self, user: FakeUser, target: Message | str, option_ids: list[int]) -> None:
        if isinstance(target, str):
            poll = self.polls.get(target)
            if poll is None:
                raise AssertionError(f"no poll {target!r} was sent by the bot")
        else:
            stored = self.stored(target)
            if stored.poll is None:
                raise AssertionError("that message has no poll")
            poll = stored.poll
        chat = self.chats[poll.chat_id]
        self.check_can_see(user, chat)
        if poll.is_anonymous:
            raise AssertionError("the poll is anonymous: the bot gets no poll_answer for it")
        if poll.closed(self.clock.monotonic()):
            raise AssertionError("the poll is closed")
        if len(set(option_ids)) != len(option_ids) or any(
            not 0 <= index < len(poll.options) for index in option_ids
        ):
            raise AssertionError(f"bad option ids {option_ids} for {len(poll.options)} options")
        if len(option_ids) > 1 and not poll.allows_multiple_answers:
            raise AssertionError("the poll allows only one answer")
        previous = poll.votes.get(user.id, [])
        if previous and not poll.allows_revoting:
            raise AssertionError("the poll does not allow changing the vote")
        if not option_ids and not previous:
            raise AssertionError("nothing to retract")
        for index in previous:
            poll.options[index].voters.discard(user.id)
        for index in option_ids:
            poll.options[index].voters.add(user.id)
        poll.votes[user.id] = sorted(option_ids)
        self.updates.push(
            "poll_answer",
            PollAnswer(
                poll_id=poll.id,
                option_ids=sorted(option_ids),
                option_persistent_ids=[poll.options[i].persistent_id for i in sorted(option_ids)],
                user=user.as_user(),
            ),
        )
        self.updates.push("poll", poll.build(self.clock.monotonic()))

    def user_block(self, user: FakeUser, *, blocked: bool) -> None:
        if user.blocked == blocked:
            return
        user.blocked = blocked
        if blocked:
            self.push_my_chat_member(user.private, user, "member", "kicked")
        else:
            self.push_my_chat_member(user.private, user, "kicked", "member")

    def user_inline_query(self, user: FakeUser, query: str, offset: str) -> str:
        query_id = str(next(self._query_ids))
        self.inline_queries[query_id] = InlineQueryState(
            id=query_id, user=user, query=query, created_at=self.clock.monotonic()
        )
        self.updates.push(
            "inline_query",
            InlineQuery(id=query_id, from_user=user.as_user(), query=query, offset=offset),
        )
        return query_id
