"""The small RFC 5545 writer: properties as (NAME, value, parameters) to folded content lines.

It knows exactly the value types the calendar emits (TEXT, URI, DATE-TIME in UTC or Asia/Tokyo, DATE,
INTEGER, DURATION): a feed of 500+ meetings is written in milliseconds, where the `icalendar` library
takes about a millisecond per event. `reference.py` puts the same properties in icalendar's objects, and
the tests check that what the writer writes parses with it to the same components. (The bytes are those
icalendar 7 writes, but for a literal backslash-N in a text, which icalendar turns into a line break and
the writer keeps.)"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache




TZID = "Asia/Tokyo"


class Raw(str):
    """A value written as it is, not escaped like TEXT (line breaks become spaces): what clients read
    unescaped, like X-WR-CALNAME (icalendar writes and reads it so, and so does ical.js)."""


class Uri(Raw):
    """A URI value."""


FOLD_OCTETS = 74  # octets of content per line; a continuation line adds its leading space (RFC 5545 3.1: at most 75)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\n", "\\n")


def _parameter(value: str) -> str:
    """A parameter value: RFC 6868 escapes (^, line breaks, double quotes), quoted when it holds , ; or :."""
    value = value.replace("^", "^^").replace("\r\n", "^n").replace("\n", "^n").replace("\r", "^n").replace('"', "^'")
    if any(character in value for character in ",;:’"):  # noqa: RUF001 (icalendar quotes ’ too)
        return f'"{value}"'
    return value


def _duration(value: timedelta) -> str:
    if value <= timedelta(0):
        raise ValueError("only positive durations are written")
    minutes, seconds = divmod(value.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"P{value.days}D" if value.days else "P"
    if hours or minutes or seconds:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return text


def _datetime(value: datetime) -> tuple[str, str]:
    zone = value.tzinfo
    if zone is timezone.utc or getattr(zone, "key", None) in ("UTC", "Etc/UTC"):
        return "", "%04d%02d%02dT%02d%02d%02dZ" % (value.year, value.month, value.day, value.hour, value.minute, value.second)
    if getattr(zone, "key", None) == TZID:
        return _TZID, "%04d%02d%02dT%02d%02d%02d" % (value.year, value.month, value.day, value.hour, value.minute, value.second)
    raise ValueError(f"a feed's times are in UTC or {TZID} (its one VTIMEZONE), not {zone!r}")


_TZID = f";TZID={TZID}"


def _value(value) -> tuple[str, str]:
    """(implicit parameters, the value as text) by the value's type."""
    kind = type(value)
    if kind is str:
        return "", _text(value)
    if kind is Uri or kind is Raw:
        text = str.__str__(value)
        return "", text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") if "\n" in text or "\r" in text else text
    if kind is datetime:
        return _datetime(value)
    if kind is date:
        return ";VALUE=DATE", "%04d%02d%02d" % (value.year, value.month, value.day)
    if kind is int:
        return "", str(value)
    if kind is tuple or kind is list:
        return "", ",".join(_text(item) for item in value)
    if kind is timedelta:
        return "", _duration(value)
    raise TypeError(f"no iCalendar type for {value!r}")


def _fold(line: bytes) -> bytes:
    """RFC 5545 3.1 folding: at most 75 octets a line, never inside a UTF-8 character, and (like
    icalendar) never between a backslash or ^ and the character it escapes."""
    if len(line) <= FOLD_OCTETS:
        return line
    parts, start, end = [], 0, len(line)
    while end - start > FOLD_OCTETS:
        cut = start + FOLD_OCTETS
        while line[cut] & 0xC0 == 0x80:  # a continuation byte: back to the character's first byte
            cut -= 1
        if line[cut - 1] in b"\\^" and cut - 1 > start:
            cut -= 1
        parts.append(line[start:cut])
        start = cut
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def text_line(prefix: str, value: str) -> bytes:
    """`prefix` (NAME and parameters, then the colon) and a TEXT value: content_line of a str without its dispatch."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    line = (prefix + value.replace("\n", "\\n")).encode()
    return line if len(line) <= FOLD_OCTETS else _fold(line)


def written_line(line: str) -> bytes:
    """A content line whose value is already written (escaped, or a URI's `uri_text`), folded."""
    data = line.encode()
    return data if len(data) <= FOLD_OCTETS else _fold(data)


def uri_text(value: str) -> str:
    """A URI's (or Raw) value: line breaks become spaces."""
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") if "\n" in value or "\r" in value else value


# The stamps below write YYYYMMDD and HHMMSS as two zero-padded numbers (the same digits as six %02d
# fields, years 1-9999): a feed writes some 2,600 of them, and each %02d field costs about 0.1 µs.

def utc_text(value: datetime) -> str:
    """A DATE-TIME in UTC (tzinfo timezone.utc), as _datetime writes it."""
    return "%08dT%06dZ" % (value.year * 10000 + value.month * 100 + value.day,
                           value.hour * 10000 + value.minute * 100 + value.second)


def tokyo_text(value: datetime) -> str:
    """A DATE-TIME in Asia/Tokyo (to_tokyo's), without its ;TZID parameter."""
    return "%08dT%06d" % (value.year * 10000 + value.month * 100 + value.day,
                          value.hour * 10000 + value.minute * 100 + value.second)


def date_text(value: date) -> str:
    return "%08d" % (value.year * 10000 + value.month * 100 + value.day)


escape = _text


def _parameters(parameters: dict, implicit: str) -> str:
    return _written_parameters(tuple(parameters.items()), implicit)


@lru_cache(maxsize=256)
def _written_parameters(parameters: tuple, implicit: str) -> str:
    """;KEY=value… sorted by key (a feed gives the same few parameters to hundreds of events)."""
    given = dict(parameters)
    if implicit:  # e.g. ;TZID=Asia/Tokyo
        key, _equals, implied = implicit[1:].partition("=")
        given.setdefault(key, implied)
    return "".join(f";{key}={_parameter(str(given[key]))}" for key in sorted(given))


def content_line(name: str, value, parameters: dict | None = None) -> bytes:
    """One property as a folded content line (without its CRLF)."""
    implicit, text = _value(value)
    if parameters:
        implicit = _parameters(parameters, implicit)
    return _fold(f"{name}{implicit}:{text}".encode())


def write_component(name: str, properties) -> bytes:
    """BEGIN:name, the (NAME, value, parameters) properties, END:name; lines end in CRLF.

    `content_line` for each property, with the common cases inlined (a feed writes ~15,000 lines).
    """
    lines = [f"BEGIN:{name}".encode()]
    append = lines.append
    stamp = stamp_text = None
    for prop, value, parameters in properties:
        kind = type(value)
        implicit = ""
        if kind is str:
            text = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            text = text.replace("\n", "\\n")
        elif kind is datetime:
            if value is not stamp:  # DTSTAMP and LAST-MODIFIED are one value
                stamp, stamp_text = value, _datetime(value)
            implicit, text = stamp_text
        else:
            implicit, text = _value(value)
        if parameters:
            implicit = _parameters(parameters, implicit)
        line = f"{prop}{implicit}:{text}".encode()
        append(line if len(line) <= FOLD_OCTETS else _fold(line))
    append(f"END:{name}\r\n".encode())
    return b"\r\n".join(lines)
