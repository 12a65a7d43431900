"""Request validation against aiogram's own method models, and Telegram's documented limits.

At run time nothing here reads the Bot API reference: the list of methods and their fields
comes from ``aiogram.methods`` (every ``TelegramMethod`` subclass, keyed by
``__api_method__``); the limits are the constants below.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiogram.methods
from aiogram.client.default import Default
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
)
from pydantic import BaseModel, ValidationError

from .errors import ApiError, bad_request

# --- limits (Bot API reference and Bot FAQ) -------------------------------------------------
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_POLL_QUESTION_LENGTH = 300
MAX_POLL_OPTION_LENGTH = 100
MIN_POLL_OPTIONS = 2
MAX_POLL_OPTIONS = 12
MAX_POLL_EXPLANATION_LENGTH = 200
MAX_POLL_EXPLANATION_LINE_FEEDS = 2
MIN_POLL_OPEN_PERIOD = 5
MAX_POLL_OPEN_PERIOD = 2_628_000
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_BOT_COMMANDS = 100
MAX_BOT_COMMAND_LENGTH = 32
MAX_BOT_COMMAND_DESCRIPTION_LENGTH = 256
MAX_BOT_DESCRIPTION_LENGTH = 512
MAX_BOT_SHORT_DESCRIPTION_LENGTH = 120
MAX_BOT_NAME_LENGTH = 64
MAX_WEBHOOK_SECRET_LENGTH = 256
MAX_GET_UPDATES_LIMIT = 100
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_START_PAYLOAD_LENGTH = 64

BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]+")
LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")
START_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

BUTTON_KIND_FIELDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
BUTTON_STYLES = frozenset({"danger", "success", "primary"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Texts for a missing required parameter, where Telegram has a specific one.
_MISSING_TEXTS: dict[tuple[str, str], str] = {
    ("sendMessage", "text"): "message text is empty",
    ("editMessageText", "text"): "message text is empty",
    ("sendDocument", "document"): "there is no document in the request",
    ("sendPhoto", "photo"): "there is no photo in the request",
    ("sendPoll", "question"): "poll question must be non-empty",
    ("sendPoll", "options"): "poll must have at least 2 option",
}
# Parameters that aiogram marks required but Telegram treats as optional.
_NOT_REQUIRED: dict[str, frozenset[str]] = {"setWebhook": frozenset({"url"})}


# --- the method registry -------------------------------------------------------------------
def _scan_methods() -> dict[str, type[TelegramMethod[Any]]]:
    found: dict[str, type[TelegramMethod[Any]]] = {}
    for value in vars(aiogram.methods).values():
        if (
            inspect.isclass(value)
            and issubclass(value, TelegramMethod)
            and value is not TelegramMethod
            and not inspect.isabstract(value)
        ):
            api_name = value.__api_method__
            if isinstance(api_name, str):
                found[api_name] = value
    return found


METHODS: dict[str, type[TelegramMethod[Any]]] = _scan_methods()
_METHODS_BY_LOWER: dict[str, str] = {name.lower(): name for name in METHODS}


def canonical_method_name(name: str) -> str | None:
    """Telegram matches method names case-insensitively; return aiogram's spelling."""
    return _METHODS_BY_LOWER.get(name.lower())


# --- uploaded files ------------------------------------------------------------------------
@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


# --- coercion of form values ---------------------------------------------------------------
def _accepted_kinds(annotation: Any, *, files_as_str: bool = True) -> set[type]:
    """Which JSON value kinds a field annotation accepts (str only -> keep raw strings)."""
    kinds: set[type] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        origin = typing.get_origin(current)
        if origin is typing.Annotated:
            stack.append(typing.get_args(current)[0])
            continue
        if origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(current))
            continue
        if origin in (list, tuple, set, frozenset):
            kinds.add(list)
            continue
        if origin in (dict, Mapping):
            kinds.add(dict)
            continue
        if origin is typing.Literal:
            kinds.update(type(arg) for arg in typing.get_args(current))
            continue
        if current is type(None) or current is Default:
            continue
        if current is bool:
            kinds.add(bool)
        elif current is int:
            kinds.update((int, bool))
        elif current is float:
            kinds.update((int, float))
        elif current is str:
            kinds.add(str)
        elif inspect.isclass(current) and issubclass(current, InputFile):
            if files_as_str:
                kinds.add(str)  # an InputFile arrives as a string: attach://<part> or a file_id
        elif inspect.isclass(current) and issubclass(current, BaseModel):
            kinds.add(dict)
        elif inspect.isclass(current) and current.__name__ in ("datetime", "timedelta"):
            kinds.update((int, float))
        else:
            kinds.update((dict, list, int, float, bool))
    return kinds


def coerce_params(method: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn form/query strings into JSON values where the field is not a plain string."""
    cls = METHODS[method]
    fields = {(info.alias or name): info for name, info in cls.model_fields.items()}
    result: dict[str, Any] = {}
    for key, value in raw.items():
        info = fields.get(key)
        if info is None or not isinstance(value, str):
            result[key] = value
            continue
        kinds = _accepted_kinds(info.annotation)
        if kinds <= {str}:
            result[key] = value
            continue
        try:
            decoded = json.loads(value)
        except ValueError:
            result[key] = value
            continue
        if type(decoded) in kinds or (isinstance(decoded, int) and float in kinds):
            result[key] = decoded
        else:
            result[key] = value
    return result


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def check_required(method: str, params: Mapping[str, Any]) -> None:
    cls = METHODS[method]
    skip = _NOT_REQUIRED.get(method, frozenset())
    for name, info in cls.model_fields.items():
        key = info.alias or name
        if not info.is_required() or key in skip:
            continue
        if _is_missing(params.get(key)):
            if name == "message_id":
                raise bad_request("message identifier is not specified")
            raise bad_request(_MISSING_TEXTS.get((method, key), f"{key} is empty"))


def build_model(method: str, params: Mapping[str, Any]) -> TelegramMethod[Any]:
    """Validate the parameters with aiogram's model of the method."""
    cls = METHODS[method]
    data = dict(params)
    for key in _NOT_REQUIRED.get(method, frozenset()):
        if _is_missing(data.get(key)):
            data[key] = ""
    for name, info in cls.model_fields.items():
        key = info.alias or name
        value = data.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            if str not in _accepted_kinds(info.annotation, files_as_str=False):
                data.pop(key)  # an uploaded file where aiogram's model wants an InputFile
        elif _is_missing(value) and not info.is_required():
            data.pop(key, None)
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "parameters"
        if field == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        if field.endswith("entities"):
            raise bad_request(f"can't parse {field} JSON object") from None
        raise bad_request(f"can't parse {field}: {first['msg']}") from None


def opt(value: Any) -> Any:
    """aiogram fills absent parse_mode-like fields with ``Default`` sentinels: treat as None."""
    return None if isinstance(value, Default) else value


# --- reply markup --------------------------------------------------------------------------
def _valid_button_url(url: str) -> bool:
    if not url or any(ch.isspace() for ch in url):
        return False
    lowered = url.lower()
    if lowered.startswith("tg://"):
        return len(url) > len("tg://")
    match = re.match(r"(?:https?://)?([^/?#:@]+)", url, re.IGNORECASE)
    if match is None:
        return False
    if "://" in url and not lowered.startswith(("http://", "https://")):
        return False
    host = match.group(1)
    return "." in host and not host.startswith(".") and not host.endswith(".")


def _button_field_set(button: InlineKeyboardButton, name: str) -> bool:
    value = getattr(button, name)
    if value is None:
        return False
    # an empty callback_data is the same as none (Telegram then sees a plain text button);
    # switch_inline_query* may legitimately be empty strings
    return not (name == "callback_data" and value == "")


def validate_inline_button(button: InlineKeyboardButton) -> None:
    if not button.text:
        raise bad_request("BUTTON_TEXT_INVALID")
    kinds = [name for name in BUTTON_KIND_FIELDS if _button_field_set(button, name)]
    if not kinds:
        raise bad_request(
            "can't parse InlineKeyboardButton: Text buttons are not allowed in the inline keyboard"
        )
    if len(kinds) > 1:
        raise bad_request("BUTTON_TYPE_INVALID")
    if button.style is not None and button.style not in BUTTON_STYLES:
        raise bad_request("BUTTON_STYLE_INVALID")
    if button.callback_data is not None:
        size = len(button.callback_data.encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if button.url is not None and not _valid_button_url(button.url):
        raise bad_request("BUTTON_URL_INVALID")


def validate_reply_markup(markup: Any, *, chat_type: str | None, inline_only: bool = False) -> None:
    if markup is None:
        return
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                validate_inline_button(button)
        return
    if inline_only:
        raise bad_request("can't parse inline keyboard markup JSON object")
    if isinstance(markup, ReplyKeyboardMarkup):
        if chat_type == "channel":
            raise bad_request("reply keyboards are not supported in channels")
        for keyboard_row in markup.keyboard:
            for key in keyboard_row:
                text = key if isinstance(key, str) else key.text
                if not text:
                    raise bad_request("BUTTON_TEXT_INVALID")


# --- bot commands --------------------------------------------------------------------------
def validate_commands(commands: list[BotCommand]) -> None:
    if len(commands) > MAX_BOT_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not BOT_COMMAND_RE.fullmatch(command.command):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.description.strip()
        if not 1 <= len(description) <= MAX_BOT_COMMAND_DESCRIPTION_LENGTH:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def validate_language_code(language_code: str | None) -> str:
    code = language_code or ""
    if code and not LANGUAGE_CODE_RE.fullmatch(code):
        raise bad_request("invalid language code specified")
    return code


def validate_webhook_secret(secret: str | None) -> None:
    if secret is None or secret == "":
        return
    if len(secret) > MAX_WEBHOOK_SECRET_LENGTH:
        raise bad_request("secret token is too long")
    if not WEBHOOK_SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")


def not_implemented(method: str) -> ApiError:
    return ApiError(400, f"Bad Request: fake Bot API does not implement {method}")
