"""``FakeTelegram``: the HTTP server, update delivery (long polling and webhook) and the
helpers tests use to play users and observe what the bot did."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiogram.types import BotCommand, Message, Poll, ReplyKeyboardMarkup, User
from aiohttp import web

from .clock import Clock, RealClock
from .errors import ApiError, not_found, too_many_requests, unauthorized
from .flood import FloodController, FloodLimits
from .methods import BotApi, CallContext
from .updates import PendingUpdate
from .validation import (
    MAX_UPLOAD_BYTES,
    METHODS,
    UploadedFile,
    build_model,
    canonical_method_name,
    check_required,
    coerce_params,
    not_implemented,
)
from .world import ApiCall, CallbackAnswer, FakeChat, FakeUser, FileRecord, World

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
DEFAULT_FLOOD = FloodLimits()
_PATH_RE = re.compile(r"/bot([^/]+)/([^/]*)")
_DEFAULT_FAILURE_TEXTS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: injected failure",
    404: "Not Found",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class _InjectedFailure:
    error_code: int
    description: str | None
    retry_after: int
    remaining: int
    chat_id: int | None = None

    def error(self) -> ApiError:
        if self.error_code == 429:
            error = too_many_requests(self.retry_after)
            if self.description is not None:
                error.description = self.description
            return error
        text = self.description or _DEFAULT_FAILURE_TEXTS.get(
            self.error_code, f"Error {self.error_code}: injected failure"
        )
        return ApiError(self.error_code, text)


@dataclass
class _InjectedDelay:
    seconds: float
    remaining: int
    chat_id: int | str | None
    accept_first: bool


class FakeTelegram:
    """An offline Telegram Bot API server for end-to-end tests of an aiogram bot."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "spasibot_bot",
        bot_name: str = "Spasibot",
        clock: Clock | None = None,
        flood: FloodLimits | None = DEFAULT_FLOOD,
        *,
        privacy_mode: bool = True,
        callback_query_ttl: float = 15.0,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.token = token
        self.clock: Clock = clock if clock is not None else RealClock()
        self._world = World(
            token=token,
            bot_username=bot_username,
            bot_name=bot_name,
            clock=self.clock,
            flood=FloodController(flood, self.clock) if flood is not None else None,
            privacy_mode=privacy_mode,
            callback_query_ttl=callback_query_ttl,
        )
        self._api = BotApi(self._world, self._webhook_changed)
        self._webhook_retry_delay = webhook_retry_delay
        self._failures: dict[str, list[_InjectedFailure]] = {}
        self._delays: dict[str, list[_InjectedDelay]] = {}
        self._held = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self.server_errors: list[str] = []

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> Self:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self._api.stopping = False
        self._client = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        """Release pending long polls, stop webhook delivery and close the server."""
        self._api.stopping = True
        self._world.signal.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await asyncio.sleep(0)
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self.server_errors:
            errors, self.server_errors = self.server_errors, []
            raise AssertionError("the fake Bot API server crashed:\n" + "\n".join(errors))

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("call `await FakeTelegram.start()` first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def bot_id(self) -> int:
        return self._world.bot_id

    @property
    def bot_user(self) -> User:
        return self._world.bot_user

    @property
    def world(self) -> World:
        return self._world

    # --- world building -------------------------------------------------------------------
    def user(
        self,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        return self._world.add_user(
            first_name, username=username, language_code=language_code, last_name=last_name
        )

    def group(
        self,
        title: str,
        members: list[FakeUser],
        admins: list[FakeUser] | None = None,
        supergroup: bool = True,
        *,
        username: str | None = None,
        owner: FakeUser | None = None,
    ) -> FakeChat:
        return self._world.add_group(
            title,
            members=members,
            admins=admins or [],
            supergroup=supergroup,
            username=username,
            owner=owner,
        )

    def channel(
        self,
        title: str,
        username: str | None = None,
        bot_is_admin: bool = True,
        *,
        owner: FakeUser | None = None,
    ) -> FakeChat:
        return self._world.add_channel(
            title, username=username, bot_is_admin=bot_is_admin, owner=owner
        )

    def add_bot_to_group(self, group: FakeChat, by: FakeUser, as_admin: bool = False) -> None:
        self._world.add_bot_to_group(group, by, as_admin=as_admin)

    def remove_bot_from_group(self, group: FakeChat, by: FakeUser) -> None:
        self._world.remove_bot_from_group(group, by)

    def join_group(self, group: FakeChat, user: FakeUser) -> Message:
        return self._world.join_group(group, user)

    def leave_group(self, group: FakeChat, user: FakeUser) -> Message:
        return self._world.leave_group(group, user)

    def migrate_group(self, group: FakeChat, by: FakeUser) -> FakeChat:
        """Upgrade a basic group to a supergroup (a new chat id); returns the new chat."""
        return self._world.migrate_group(group, by)

    def subscribe(self, channel: FakeChat, user: FakeUser) -> None:
        """Make ``user`` a subscriber of ``channel`` (so they can press its buttons)."""
        if channel.type != "channel":
            raise AssertionError(f"{channel!r} is not a channel")
        channel.members[user.id] = "member"

    def set_bot_admin(self, chat: FakeChat, is_admin: bool) -> None:
        self._world.set_bot_admin(chat, is_admin)

    # --- observation ----------------------------------------------------------------------
    def messages(self, chat: FakeChat) -> list[Message]:
        """Every (not deleted) message of the chat, current state, in order."""
        return [stored.build(self._world) for stored in chat.live_messages()]

    def bot_messages(self, chat: FakeChat) -> list[Message]:
        return [stored.build(self._world) for stored in chat.live_messages() if stored.from_bot]

    def _describe(self, chat: FakeChat) -> str:
        lines = []
        for stored in list(chat.messages.values())[-10:]:
            who = "bot" if stored.from_bot else (stored.sender.first_name if stored.sender else "?")
            content = stored.text or stored.caption or ""
            if stored.poll is not None:
                content = f"[poll] {stored.poll.question}"
            elif stored.document is not None:
                content = f"[document {stored.document.file_name}] {content}"
            elif stored.is_service:
                content = "[service message]"
            flag = " (deleted)" if stored.deleted else ""
            lines.append(f"  #{stored.message_id} {who}{flag}: {content[:120]!r}")
        recent_errors = [
            f"  {call.method}: {call.description}"
            for call in self._world.calls[-50:]
            if not call.ok
        ]
        summary = "\n".join(lines) or "  (no messages)"
        if recent_errors:
            summary += "\nrecent failed API calls:\n" + "\n".join(recent_errors[-5:])
        return summary

    async def next_bot_message(self, chat: FakeChat, timeout: float = 5.0) -> Message:
        """The next bot message in ``chat`` not yet returned by this method (per-chat cursor)."""
        deadline = time.monotonic() + timeout
        while True:
            sent = [stored for stored in chat.messages.values() if stored.from_bot]
            if chat.bot_cursor < len(sent):
                stored = sent[chat.bot_cursor]
                chat.bot_cursor += 1
                return stored.build(self._world)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no new bot message in {chat!r} within {timeout}s "
                    f"({chat.bot_cursor} already returned); the chat holds:\n"
                    f"{self._describe(chat)}"
                )
            await self._world.signal.wait(remaining)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` is true; re-checked after every API call and change."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(f"condition {name} still false after {timeout}s")
            await self._world.signal.wait(remaining)

    @property
    def calls(self) -> list[ApiCall]:
        return list(self._world.calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self._world.calls if call.method == method]

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._world.updates.pending)

    def updates_sent(self) -> list[dict[str, Any]]:
        """Every update ever enqueued (JSON form), confirmed or not."""
        return [update.payload for update in self._world.updates.history]

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int = 1,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (429 with Retry-After by default);
        with ``chat_id``, only calls to that chat."""
        name = canonical_method_name(method)
        if name is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        self._failures.setdefault(name, []).append(
            _InjectedFailure(error_code, description, retry_after, count, chat_id)
        )

    def delay_next(
        self,
        method: str,
        seconds: float,
        *,
        count: int = 1,
        chat_id: int | str | None = None,
        accept_first: bool = False,
    ) -> None:
        """Make the next ``count`` calls of ``method`` hang for ``seconds`` (a slow Telegram);
        with ``chat_id`` (an id or an @username as the bot sends it), only calls to that chat.

        By default the call takes effect only after the wait (a request stuck on its way:
        a client that gives up or dies meanwhile sent nothing); with ``accept_first`` it takes
        effect at once and only the answer is held (Telegram accepted the message, its answer
        is late). ``held`` counts the calls hanging right now."""
        name = canonical_method_name(method)
        if name is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        if seconds < 0 or count < 1:
            raise ValueError("a delay needs seconds >= 0 and count >= 1")
        self._delays.setdefault(name, []).append(
            _InjectedDelay(float(seconds), count, chat_id, accept_first)
        )

    @property
    def held(self) -> int:
        """Calls hanging in a ``delay_next`` wait at this moment."""
        return self._held

    def document(self, message: Message) -> FileRecord:
        stored = self._world.stored(message)
        record = stored.document or stored.photo
        if record is None:
            raise AssertionError("that message has no document or photo")
        return record

    def document_bytes(self, message: Message) -> bytes:
        """The bytes the bot uploaded with sendDocument/sendPhoto for ``message``."""
        return self.document(message).data

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        return await self._world.wait_callback_answer(query_id, timeout)

    async def inline_answer(self, query_id: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        state = self._world.inline_queries.get(query_id)
        if state is None:
            raise AssertionError(f"unknown inline query {query_id}")
        await self.wait_until(lambda: state.results is not None, timeout)
        return state.results or []

    def poll(self, message: Message) -> Poll:
        stored = self._world.stored(message)
        if stored.poll is None:
            raise AssertionError("that message has no poll")
        return stored.poll.build(self.clock.monotonic())

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[BotCommand]:
        """Commands stored by setMyCommands for a scope (a dict like {"type": "default"})."""
        data = dict(scope or {"type": "default"})
        if "chat_id" in data:
            data["chat_id"] = self._api.chat(data["chat_id"]).id
        key = (json.dumps(data, sort_keys=True), language_code)
        return list(self._world.commands.get(key, []))

    def reply_keyboard(self, chat: FakeChat) -> ReplyKeyboardMarkup | None:
        return chat.reply_keyboard

    @property
    def is_polling(self) -> bool:
        """True while a getUpdates request of the bot is waiting (long polling)."""
        return self._api.polling_active

    def webhook_url(self) -> str | None:
        return self._api.webhook.url if self._api.webhook else None

    # --- HTTP -----------------------------------------------------------------------------
    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(body, status=status, headers=headers)

    async def _handle(self, request: web.Request) -> web.Response:
        match = _PATH_RE.fullmatch(request.path)
        if match is None:
            return self._json(404, not_found().body())
        token, raw_method = match.groups()
        if token != self.token:
            return self._json(401, unauthorized().body())
        method = canonical_method_name(raw_method) if raw_method else None
        if method is None:
            return self._json(404, not_found().body())
        try:
            raw, files = await self._read_params(request, method)
        except (ValueError, aiohttp.ClientError, web.HTTPException) as error:
            status = 413 if isinstance(error, web.HTTPRequestEntityTooLarge) else 400
            text = "Request Entity Too Large" if status == 413 else "Bad Request: invalid request"
            self._record(method, {}, ApiError(status, text))
            return self._json(status, ApiError(status, text).body())
        status, body, headers = await self._execute(method, raw, files)
        return self._json(status, body, headers)

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            content_type = request.content_type
            if content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        data = bytes(await part.read(decode=False))
                        files[part.name] = UploadedFile(
                            part.filename,
                            part.headers.get("Content-Type", "application/octet-stream"),
                            data,
                        )
                    else:
                        raw[part.name] = await part.text()
            elif content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("a JSON body must be an object")
                raw.update(body)
            else:
                form = await request.post()
                raw.update({key: value for key, value in form.items() if isinstance(value, str)})
        self._bind_direct_files(method, raw, files)
        return raw, files

    @staticmethod
    def _bind_direct_files(
        method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> None:
        """A file part named like the parameter (``document=@file``) is the parameter itself."""
        fields = METHODS[method].model_fields
        for name in files:
            if name in fields and name not in raw:
                raw[name] = f"attach://{name}"

    def _take_injected(self, method: str, raw: dict[str, Any]) -> ApiError | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        chat = str(raw.get("chat_id", ""))
        failure = next((f for f in queue if f.chat_id is None or str(f.chat_id) == chat), None)
        if failure is None:
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.remove(failure)
        return failure.error()

    def _take_delay(self, method: str, raw: dict[str, Any]) -> _InjectedDelay | None:
        queue = self._delays.get(method)
        if not queue:
            return None
        chat = str(raw.get("chat_id", ""))
        delay = next((d for d in queue if d.chat_id is None or str(d.chat_id) == chat), None)
        if delay is None:
            return None
        delay.remaining -= 1
        if delay.remaining <= 0:
            queue.remove(delay)
        return delay

    async def _hold(self, seconds: float) -> None:
        self._held += 1
        self._world.signal.notify()
        try:
            await asyncio.sleep(seconds)
        finally:
            self._held -= 1
            self._world.signal.notify()

    def _record(self, method: str, params: dict[str, Any], error: ApiError | None) -> None:
        self._world.calls.append(
            ApiCall(
                method=method,
                params=params,
                ok=error is None,
                error_code=error.error_code if error else None,
                description=error.description if error else None,
                at=self.clock.monotonic(),
            )
        )

    @staticmethod
    def _params_for_record(
        params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        recorded: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files.get(value[len("attach://") :])
                if upload is not None:
                    value = {"filename": upload.filename, "size": len(upload.data)}
            recorded[key] = value
        return recorded

    async def _execute(
        self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        delay = self._take_delay(method, raw)
        if delay is not None and not delay.accept_first:
            await self._hold(delay.seconds)  # cancelled if the client goes away: nothing done
        answer = await self._execute_now(method, raw, files)
        if delay is not None and delay.accept_first:
            await self._hold(delay.seconds)  # done; only the answer is late
        return answer

    async def _execute_now(
        self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        params: dict[str, Any] = dict(raw)
        try:
            try:
                injected = self._take_injected(method, raw)
                if injected is not None:
                    raise injected
                if not self._api.implemented(method):
                    raise not_implemented(method)
                params = coerce_params(method, raw)
                check_required(method, params)
                model = build_model(method, params)
                result = await self._api.call(method, model, CallContext(method, params, files))
            except ApiError as error:
                self._record(method, self._params_for_record(params, files), error)
                return error.error_code, error.body(), error.headers()
            except Exception as error:
                logger.exception("fake Bot API crashed in %s", method)
                self.server_errors.append(f"{method}: {type(error).__name__}: {error}")
                crash = ApiError(500, f"Internal Server Error: fake crashed: {error}")
                self._record(method, self._params_for_record(params, files), crash)
                return 500, crash.body(), {}
            self._record(method, self._params_for_record(params, files), None)
            return 200, {"ok": True, "result": result}, {}
        finally:
            self._world.signal.notify()

    # --- webhook delivery -----------------------------------------------------------------
    def _webhook_changed(self) -> None:
        if self._api.webhook is not None and (
            self._webhook_task is None or self._webhook_task.done()
        ):
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._world.signal.notify()

    async def _webhook_loop(self) -> None:
        while not self._api.stopping:
            hook = self._api.webhook
            client = self._client
            if hook is None or client is None:
                return
            batch = self._world.updates.take(1)
            if not batch:
                await self._world.signal.wait(1.0)
                continue
            update = batch[0]
            if not await self._deliver(client, hook.url, hook.secret_token, update):
                await asyncio.sleep(self._webhook_retry_delay)

    async def _deliver(
        self,
        client: aiohttp.ClientSession,
        url: str,
        secret: str | None,
        update: PendingUpdate,
    ) -> bool:
        hook = self._api.webhook
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with client.post(
                url, json=update.payload, headers=headers, timeout=aiohttp.ClientTimeout(total=30)
            ) as response:
                if not 200 <= response.status < 300:
                    if hook is not None:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = (
                            f"Wrong response from the webhook: {response.status} {response.reason}"
                        )
                    return False
                reply = await self._read_webhook_reply(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            if hook is not None:
                hook.last_error_date = int(time.time())
                hook.last_error_message = f"Connection failed: {type(error).__name__}"
            return False
        self._world.updates.remove(update)
        if hook is not None:
            hook.delivered += 1
        self._world.signal.notify()
        if reply is not None:
            method, params, files = reply
            await self._execute(method, params, files)
        return True

    async def _read_webhook_reply(
        self, response: aiohttp.ClientResponse
    ) -> tuple[str, dict[str, Any], dict[str, UploadedFile]] | None:
        """A webhook may answer with a method call (JSON or multipart with a "method" field)."""
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if response.content_type == "application/json":
            body = await response.json(content_type=None)
            if not isinstance(body, dict):
                return None
            params.update(body)
        elif response.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader.from_response(response)
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = UploadedFile(
                        part.filename, "application/octet-stream", bytes(await part.read())
                    )
                else:
                    params[part.name] = await part.text()
        else:
            await response.read()
            return None
        method_name = params.pop("method", None)
        if not isinstance(method_name, str):
            return None
        method = canonical_method_name(method_name)
        if method is None:
            return None
        self._bind_direct_files(method, params, files)
        return method, params, files
