"""An offline fake of the Telegram Bot API for end-to-end tests of an aiogram bot.

What it is
    ``FakeTelegram`` is a real aiohttp server on ``127.0.0.1:<random port>`` that answers
    ``POST {base_url}/bot{token}/{method}`` like api.telegram.org, plus a small simulated world
    (users, private chats, groups, supergroups, channels) that tests drive: users start the
    bot, send messages, press inline buttons, vote in polls, block the bot. Each user action
    enqueues the Update Telegram would send; the bot gets it through ``getUpdates`` (long
    polling) or a webhook. Everything the bot sends is stored per chat and can be read back
    as aiogram ``Message`` objects (edits applied).

Usage::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from tests.fakebot import FakeTelegram

    async with FakeTelegram() as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot(tg.token, session=session)
        ... start the dispatcher polling in a task ...
        alice = tg.user("Alice", username="alice", language_code="ru")
        alice.start_bot()
        reply = await tg.next_bot_message(alice.private)
        answer = await alice.press(reply, "Yes")
        await bot.session.close()

What it models
    * Request parsing like Telegram: multipart/form-data (aiogram's format: complex fields are
      JSON strings, files are parts referenced by ``attach://``), JSON and urlencoded bodies,
      query strings; method names are case-insensitive. Wrong token -> 401 "Unauthorized";
      a name that is not a Bot API method -> 404 "Not Found"; a method aiogram knows but the
      fake does not implement -> 400 "Bad Request: fake Bot API does not implement <method>".
    * Parameters are validated with aiogram's own method models (``aiogram.methods``):
      missing required fields ("Bad Request: chat_id is empty", "message text is empty"),
      unparsable JSON, then Telegram's limits (``validation.py`` constants): text 1-4096 and
      caption 0-1024 UTF-16 units after entity parsing and trimming, callback_data 1-64 bytes,
      inline buttons with exactly one action, poll question/options/quiz/explanation/
      open_period limits, answerCallbackQuery text <= 200, setMyCommands rules, webhook secret
      token, inline query results.
    * HTML parse mode like Telegram (``formatting.py``), with its error texts and byte offsets;
      the stored message keeps plain text + entities so ``Message.html_text`` round-trips.
    * Access rules: private chats need the user to have started the bot (403 "bot can't
      initiate conversation with a user") and not blocked it (403 "bot was blocked by the
      user"); groups need membership (403 "bot is not a member of the group chat" /
      "supergroup chat", "bot was kicked from the ... chat"); channels need the bot to be an
      admin (403 "bot is not a member of the channel chat"); unknown chats -> 400 "chat not
      found". Channel posts have no ``from``, only ``sender_chat``.
    * Group privacy mode (on by default, like a new bot; ``privacy_mode=False`` turns it off):
      a non-admin bot receives only commands meant for it (``/cmd`` or ``/cmd@this_bot``, not
      ``/cmd@other_bot``), replies to its messages and service messages. Every user message
      is still stored in the chat history.
    * World conventions: ``tg.group(...)`` makes ``owner`` (default: the first admin, else the
      first member) the creator, the other admins administrators; ``tg.channel(...)`` gets a
      synthetic owner. ``chat_member`` updates are generated only where the bot is an admin
      (and, like on Telegram, delivered only if requested in allowed_updates). A user can
      only write in a private chat after ``start_bot()`` (Telegram shows a START button) and
      not while the bot is blocked; such misuse raises AssertionError in the test.
    * Edits ("message is not modified", "message to edit not found", editMessageText without
      reply_markup removes the keyboard, as on Telegram), deletes, replies
      ("message to be replied not found" unless allow_sending_without_reply), polls with
      votes (poll_answer and poll updates), documents/photos (bytes kept), bot commands per
      (scope, language), descriptions, chat members, chat actions.
    * getUpdates: long polling woken by new updates, offset confirmation (negative offsets
      too), limit, persisted allowed_updates (default: all but chat_member,
      message_reaction, message_reaction_count; filtered-out updates are dropped), 409 while
      a webhook is set. Updates stay queued until confirmed. A new getUpdates terminates a
      running one, which answers 409 "Conflict: terminated by other getUpdates request; ..."
      (Telegram's behaviour: the *older* request gets the Conflict).
    * setWebhook/deleteWebhook/getWebhookInfo: updates are POSTed one by one as JSON with the
      X-Telegram-Bot-Api-Secret-Token header and retried after ``webhook_retry_delay`` on a
      non-2xx answer or connection error; a method returned in the webhook answer (JSON or
      aiogram's multipart) is executed.
    * Flood control (``flood.py``) on message-creating methods with an injectable clock;
      429 with Retry-After and ``parameters.retry_after``. ``fail_next()`` injects failures;
      ``delay_next()`` makes calls hang (before they take effect, or with only the answer
      late), ``held`` counts the calls hanging.
    * Callback queries expire after ``callback_query_ttl`` seconds of the fake's clock.

What it does not model
    Forums/topics, business connections, inline-message editing, media groups and other
    media types (only documents and photos), file downloads and URL uploads, MarkdownV2 and
    Markdown parse modes (answered 400 "fake Bot API does not implement parse_mode ..."),
    payments, reactions, stories, join requests, auto-detection of entities in bot messages,
    the 48-hour limit on deletions, HTTPS-only webhooks (plain http to 127.0.0.1 is accepted).
    Some error texts that Telegram does not document are close approximations (e.g. poll
    open_period, quiz correct options, language codes, button style).

Observation helpers: ``messages`` (not deleted, edits applied), ``bot_messages``,
``next_bot_message`` (per-chat cursor over every bot message ever sent), ``wait_until``,
``calls``/``calls_of``, ``pending_updates``, ``updates_sent``, ``document_bytes``,
``callback_answer``, ``inline_answer``, ``poll``, ``commands``, ``reply_keyboard``. If the
fake itself crashes while serving a request, it answers 500 and ``stop()`` raises
AssertionError with the details.
"""

from .clock import Clock, FakeClock, RealClock
from .errors import ApiError
from .flood import FloodLimits
from .server import DEFAULT_TOKEN, FakeTelegram
from .world import ApiCall, CallbackAnswer, FakeChat, FakeUser, FileRecord

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "Clock",
    "FakeChat",
    "FakeClock",
    "FakeTelegram",
    "FakeUser",
    "FileRecord",
    "FloodLimits",
    "RealClock",
]
