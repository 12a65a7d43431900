"""The Bot API methods the fake implements, operating on the :class:`World`."""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import (
    BotCommand,
    BotDescription,
    BotName,
    BotShortDescription,
    InlineKeyboardMarkup,
    InputPollOption,
    MessageEntity,
    MessageId,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginUser,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
    WebhookInfo,
)
from yarl import URL

from .errors import (
    GET_UPDATES_CONFLICT,
    MESSAGE_NOT_MODIFIED,
    QUERY_TOO_OLD,
    WEBHOOK_ACTIVE_CONFLICT,
    ApiError,
    bad_request,
    conflict,
    too_many_requests,
)
from .flood import COUNTED_METHODS
from .formatting import FormattedText, format_text, utf16_len
from .updates import dump, to_datetime
from .validation import (
    CHAT_ACTIONS,
    MAX_BOT_DESCRIPTION_LENGTH,
    MAX_BOT_NAME_LENGTH,
    MAX_BOT_SHORT_DESCRIPTION_LENGTH,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_GET_UPDATES_LIMIT,
    MAX_INLINE_RESULT_ID_BYTES,
    MAX_INLINE_RESULTS,
    MAX_PHOTO_BYTES,
    MAX_POLL_EXPLANATION_LENGTH,
    MAX_POLL_EXPLANATION_LINE_FEEDS,
    MAX_POLL_OPEN_PERIOD,
    MAX_POLL_OPTION_LENGTH,
    MAX_POLL_OPTIONS,
    MAX_POLL_QUESTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    MIN_POLL_OPEN_PERIOD,
    MIN_POLL_OPTIONS,
    UploadedFile,
    opt,
    validate_commands,
    validate_language_code,
    validate_reply_markup,
    validate_webhook_secret,
)
from .world import (
    IN_CHAT,
    CallbackAnswer,
    FakeChat,
    FileRecord,
    MemberStatus,
    PollOptionState,
    PollState,
    StoredMessage,
    World,
)

INLINE_QUERY_TTL = 10.0


@dataclass
class CallContext:
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


@dataclass
class _PollingState:
    generation: int = 0
    terminated_by_webhook: bool = False
    active: set[int] = field(default_factory=set)


Handler = Callable[[Any, CallContext], Awaitable[Any]]


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG/JPEG/GIF/BMP/WebP image; None if it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        return (
            abs(int.from_bytes(data[18:22], "little", signed=True)),
            abs(int.from_bytes(data[22:26], "little", signed=True)),
        )
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                index += 1 if marker == 0xFF else 2
                continue
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                width = int.from_bytes(data[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None


class BotApi:
    """Implements the Bot API methods; the server validates parameters before calling them."""

    def __init__(self, world: World, on_webhook_changed: Callable[[], None]) -> None:
        self.world = world
        self.webhook: WebhookConfig | None = None
        self.stopping = False
        self._on_webhook_changed = on_webhook_changed
        self._polling = _PollingState()
        self._handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.ok,
            "close": self.ok,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "setMyName": self.set_my_name,
            "getMyName": self.get_my_name,
            "sendPoll": self.send_poll,
            "stopPoll": self.stop_poll,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "sendChatAction": self.send_chat_action,
            "answerInlineQuery": self.answer_inline_query,
        }

    def implemented(self, method: str) -> bool:
        return method in self._handlers

    async def call(self, method: str, model: Any, ctx: CallContext) -> Any:
        return await self._handlers[method](model, ctx)

    # --- shared helpers -------------------------------------------------------------------
    def chat(self, chat_id: int | str | None) -> FakeChat:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat: FakeChat | None = None
        if isinstance(chat_id, int):
            chat = self.world.chats.get(chat_id)
        elif chat_id.startswith("@"):
            chat = self.world.chat_by_username(chat_id[1:])
            if chat is not None and chat.type == "private":
                chat = None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def format(
        self, text: str, parse_mode: Any, entities: list[MessageEntity] | None
    ) -> FormattedText:
        return format_text(text, opt(parse_mode), entities, self.world.resolve_user)

    def reply_target(self, chat: FakeChat, model: Any) -> StoredMessage | None:
        params = getattr(model, "reply_parameters", None)
        message_id = params.message_id if params is not None else None
        if message_id is None:
            message_id = getattr(model, "reply_to_message_id", None)
        if message_id is None:
            return None
        allow = bool(getattr(model, "allow_sending_without_reply", None))
        target_chat = chat
        if params is not None:
            allow = allow or bool(opt(params.allow_sending_without_reply))
            if params.chat_id is not None:
                target_chat = self.chat(params.chat_id)
        stored = target_chat.messages.get(message_id)
        if stored is None or stored.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return stored if target_chat is chat else None

    def flood(self, method: str, chat: FakeChat, model: Any) -> None:
        controller = self.world.flood
        if controller is None or method not in COUNTED_METHODS:
            return
        retry_after = controller.acquire(
            chat.id,
            is_group=chat.is_group,
            paid_broadcast=bool(getattr(model, "allow_paid_broadcast", None)),
        )
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def new_bot_message(self, chat: FakeChat, model: Any, **fields: Any) -> StoredMessage:
        markup = getattr(model, "reply_markup", None)
        stored = StoredMessage(
            chat=chat,
            message_id=chat.allocate_message_id(),
            date=self.world.now_date(),
            sender=None,
            from_bot=True,
            inline_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            protected=bool(opt(getattr(model, "protect_content", None))),
            **fields,
        )
        if isinstance(markup, ReplyKeyboardMarkup):
            chat.reply_keyboard = markup
        elif isinstance(markup, ReplyKeyboardRemove):
            chat.reply_keyboard = None
        chat.messages[stored.message_id] = stored
        self.world.signal.notify()
        return stored

    def caption(self, model: Any) -> FormattedText:
        caption = getattr(model, "caption", None)
        if not caption:
            return FormattedText("", [])
        formatted = self.format(caption, model.parse_mode, model.caption_entities)
        if utf16_len(formatted.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return formatted

    def bot_message_for_edit(self, model: Any) -> StoredMessage:
        if getattr(model, "inline_message_id", None):
            raise bad_request("fake Bot API does not implement inline messages")
        if model.chat_id is None:
            raise bad_request("chat_id is empty")
        if model.message_id is None:
            raise bad_request("message identifier is not specified")
        chat = self.chat(model.chat_id)
        self.world.check_bot_can_write(chat)
        stored = chat.messages.get(model.message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def uploaded(self, value: Any, ctx: CallContext, kind: str) -> FileRecord:
        if isinstance(value, str) and value.startswith("attach://"):
            upload = ctx.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {kind} in the request")
            return self.store_upload(upload, kind)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.lower().startswith(("http://", "https://")):
            raise bad_request("fake Bot API does not download files from URLs")
        existing = self.world.files.get(value)
        if existing is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if kind == "photo" and existing.kind != "photo":
            raise bad_request("wrong file identifier/HTTP URL specified")
        return existing

    def store_upload(self, upload: UploadedFile, kind: str) -> FileRecord:
        data = upload.data
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        file_id, unique_id = self.world.new_file_ids(kind)
        if kind == "photo":
            if len(data) > MAX_PHOTO_BYTES:
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            size = _image_size(data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            record = FileRecord(
                file_id, unique_id, "photo", None, "image/jpeg", data, width=size[0], height=size[1]
            )
        else:
            guessed = mimetypes.guess_type(upload.filename)[0]
            mime = guessed or upload.content_type or "application/octet-stream"
            record = FileRecord(file_id, unique_id, "document", upload.filename, mime, data)
        self.world.files[file_id] = record
        return record

    # --- bot / updates --------------------------------------------------------------------
    async def ok(self, model: Any, ctx: CallContext) -> bool:
        return True

    async def get_me(self, model: Any, ctx: CallContext) -> Any:
        bot = self.world.bot_user
        return dump(
            User(
                id=bot.id,
                is_bot=True,
                first_name=bot.first_name,
                username=bot.username,
                can_join_groups=True,
                can_read_all_group_messages=not self.world.privacy_mode,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        )

    def terminate_polling(self, *, by_webhook: bool) -> None:
        self._polling.generation += 1
        self._polling.terminated_by_webhook = by_webhook
        self.world.signal.notify()

    @property
    def polling_active(self) -> bool:
        return bool(self._polling.active)

    async def get_updates(self, model: Any, ctx: CallContext) -> Any:
        if self.webhook is not None:
            raise conflict(WEBHOOK_ACTIVE_CONFLICT)
        self.terminate_polling(by_webhook=False)
        generation = self._polling.generation
        queue = self.world.updates
        offset = model.offset
        if offset:
            if offset > 0:
                queue.confirm_below(offset)
            else:
                queue.keep_last(-offset)
        queue.set_allowed(model.allowed_updates)
        limit = model.limit
        if limit is None or not 1 <= limit <= MAX_GET_UPDATES_LIMIT:
            limit = MAX_GET_UPDATES_LIMIT
        deadline = time.monotonic() + max(0, model.timeout or 0)
        self._polling.active.add(generation)
        self.world.signal.notify()
        try:
            while True:
                if self._polling.generation != generation:
                    if self._polling.terminated_by_webhook:
                        raise conflict(WEBHOOK_ACTIVE_CONFLICT)
                    raise conflict(GET_UPDATES_CONFLICT)
                batch = queue.take(limit)
                if batch or self.stopping:
                    return [update.payload for update in batch]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                await self.world.signal.wait(remaining)
        finally:
            self._polling.active.discard(generation)

    async def set_webhook(self, model: Any, ctx: CallContext) -> bool:
        url = model.url or ""
        if not url:
            return await self.delete_webhook(model, ctx)
        try:
            parsed = URL(url)
        except ValueError:
            raise bad_request("bad webhook: invalid webhook URL specified") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        validate_webhook_secret(model.secret_token)
        if model.max_connections is not None and not 1 <= model.max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if model.drop_pending_updates:
            self.world.updates.drop_all()
        self.world.updates.set_allowed(model.allowed_updates)
        self.webhook = WebhookConfig(
            url=url,
            secret_token=model.secret_token or None,
            max_connections=model.max_connections,
            ip_address=model.ip_address,
        )
        self.terminate_polling(by_webhook=True)
        self._on_webhook_changed()
        return True

    async def delete_webhook(self, model: Any, ctx: CallContext) -> bool:
        if getattr(model, "drop_pending_updates", None):
            self.world.updates.drop_all()
        self.webhook = None
        self._on_webhook_changed()
        return True

    async def get_webhook_info(self, model: Any, ctx: CallContext) -> Any:
        hook = self.webhook
        queue = self.world.updates
        return dump(
            WebhookInfo(
                url=hook.url if hook else "",
                has_custom_certificate=False,
                pending_update_count=len(queue.pending),
                ip_address=hook.ip_address if hook else None,
                last_error_date=(
                    to_datetime(hook.last_error_date) if hook and hook.last_error_date else None
                ),
                last_error_message=hook.last_error_message if hook else None,
                max_connections=(hook.max_connections or 40) if hook else None,
                allowed_updates=queue.allowed_explicit if hook else None,
            )
        )

    # --- messages -------------------------------------------------------------------------
    async def send_message(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        formatted = self.format(model.text, model.parse_mode, model.entities)
        if not formatted.text:
            raise bad_request("message text is empty")
        if formatted.utf16_length() > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        validate_reply_markup(model.reply_markup, chat_type=chat.type)
        self.world.check_bot_can_write(chat)
        reply = self.reply_target(chat, model)
        self.flood(ctx.method, chat, model)
        stored = self.new_bot_message(
            chat, model, text=formatted.text, entities=formatted.entities, reply_to=reply
        )
        return dump(stored.build(self.world))

    @staticmethod
    def _same_markup(old: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup | None) -> bool:
        return (dump(old) if old else None) == (dump(new) if new else None)

    @staticmethod
    def _same_entities(old: list[MessageEntity], new: list[MessageEntity]) -> bool:
        return [dump(e) for e in old] == [dump(e) for e in new]

    async def edit_message_text(self, model: Any, ctx: CallContext) -> Any:
        if getattr(model, "rich_message", None) is not None:
            raise bad_request("fake Bot API does not implement rich messages")
        if not model.text:
            raise bad_request("message text is empty")
        stored = self.bot_message_for_edit(model)
        if stored.text is None:
            raise bad_request("there is no text in the message to edit")
        formatted = self.format(model.text, model.parse_mode, model.entities)
        if not formatted.text:
            raise bad_request("message text is empty")
        if formatted.utf16_length() > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        validate_reply_markup(model.reply_markup, chat_type=stored.chat.type, inline_only=True)
        markup = model.reply_markup
        if (
            formatted.text == stored.text
            and self._same_entities(stored.entities, formatted.entities)
            and self._same_markup(stored.inline_markup, markup)
        ):
            raise bad_request(MESSAGE_NOT_MODIFIED)
        stored.text = formatted.text
        stored.entities = formatted.entities
        stored.inline_markup = markup
        stored.edit_date = self.world.now_date()
        self.world.signal.notify()
        return dump(stored.build(self.world))

    async def edit_message_caption(self, model: Any, ctx: CallContext) -> Any:
        stored = self.bot_message_for_edit(model)
        if stored.document is None and stored.photo is None:
            raise bad_request("there is no caption in the message to edit")
        formatted = self.caption(model)
        validate_reply_markup(model.reply_markup, chat_type=stored.chat.type, inline_only=True)
        markup = model.reply_markup
        if (
            formatted.text == (stored.caption or "")
            and self._same_entities(stored.caption_entities, formatted.entities)
            and self._same_markup(stored.inline_markup, markup)
        ):
            raise bad_request(MESSAGE_NOT_MODIFIED)
        stored.caption = formatted.text or None
        stored.caption_entities = formatted.entities
        stored.inline_markup = markup
        stored.edit_date = self.world.now_date()
        self.world.signal.notify()
        return dump(stored.build(self.world))

    async def edit_message_reply_markup(self, model: Any, ctx: CallContext) -> Any:
        stored = self.bot_message_for_edit(model)
        validate_reply_markup(model.reply_markup, chat_type=stored.chat.type, inline_only=True)
        markup = model.reply_markup
        if self._same_markup(stored.inline_markup, markup):
            raise bad_request(MESSAGE_NOT_MODIFIED)
        stored.inline_markup = markup
        stored.edit_date = self.world.now_date()
        self.world.signal.notify()
        return dump(stored.build(self.world))

    async def delete_message(self, model: Any, ctx: CallContext) -> bool:
        chat = self.chat(model.chat_id)
        if chat.type != "private":
            self.world.check_bot_can_write(chat)
        stored = chat.messages.get(model.message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        allowed = stored.from_bot or chat.type == "private" or chat.bot_status == "administrator"
        if not allowed:
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self.world.signal.notify()
        return True

    async def answer_callback_query(self, model: Any, ctx: CallContext) -> bool:
        text = model.text
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        url = model.url
        if url:
            bot = re.escape(self.world.bot_username)
            pattern = rf"(?:https?://)?t\.me/{bot}\?start=[A-Za-z0-9_-]{{0,64}}"
            if not re.fullmatch(pattern, url, re.IGNORECASE):
                raise bad_request("URL_INVALID")
        state = self.world.callback_queries.get(model.callback_query_id)
        now = self.world.clock.monotonic()
        if (
            state is None
            or state.answer is not None
            or now - state.created_at > self.world.callback_query_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        state.answer = CallbackAnswer(
            text=text or None,
            show_alert=bool(model.show_alert),
            url=url or None,
            cache_time=model.cache_time,
        )
        self.world.signal.notify()
        return True

    async def answer_inline_query(self, model: Any, ctx: CallContext) -> bool:
        results = model.results
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.id)
            if not 1 <= len(result_id.encode("utf-8")) <= MAX_INLINE_RESULT_ID_BYTES:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
        state = self.world.inline_queries.get(model.inline_query_id)
        now = self.world.clock.monotonic()
        if state is None or state.results is not None or now - state.created_at > INLINE_QUERY_TTL:
            raise bad_request(QUERY_TOO_OLD)
        state.results = [dump(result) for result in results]
        self.world.signal.notify()
        return True

    # --- commands and descriptions --------------------------------------------------------
    def scope_key(self, scope: Any) -> str:
        if scope is None:
            return json.dumps({"type": "default"})
        data = dump(scope)
        if "chat_id" in data:
            chat = self.chat(data["chat_id"])
            data["chat_id"] = chat.id
            if data.get("type") != "chat" and chat.type == "private":
                raise bad_request("can't use chat_administrators scope for private chats")
            user_id = data.get("user_id")
            if user_id is not None:
                user = self.world.users.get(int(user_id))
                if user is None or (chat.status_of(user) not in IN_CHAT and chat.user is not user):
                    raise bad_request("user not found")
        return json.dumps(data, sort_keys=True)

    async def set_my_commands(self, model: Any, ctx: CallContext) -> bool:
        commands: list[BotCommand] = list(model.commands)
        validate_commands(commands)
        key = (self.scope_key(model.scope), validate_language_code(model.language_code))
        if commands:
            self.world.commands[key] = [
                BotCommand(command=c.command, description=c.description.strip()) for c in commands
            ]
        else:
            self.world.commands.pop(key, None)
        return True

    async def get_my_commands(self, model: Any, ctx: CallContext) -> Any:
        key = (self.scope_key(model.scope), validate_language_code(model.language_code))
        return [dump(command) for command in self.world.commands.get(key, [])]

    async def delete_my_commands(self, model: Any, ctx: CallContext) -> bool:
        key = (self.scope_key(model.scope), validate_language_code(model.language_code))
        self.world.commands.pop(key, None)
        return True

    async def set_my_description(self, model: Any, ctx: CallContext) -> bool:
        text = model.description or ""
        if len(text) > MAX_BOT_DESCRIPTION_LENGTH:
            raise bad_request("description is too long")
        self._store_text(self.world.descriptions, model.language_code, text)
        return True

    async def get_my_description(self, model: Any, ctx: CallContext) -> Any:
        code = validate_language_code(model.language_code)
        return dump(BotDescription(description=self.world.descriptions.get(code, "")))

    async def set_my_short_description(self, model: Any, ctx: CallContext) -> bool:
        text = model.short_description or ""
        if len(text) > MAX_BOT_SHORT_DESCRIPTION_LENGTH:
            raise bad_request("short description is too long")
        self._store_text(self.world.short_descriptions, model.language_code, text)
        return True

    async def get_my_short_description(self, model: Any, ctx: CallContext) -> Any:
        code = validate_language_code(model.language_code)
        return dump(
            BotShortDescription(short_description=self.world.short_descriptions.get(code, ""))
        )

    async def set_my_name(self, model: Any, ctx: CallContext) -> bool:
        text = model.name or ""
        if len(text) > MAX_BOT_NAME_LENGTH:
            raise bad_request("bot name is too long")
        self._store_text(self.world.names, model.language_code, text)
        return True

    async def get_my_name(self, model: Any, ctx: CallContext) -> Any:
        code = validate_language_code(model.language_code)
        default = self.world.bot_name if not code else ""
        return dump(BotName(name=self.world.names.get(code, default)))

    @staticmethod
    def _store_text(store: dict[str, str], language_code: str | None, text: str) -> None:
        code = validate_language_code(language_code)
        if text:
            store[code] = text
        else:
            store.pop(code, None)

    # --- polls ----------------------------------------------------------------------------
    def _poll_text(self, text: str, parse_mode: Any, entities: Any) -> FormattedText:
        formatted = self.format(text, parse_mode, entities)
        kept = [e for e in formatted.entities if e.type == "custom_emoji"]
        return FormattedText(formatted.text, kept)

    async def send_poll(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        question = self._poll_text(
            model.question, model.question_parse_mode, model.question_entities
        )
        if not question.text:
            raise bad_request("poll question must be non-empty")
        if question.utf16_length() > MAX_POLL_QUESTION_LENGTH:
            raise bad_request(f"poll question length must not exceed {MAX_POLL_QUESTION_LENGTH}")
        minimum = 1 if model.allow_adding_options else MIN_POLL_OPTIONS
        if len(model.options) < minimum:
            raise bad_request(f"poll must have at least {minimum} option")
        if len(model.options) > MAX_POLL_OPTIONS:
            raise bad_request(f"poll can't have more than {MAX_POLL_OPTIONS} options")
        options: list[FormattedText] = []
        for option in model.options:
            if isinstance(option, InputPollOption):
                formatted = self._poll_text(
                    option.text, option.text_parse_mode, option.text_entities
                )
            else:
                formatted = self._poll_text(str(option), None, None)
            if not formatted.text:
                raise bad_request("poll options must be non-empty")
            if formatted.utf16_length() > MAX_POLL_OPTION_LENGTH:
                raise bad_request(f"poll options length must not exceed {MAX_POLL_OPTION_LENGTH}")
            options.append(formatted)
        poll_type = model.type or "regular"
        if poll_type not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        quiz = poll_type == "quiz"
        is_anonymous = True if model.is_anonymous is None else bool(model.is_anonymous)
        if chat.type == "channel" and not is_anonymous:
            raise bad_request("non-anonymous polls can't be sent to channel chats")
        multiple = bool(model.allows_multiple_answers)
        correct: list[int] | None = None
        if quiz:
            correct = list(model.correct_option_ids or [])
            if not correct and model.correct_option_id is not None:
                correct = [model.correct_option_id]
            if not correct:
                raise bad_request("QUIZ_CORRECT_ANSWERS_EMPTY")
            if any(not 0 <= i < len(options) for i in correct) or correct != sorted(set(correct)):
                raise bad_request("QUIZ_CORRECT_ANSWER_INVALID")
            if len(correct) > 1 and not multiple:
                raise bad_request("QUIZ_CORRECT_ANSWERS_TOO_MUCH")
        explanation: FormattedText | None = None
        if model.explanation:
            explanation = self.format(
                model.explanation, model.explanation_parse_mode, model.explanation_entities
            )
            if explanation.utf16_length() > MAX_POLL_EXPLANATION_LENGTH:
                raise bad_request("explanation is too long")
            if explanation.text.count("\n") > MAX_POLL_EXPLANATION_LINE_FEEDS:
                raise bad_request("explanation can't contain more than 2 line feeds")
            if not quiz:
                explanation = None
        if model.open_period is not None and model.close_date is not None:
            raise bad_request("can't use open_period and close_date simultaneously")
        closes_at: float | None = None
        close_date: int | None = None
        if model.open_period is not None:
            if not MIN_POLL_OPEN_PERIOD <= model.open_period <= MAX_POLL_OPEN_PERIOD:
                raise bad_request("wrong open_period specified")
            closes_at = self.world.clock.monotonic() + model.open_period
        elif model.close_date is not None:
            raw_date = model.close_date
            stamp = int(raw_date.timestamp()) if hasattr(raw_date, "timestamp") else int(raw_date)
            delta = stamp - self.world.now_date()
            if not MIN_POLL_OPEN_PERIOD <= delta <= MAX_POLL_OPEN_PERIOD:
                raise bad_request("wrong close_date specified")
            close_date = stamp
            closes_at = self.world.clock.monotonic() + delta
        validate_reply_markup(model.reply_markup, chat_type=chat.type)
        self.world.check_bot_can_write(chat)
        reply = self.reply_target(chat, model)
        self.flood(ctx.method, chat, model)
        poll_id = self.world.new_poll_id()
        poll = PollState(
            id=poll_id,
            question=question.text,
            question_entities=question.entities,
            options=[
                PollOptionState(text=o.text, entities=o.entities, persistent_id=f"{poll_id}-{i}")
                for i, o in enumerate(options)
            ],
            is_anonymous=is_anonymous,
            type=poll_type,
            allows_multiple_answers=multiple,
            allows_revoting=(not quiz) if model.allows_revoting is None else model.allows_revoting,
            correct_option_ids=correct,
            explanation=explanation.text if explanation else None,
            explanation_entities=explanation.entities if explanation else [],
            open_period=model.open_period,
            close_date=close_date,
            closes_at=closes_at,
            is_closed=bool(model.is_closed),
            chat_id=chat.id,
            message_id=0,
        )
        stored = self.new_bot_message(chat, model, poll=poll, reply_to=reply)
        poll.message_id = stored.message_id
        self.world.polls[poll_id] = poll
        return dump(stored.build(self.world))

    async def stop_poll(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        self.world.check_bot_can_write(chat)
        stored = chat.messages.get(model.message_id)
        if stored is None or stored.deleted or stored.poll is None:
            raise bad_request("message with poll to stop not found")
        if not stored.from_bot:
            raise bad_request("poll can't be stopped")
        poll = stored.poll
        if poll.closed(self.world.clock.monotonic()):
            raise bad_request("poll has already been closed")
        validate_reply_markup(model.reply_markup, chat_type=chat.type, inline_only=True)
        poll.is_closed = True
        if model.reply_markup is not None:
            stored.inline_markup = model.reply_markup
        self.world.signal.notify()
        return dump(poll.build(self.world.clock.monotonic()))

    # --- files ----------------------------------------------------------------------------
    async def send_document(self, model: Any, ctx: CallContext) -> Any:
        return await self._send_file(model, ctx, "document", model.document)

    async def send_photo(self, model: Any, ctx: CallContext) -> Any:
        return await self._send_file(model, ctx, "photo", model.photo)

    async def _send_file(self, model: Any, ctx: CallContext, kind: str, value: Any) -> Any:
        chat = self.chat(model.chat_id)
        caption = self.caption(model)
        validate_reply_markup(model.reply_markup, chat_type=chat.type)
        record = self.uploaded(value, ctx, kind)
        self.world.check_bot_can_write(chat)
        reply = self.reply_target(chat, model)
        self.flood(ctx.method, chat, model)
        stored = self.new_bot_message(
            chat,
            model,
            caption=caption.text or None,
            caption_entities=caption.entities,
            reply_to=reply,
            **{kind: record},
        )
        return dump(stored.build(self.world))

    # --- copy / forward -------------------------------------------------------------------
    def _source_message(self, model: Any, verb: str) -> StoredMessage:
        source_chat = self.chat(model.from_chat_id)
        self.world.check_bot_can_read(source_chat)
        stored = source_chat.messages.get(model.message_id)
        if stored is None or stored.deleted:
            raise bad_request(f"message to {verb} not found")
        cannot = "message can't be forwarded" if verb == "forward" else "message can't be copied"
        if stored.is_service or stored.protected:
            raise bad_request(cannot)
        if stored.poll is not None:
            raise bad_request(f"fake Bot API does not implement {verb}ing polls")
        return stored

    async def copy_message(self, model: Any, ctx: CallContext) -> Any:
        source = self._source_message(model, "copy")
        chat = self.chat(model.chat_id)
        caption: FormattedText | None = None
        if model.caption is not None:
            caption = self.caption(model)
        validate_reply_markup(model.reply_markup, chat_type=chat.type)
        self.world.check_bot_can_write(chat)
        reply = self.reply_target(chat, model)
        self.flood(ctx.method, chat, model)
        has_media = source.document is not None or source.photo is not None
        stored = self.new_bot_message(
            chat,
            model,
            text=source.text,
            entities=list(source.entities),
            caption=(caption.text or None) if caption is not None else source.caption,
            caption_entities=caption.entities
            if caption is not None
            else list(source.caption_entities),
            document=source.document,
            photo=source.photo,
            reply_to=reply,
        )
        if not has_media:
            stored.caption = None
            stored.caption_entities = []
        return dump(MessageId(message_id=stored.message_id))

    async def forward_message(self, model: Any, ctx: CallContext) -> Any:
        source = self._source_message(model, "forward")
        chat = self.chat(model.chat_id)
        self.world.check_bot_can_write(chat)
        self.flood(ctx.method, chat, model)
        origin: MessageOriginUser | MessageOriginChat | MessageOriginChannel
        if source.chat.type == "channel":
            origin = MessageOriginChannel(
                date=to_datetime(source.date),
                chat=source.chat.as_chat(),
                message_id=source.message_id,
            )
        elif source.from_bot:
            origin = MessageOriginUser(
                date=to_datetime(source.date), sender_user=self.world.bot_user
            )
        elif source.sender is not None:
            origin = MessageOriginUser(
                date=to_datetime(source.date), sender_user=source.sender.as_user()
            )
        else:
            origin = MessageOriginChat(
                date=to_datetime(source.date), sender_chat=source.chat.as_chat()
            )
        stored = self.new_bot_message(
            chat,
            model,
            text=source.text,
            entities=list(source.entities),
            caption=source.caption,
            caption_entities=list(source.caption_entities),
            document=source.document,
            photo=source.photo,
            forward_origin=origin,
        )
        return dump(stored.build(self.world))

    # --- chats ----------------------------------------------------------------------------
    async def get_chat(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        self.world.check_bot_can_read(chat)
        return dump(chat.full_info())

    def _members_readable(self, chat: FakeChat) -> None:
        self.world.check_bot_can_read(chat)
        if chat.type == "channel" and chat.bot_status != "administrator":
            raise bad_request("member list is inaccessible")

    async def get_chat_member(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        self._members_readable(chat)
        user_id = model.user_id
        if user_id == self.world.bot_id:
            if chat.type == "private":
                return dump(self.world.member_object(chat, self.world.bot_user, "member"))
            return dump(self.world.bot_member(chat))
        user = self.world.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            status: MemberStatus = "member" if chat.user is user else "left"
            return dump(self.world.member_object(chat, user.as_user(), status))
        return dump(self.world.member_object(chat, user.as_user(), chat.status_of(user)))

    async def get_chat_administrators(self, model: Any, ctx: CallContext) -> Any:
        chat = self.chat(model.chat_id)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        self._members_readable(chat)
        result: list[Any] = []
        for user_id, status in chat.members.items():
            if status in ("creator", "administrator"):
                user = self.world.users[user_id]
                result.append(dump(self.world.member_object(chat, user.as_user(), status)))
        if chat.bot_status == "administrator":
            result.append(dump(self.world.bot_member(chat)))
        return result

    async def get_chat_member_count(self, model: Any, ctx: CallContext) -> int:
        chat = self.chat(model.chat_id)
        self.world.check_bot_can_read(chat)
        if chat.type == "private":
            return 2
        count = sum(1 for status in chat.members.values() if status in IN_CHAT)
        return count + (1 if chat.bot_status in ("member", "administrator") else 0)

    async def leave_chat(self, model: Any, ctx: CallContext) -> bool:
        chat = self.chat(model.chat_id)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self.world.check_bot_can_write(chat)
        self.world.bot_left(chat)
        return True

    async def send_chat_action(self, model: Any, ctx: CallContext) -> bool:
        chat = self.chat(model.chat_id)
        if model.action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.world.check_bot_can_write(chat)
        chat.last_action = model.action
        return True
