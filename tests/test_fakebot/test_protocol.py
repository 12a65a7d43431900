"""HTTP-level behaviour: tokens, unknown and unimplemented methods, request encodings."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError

from tests.fakebot import FakeTelegram

from .conftest import make_bot


async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == tg.bot_id == 42
    assert me.is_bot
    assert me.username == "spasibot_bot"
    assert me.first_name == "Spasibot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert tg.calls_of("getMe")[0].ok


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    other = FakeTelegram(token="42:another-token-that-is-not-the-fake-token")
    bot = make_bot(tg)
    bot_with_wrong_token = Bot(other.token, session=bot.session)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await bot_with_wrong_token.get_me()
    await bot.session.close()


async def test_raw_http_errors_and_encodings(tg: FakeTelegram) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    base = f"{tg.base_url}/bot{tg.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.post(f"{base}/sendSticker", data={"chat_id": "1"}) as response:
            assert response.status == 400
            body = await response.json()
            assert body["description"] == (
                "Bad Request: fake Bot API does not implement sendSticker"
            )
        async with http.post(f"{tg.base_url}/botWRONG/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        # JSON body, typed values
        async with http.post(
            f"{base}/sendMessage", json={"chat_id": alice.id, "text": "json"}
        ) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "json"
        # urlencoded body
        async with http.post(
            f"{base}/sendMessage", data={"chat_id": str(alice.id), "text": "form"}
        ) as response:
            assert (await response.json())["result"]["text"] == "form"
        # query string, case-insensitive method name
        async with http.get(
            f"{base}/SENDMESSAGE", params={"chat_id": str(alice.id), "text": "query"}
        ) as response:
            assert (await response.json())["result"]["text"] == "query"
        # a file part named like the parameter
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice.id))
        form.add_field("document", b"raw,bytes\n", filename="direct.csv")
        async with http.post(f"{base}/sendDocument", data=form) as response:
            result = (await response.json())["result"]
            assert result["document"]["file_name"] == "direct.csv"
    assert [m.text for m in tg.bot_messages(alice.private)][:3] == ["json", "form", "query"]
    assert [call.method for call in tg.calls][-4:] == [
        "sendMessage",
        "sendMessage",
        "sendMessage",
        "sendDocument",
    ]
    assert tg.calls_of("sendDocument")[0].params["document"] == {
        "filename": "direct.csv",
        "size": 10,
    }


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "1000001"}, "Bad Request: message text is empty"),
        ({"chat_id": "1000001", "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": "1000001", "text": " \n "}, "Bad Request: message text is empty"),
        ({"chat_id": "1000001", "text": "x", "reply_markup": "{oops"}, None),
    ],
)
async def test_missing_and_malformed_parameters(
    tg: FakeTelegram, params: dict[str, str], description: str | None
) -> None:
    alice = tg.user("Alice")
    assert alice.id == 1000001
    alice.start_bot()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{tg.base_url}/bot{tg.token}/sendMessage", data=params) as response,
    ):
        body = await response.json()
    assert response.status == 400
    assert body["ok"] is False
    if description is not None:
        assert body["description"] == description
    else:
        assert body["description"].startswith("Bad Request: can't parse")
    assert not tg.bot_messages(alice.private)


async def test_delete_message_requires_message_id(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{tg.base_url}/bot{tg.token}/deleteMessage", data={"chat_id": str(alice.id)}
        ) as response,
    ):
        body = await response.json()
    assert body["description"] == "Bad Request: message identifier is not specified"
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, 999)


async def test_trivial_methods(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_description("A bot that says thanks")
    assert (await bot.get_my_description()).description == "A bot that says thanks"
    assert await bot.set_my_short_description("Thanks!", language_code="ru")
    assert (await bot.get_my_short_description(language_code="ru")).short_description == "Thanks!"
    assert (await bot.get_my_short_description()).short_description == ""
    with pytest.raises(TelegramBadRequest, match="short description is too long"):
        await bot.set_my_short_description("x" * 121)
    assert await bot.log_out()
    assert await bot.close()
