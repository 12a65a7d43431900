"""Text formatting: Telegram's HTML parse mode, entity offsets in UTF-16 units, trimming.

The parser follows the rules of the Bot API "HTML style" (the behaviour of TDLib's HTML
parser): the tags b/strong, i/em, u/ins, s/strike/del, tg-spoiler, span class="tg-spoiler",
a href, code (class="language-x" inside pre), pre, blockquote [expandable], tg-emoji emoji-id
and tg-time unix/format; the named entities &lt; &gt; &amp; &quot; and all numeric entities
(an unknown ``&name;`` is left as is). Anything else is an error whose text is Telegram's,
with offsets counted in UTF-8 bytes of the source, e.g.
``can't parse entities: Unsupported start tag "br" at byte offset 5``.

MarkdownV2 and Markdown are not implemented: the fake answers 400 for them (the bot under test
uses HTML only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiogram.types import MessageEntity, User

from .errors import ApiError, bad_request

_SPACES = frozenset(" \t\r\n\f\v\0")
_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TRIM_CHARS = " \t\r\n"


class EntityParseError(Exception):
    """The HTML could not be parsed; ``str(error)`` is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    text: str
    entities: list[MessageEntity] = field(default_factory=list)

    def utf16_length(self) -> int:
        return utf16_len(self.text)


@dataclass
class _OpenTag:
    name: str
    begin: int  # code-point index in the source, for error messages
    offset: int  # UTF-16 offset in the parsed text
    attributes: dict[str, str]
    flags: set[str]


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``source[index] == '&'``; None if it is not one."""
    end = source.find(";", index + 1)
    if end == -1:
        return None
    body = source[index + 1 : end]
    if not body:
        return None
    if body[0] == "#":
        digits = body[1:]
        base = 10
        if digits[:1] in ("x", "X"):
            digits = digits[1:]
            base = 16
        allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        if not digits or len(digits) > 8 or any(ch not in allowed for ch in digits):
            return None
        code = int(digits, base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    if not body.isascii() or not body.isalnum():
        return None
    decoded = _NAMED_ENTITIES.get(body)
    if decoded is None:
        return None
    return decoded, end + 1


def parse_html(
    source: str, resolve_user: Callable[[int], User | None] | None = None
) -> FormattedText:
    """Parse Telegram HTML into plain text and entities (not yet trimmed)."""
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[MessageEntity] = []
    languages: dict[int, str] = {}  # id(code entity) -> language, for <pre><code class=...>
    i = 0
    n = len(source)

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message)

    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                text, i = decoded
                out.append(text)
                utf16 += utf16_len(text)
                continue
        if ch != "<":
            out.append(ch)
            utf16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
            j = i + 1
            while j < n and source[j] not in _SPACES and source[j] != ">":
                j += 1
            end_name = source[i + 1 : j]
            while j < n and source[j] in _SPACES:
                j += 1
            if j >= n or source[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
            top = stack[-1]
            if end_name and end_name.lower() != top.name:
                raise fail(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{top.name}>", found "</{end_name}>"'
                )
            stack.pop()
            i = j + 1
            _close_tag(top, utf16, entities, languages, resolve_user)
            continue

        j = i
        while j < n and source[j] not in _SPACES and source[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        name = source[i:j].lower()
        if name not in _ALLOWED_TAGS:
            raise fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        attributes: dict[str, str] = {}
        flags: set[str] = set()
        while True:
            while j < n and source[j] in _SPACES:
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            if source[j] == ">":
                break
            attribute_begin = j
            while j < n and source[j] not in _SPACES and source[j] not in "=>":
                j += 1
            attribute = source[attribute_begin:j].lower()
            if not attribute:
                raise fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            while j < n and source[j] in _SPACES:
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            if source[j] != "=":
                if name == "blockquote" and attribute == "expandable":
                    flags.add(attribute)
                    continue
                raise fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {_byte_offset(source, begin)}'
                )
            j += 1
            while j < n and source[j] in _SPACES:
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            if source[j] not in "'\"":
                token_begin = j
                while j < n and (
                    (source[j].isascii() and source[j].isalnum()) or source[j] in ".-"
                ):
                    j += 1
                value = source[token_begin:j].lower()
                if j >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
                if source[j] not in _SPACES and source[j] != ">":
                    raise fail(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(source, token_begin)}"
                    )
            else:
                quote = source[j]
                j += 1
                chars: list[str] = []
                while j < n and source[j] != quote:
                    if source[j] == "&":
                        decoded = _decode_entity(source, j)
                        if decoded is not None:
                            chars.append(decoded[0])
                            j = decoded[1]
                            continue
                    chars.append(source[j])
                    j += 1
                if j >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
                j += 1
                value = "".join(chars)
            attributes[attribute] = value

        at = _byte_offset(source, begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise fail(f"Custom emoji entity must have a valid emoji-id at byte offset {at}")
        if name == "tg-time" and not attributes.get("unix", "").lstrip("-").isdigit():
            raise fail(f'Tag "tg-time" must have attribute "unix" at byte offset {at}')
        stack.append(_OpenTag(name, begin, utf16, attributes, flags))
        i = j + 1

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e.offset, -e.length))
    return FormattedText("".join(out), entities)


def _normalize_url(url: str) -> str | None:
    url = url.strip()
    if not url or any(ch in _SPACES for ch in url):
        return None
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "tg://", "ton://", "mailto:")):
        return url
    if "://" in url:
        return None
    return "http://" + url


def _close_tag(
    tag: _OpenTag,
    end_offset: int,
    entities: list[MessageEntity],
    languages: dict[int, str],
    resolve_user: Callable[[int], User | None] | None,
) -> None:
    length = end_offset - tag.offset
    if tag.name == "pre":
        # <pre><code class="language-x">...</code></pre> becomes one pre entity with a language
        language: str | None = None
        for index in range(len(entities) - 1, -1, -1):
            inner = entities[index]
            if inner.type == "code" and inner.offset == tag.offset and inner.length == length:
                language = languages.pop(id(inner), None)
                del entities[index]
                break
        if length > 0:
            entities.append(
                MessageEntity(type="pre", offset=tag.offset, length=length, language=language)
            )
        return
    if length <= 0:
        return
    if tag.name == "code":
        cls = tag.attributes.get("class", "")
        language = cls[len("language-") :] if cls.startswith("language-") else None
        entity = MessageEntity(type="code", offset=tag.offset, length=length)
        if language:
            languages[id(entity)] = language
        entities.append(entity)
        return
    simple = _SIMPLE_TAGS.get(tag.name)
    if simple is not None:
        entities.append(MessageEntity(type=simple, offset=tag.offset, length=length))
        return
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.flags else "blockquote"
        entities.append(MessageEntity(type=kind, offset=tag.offset, length=length))
        return
    if tag.name == "tg-emoji":
        entities.append(
            MessageEntity(
                type="custom_emoji",
                offset=tag.offset,
                length=length,
                custom_emoji_id=tag.attributes["emoji-id"],
            )
        )
        return
    if tag.name == "tg-time":
        entities.append(
            MessageEntity(
                type="date_time",
                offset=tag.offset,
                length=length,
                unix_time=int(tag.attributes["unix"]),
                date_time_format=tag.attributes.get("format") or None,
            )
        )
        return
    if tag.name == "a":
        href = tag.attributes.get("href", "")
        prefix = "tg://user?id="
        if href.lower().startswith(prefix) and href[len(prefix) :].isdigit():
            user = resolve_user(int(href[len(prefix) :])) if resolve_user else None
            if user is not None:
                entities.append(
                    MessageEntity(type="text_mention", offset=tag.offset, length=length, user=user)
                )
                return
        url = _normalize_url(href)
        if url is not None:
            entities.append(
                MessageEntity(type="text_link", offset=tag.offset, length=length, url=url)
            )


def trim(formatted: FormattedText) -> FormattedText:
    """Strip leading/trailing whitespace like Telegram does, keeping entities consistent."""
    text = formatted.text
    stripped_left = text.lstrip(_TRIM_CHARS)
    head = utf16_len(text) - utf16_len(stripped_left)
    stripped = stripped_left.rstrip(_TRIM_CHARS)
    total = utf16_len(stripped)
    if head == 0 and stripped == text:
        return formatted
    entities: list[MessageEntity] = []
    for entity in formatted.entities:
        start = max(entity.offset - head, 0)
        end = min(entity.offset + entity.length - head, total)
        if end > start:
            entities.append(entity.model_copy(update={"offset": start, "length": end - start}))
    return FormattedText(stripped, entities)


def clip_entities(text: str, entities: list[MessageEntity]) -> list[MessageEntity]:
    """Entities passed explicitly: drop the ones outside the text, sort them like Telegram."""
    total = utf16_len(text)
    kept = [e for e in entities if e.length > 0 and e.offset >= 0 and e.offset + e.length <= total]
    return sorted(kept, key=lambda e: (e.offset, -e.length))


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[MessageEntity] | None,
    resolve_user: Callable[[int], User | None] | None = None,
) -> FormattedText:
    """Apply ``parse_mode`` or explicit ``entities`` the way sendMessage does, then trim."""
    if entities is not None:
        formatted = FormattedText(text, clip_entities(text, entities))
    elif not parse_mode:
        formatted = FormattedText(text, [])
    elif parse_mode.lower() == "html":
        try:
            formatted = parse_html(text, resolve_user)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif parse_mode.lower() in ("markdownv2", "markdown"):
        raise ApiError(400, f"Bad Request: fake Bot API does not implement parse_mode {parse_mode}")
    else:
        raise bad_request("unsupported parse_mode")
    return trim(formatted)
