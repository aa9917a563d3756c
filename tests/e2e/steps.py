"""Errands several journeys share, done through the pages the way the secretariat or a member does them.

Each step is a few Visitor verbs; a journey reads as its story and calls these for the set-up it needs
(a meeting of its own, convened, with its own agenda), so journeys never depend on one another.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from liaison.dates import TOKYO, fiscal_year_bounds, fiscal_year_of, is_day_off, utcnow

from .visitor import Visitor

# A tiny, valid one-page PDF (the 資料 a secretariat attaches).
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 40>>stream\nBT /F1 18 Tf 72 770 Td (e2e shiryo) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
MEETING_NAME = re.compile(r"\S+年度第\d+回\S+")


@dataclass
class Meeting:
    path: str  # /<slug>/meetings/<id>
    name: str  # 令和8年度第5回企画運営部会


def unique(label: str) -> str:
    """A title no other journey (or earlier run on the same server) uses."""
    return f"{label} {secrets.token_hex(3)}"


def working_day(days_ahead: int) -> date:
    """A working day about `days_ahead` days from today (Tokyo), kept within this fiscal year,
    where the demo's seats are."""
    today = utcnow().astimezone(TOKYO).date()
    last = fiscal_year_bounds(fiscal_year_of(today))[1].astimezone(TOKYO).date() - timedelta(days=1)
    day = min(today + timedelta(days=days_ahead), last)
    while is_day_off(day) and day < last:
        day += timedelta(days=1)
    return day


def choose_containing(visitor: Visitor, label: str, text: str) -> None:
    """Pick the option of a select whose visible text contains `text` (e.g. a meeting's name)."""
    select = visitor.page.get_by_label(label, exact=True)
    option = select.locator("option", has_text=text)
    expect(option).to_have_count(1)
    select.select_option(option.get_attribute("value"))


def meeting_name_on_page(visitor: Visitor) -> str:
    match = MEETING_NAME.search(visitor.heading().inner_text())
    assert match, f"no meeting name in the heading of {visitor.path}"
    return match.group(0)


# --- the secretariat -------------------------------------------------------------------------


def later_today() -> tuple[date, str, str]:
    """Today (Tokyo) with a start a few minutes ahead and an end before midnight: a meeting that can open (開会)
    now, since the sitting opens only from the meeting's day and a new meeting starts in the future."""
    now = utcnow().astimezone(TOKYO)
    start = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)
    end = start + timedelta(minutes=60)
    if end.date() != now.date():
        pytest.skip("a meeting of today needs an hour before midnight (Tokyo); run the journey at another time")
    return now.date(), start.strftime("%H:%M"), end.strftime("%H:%M")


def schedule_meeting(secretariat: Visitor, committee_path: str = "/planning/", *, title: str, days_ahead: int = 20,
                     written: bool = False, items: tuple[tuple[str, str], ...] = (), today: bool = False) -> Meeting:
    """Create a draft meeting from the committee page and add agenda items ((種類, 件名), ...).

    today=True: the meeting is today, starting in a few minutes, so that the sitting can be opened (開会)."""
    secretariat.open(committee_path)
    secretariat.follow("会議を作成")
    if today:
        day, start, end = later_today()
    else:
        day, start, end = working_day(days_ahead), "14:00", "16:00"
    secretariat.fill("開催日", day.isoformat())
    secretariat.fill("開始時刻", start)
    secretariat.fill("終了時刻", end)
    if written:
        secretariat.choose("開催方法", "書面開催")
    else:
        secretariat.fill("会場", "彩の国さいたま人づくり広域連合 研修室A")
    secretariat.fill("件名(任意)", title)
    secretariat.press("下書きとして作成")
    expect(secretariat.flash().first).to_contain_text("下書きとして作成しました")
    meeting = Meeting(secretariat.path, meeting_name_on_page(secretariat))
    for kind, item_title in items:
        add_agenda_item(secretariat, kind, item_title)
    return meeting


def add_agenda_item(secretariat: Visitor, kind: str, title: str) -> None:
    """On the meeting page: 議事を追加."""
    secretariat.follow("議事を追加")
    secretariat.choose("種類", kind)
    secretariat.fill("件名", title)
    secretariat.press("追加")
    expect(secretariat.flash().first).to_have_text("議事を追加しました。")
    expect(secretariat.page.locator("#agenda")).to_contain_text(title)


def convene(secretariat: Visitor, meeting: Meeting) -> None:
    """On the meeting page: 招集する (and accept the confirmation)."""
    if secretariat.path != meeting.path:
        secretariat.open(meeting.path)
    secretariat.press("招集する", confirm=True)
    expect(secretariat.flash().first).to_contain_text(f"{meeting.name}を招集しました")
    expect(secretariat.heading()).to_contain_text("招集済み")


def open_session(secretariat: Visitor, meeting: Meeting) -> None:
    """On the meeting page: 開会 (and accept the confirmation); votes of the sitting may open from now."""
    if secretariat.path != meeting.path:
        secretariat.open(meeting.path)
    secretariat.press("開会", confirm=True)
    expect(secretariat.flash().first).to_have_text("開会しました。出席の確認と会議中の表決ができます。")
    expect(secretariat.page.locator(".session-open")).to_contain_text("開会中")


def open_vote_panel(secretariat: Visitor, meeting: Meeting, item_title: str) -> None:
    """From the meeting page, the item's 表決・結果 link."""
    if secretariat.path != meeting.path:
        secretariat.open(meeting.path)
    row = secretariat.page.locator("#agenda tr", has_text=item_title)
    secretariat.navigate_by(row.get_by_role("link", name="表決・結果").click)
    expect(secretariat.heading()).to_have_text(re.compile(rf"^表決パネル: (\S+ )?{re.escape(item_title)}$"))
