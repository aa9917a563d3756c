"""Time helpers: UTC storage, Asia/Tokyo display, fiscal years (年度) and Japanese dates (和暦)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Era start dates; only 平成 and 令和 can appear in this system's data.
ERAS = ((date(2019, 5, 1), "令和", 2018), (date(1989, 1, 8), "平成", 1988))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_tokyo(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(TOKYO)


def as_day(value: date | datetime) -> date:
    """The calendar day in Tokyo of a datetime, or the date itself."""
    return to_tokyo(value).date() if isinstance(value, datetime) else value


def fiscal_year_of(value: date | datetime) -> int:
    """Fiscal year (年度) of a day: April to March, named by the year it starts in."""
    day = as_day(value)
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year_of(utcnow())


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year as aware datetimes in Tokyo."""
    return (datetime(fiscal_year, 4, 1, tzinfo=TOKYO), datetime(fiscal_year + 1, 4, 1, tzinfo=TOKYO))


def era_year(year: int, month: int = 12, day: int = 31) -> tuple[str, int]:
    the_day = date(year, month, day)
    for start, name, offset in ERAS:
        if the_day >= start:
            return name, year - offset
    return "西暦", year


def era_year_label(year: int, month: int = 12, day: int = 31) -> str:
    name, number = era_year(year, month, day)
    return f"{name}{'元' if number == 1 else number}年"


def fiscal_year_label(fiscal_year: int, locale: str = "ja") -> str:
    """令和7年度 for 2025; FY2019 is 令和元年度, as officials named it after the era change."""
    if locale == "en":
        return f"FY{fiscal_year}"
    name, number = era_year(fiscal_year, 12, 31)
    return f"{name}{'元' if number == 1 else number}年度"


def format_date(value: date | datetime, *, wareki: bool = True, locale: str = "ja", weekday: bool = True) -> str:
    """The one formatter of a day shown to people: 令和7年4月1日(火) in Japanese (always 和暦), Tue, 2025-04-01 in English.

    `wareki` is kept for old callers and ignored: the Japanese UI has no Gregorian 「2025年」 dates (issue 20,
    tests/web/test_wareki.py scans every page and mail). Files read by machines (CSV, iCalendar, XML) use ISO 8601.
    """
    day = as_day(value)
    if locale == "en":
        return f"{WEEKDAYS_EN[day.weekday()]}, {day.isoformat()}" if weekday else day.isoformat()
    text = f"{era_year_label(day.year, day.month, day.day)}{day.month}月{day.day}日"
    return f"{text}({WEEKDAYS_JA[day.weekday()]})" if weekday else text


def format_datetime(value: datetime, *, wareki: bool = True, locale: str = "ja") -> str:
    """令和7年4月1日(火) 14:00 in Tokyo time."""
    local = to_tokyo(value)
    return f"{format_date(local.date(), locale=locale)} {local.hour:02d}:{local.minute:02d}"


def iso_tokyo(value: date | datetime) -> str:
    """ISO 8601 for files machines read (CSV): 2025-04-01T14:00:00+09:00, or 2025-04-01 for a day."""
    if isinstance(value, datetime):
        return to_tokyo(value).isoformat(timespec="seconds")
    return value.isoformat()


def is_day_off(value: date | datetime) -> bool:
    """Saturday, Sunday or a Japanese public holiday (祝日)."""
    day = as_day(value)
    return day.weekday() >= 5 or jpholiday.is_holiday(day)


def holiday_name(value: date | datetime) -> str | None:
    return jpholiday.is_holiday_name(as_day(value))
