"""The audit page reads as a record: JST dates in 和暦, one Japanese phrase per event, fields before → after;
filters by committee, object, actor and period; CSV with ISO 8601 times; pages of 50."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from liaison.dates import TOKYO, format_datetime
from liaison.domain import audit, audit_labels
from liaison.extensions import db
from liaison.models import AuditEvent, Proposal

ROOT = Path(__file__).resolve().parents[2]


def visible_text(page: str) -> str:
    """What a reader sees: the body's text without tags, attributes, scripts or styles."""
    body = page[page.find("<main"):] if "<main" in page else page
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def rows_of(page: str) -> list[str]:
    return [visible_text(row) for row in re.findall(r'<tr id="audit-\d+".*?</tr>', page, re.S)]


@pytest.fixture()
def admin(factory, client, login):
    user = factory.admin(name="監査 担当")
    login(client, user.email)
    return user


def test_a_row_shows_actor_jst_wareki_time_description_and_before_after(app, client, admin, factory):
    meeting = factory.meeting("planning", status="convened")
    with app.app_context():
        convened = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.convened"))
        expected_time = format_datetime(convened.at, wareki=True)
        utc_text = convened.at.strftime("%Y-%m-%d %H:%M")
    page = client.get(f"/admin/audit?object_type=meetings&object_id={meeting.id}").get_data(as_text=True)
    text = visible_text(page)
    row = next(r for r in rows_of(page) if "招集" in r and "状態" in r)
    assert expected_time in row and re.search(r"令和\d+年\d+月\d+日\([月火水木金土日]\) \d\d:\d\d", row)
    assert "事務局 テスト" in row  # the factory's secretariat account
    assert "企画運営部会を招集" in row and "状態: 下書き → 招集済み" in row
    assert "企画運営部会" in row  # the committee column
    # No event codes, table names, raw dicts or UTC times where the reader looks.
    for raw in ("meeting.convened", "meeting.created", "meetings #", "{'", "': ", "+00:00", "T05:", utc_text + " UTC"):
        assert raw not in text, raw
    created = next(r for r in rows_of(page) if "を作成" in r)
    assert "開始日時: (なし) → 令和" in created and "開催形式: (なし) → 対面" in created


def test_a_postponement_shows_the_old_and_new_start_in_jst(app, client, admin, factory):
    meeting = factory.meeting("planning", status="postponed")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.postponed"))
        old = datetime.fromisoformat(event.data["before"]["starts_at"])
        new = datetime.fromisoformat(event.data["after"]["starts_at"])
    page = client.get(f"/admin/audit?object_type=meetings&object_id={meeting.id}").get_data(as_text=True)
    row = next(r for r in rows_of(page) if "を延期" in r)
    assert f"開始日時: {format_datetime(old, wareki=True)} → {format_datetime(new, wareki=True)}" in row
    assert "状態: 招集済み → 延期" in row and "理由: 会場の都合" in row


def test_an_accepted_proposal_reads_with_its_number(app, client, admin, factory):
    author = factory.member("planning")
    proposal = factory.proposal(author, status="accepted")
    with app.app_context():
        number = db.session.get(Proposal, proposal.id).number
    page = client.get(f"/admin/audit?object_type=proposals&object_id={proposal.id}").get_data(as_text=True)
    row = next(r for r in rows_of(page) if "を受理" in r)
    assert f"提案 {number} デジタル人材の育成に関する共同研修 を受理" in row
    assert "状態: 提出済み → 受理" in row and f"番号: {number}" in row
    assert re.match(r"企画-R\d+-\d{3}$", number)


def test_filters_by_committee_object_actor_and_period(app, client, admin, factory):
    planning = factory.meeting("planning", status="convened")
    council = factory.meeting("council")
    page = client.get("/admin/audit?committee=planning").get_data(as_text=True)
    assert f'href="/admin/audit?object_type=meetings&amp;object_id={planning.id}"' in page
    assert f"object_id={council.id}\"" not in page
    page = client.get("/admin/audit?committee=council").get_data(as_text=True)
    assert len(rows_of(page)) == 1 and "連絡調整会議を作成" in rows_of(page)[0]
    page = client.get(f"/admin/audit?object_type=meetings&object_id={planning.id}").get_data(as_text=True)
    assert len(rows_of(page)) == 2
    page = client.get("/admin/audit?actor=事務局 テスト").get_data(as_text=True)
    assert len(rows_of(page)) == 3
    assert rows_of(client.get("/admin/audit?actor=監査").get_data(as_text=True)) == []
    today = datetime.now(TOKYO).date()
    assert len(rows_of(client.get(f"/admin/audit?from={today - timedelta(days=40)}&to={today}&committee=planning")
                       .get_data(as_text=True))) == 2
    assert rows_of(client.get(f"/admin/audit?to={today - timedelta(days=400)}").get_data(as_text=True)) == []
    assert client.get("/admin/audit?committee=no-such-committee").status_code == 200


def test_csv_export_has_iso_8601_jst_times_the_filter_and_the_chain(app, client, admin, factory):
    factory.meeting("planning", status="convened")
    factory.meeting("council")
    response = client.get("/admin/audit.csv?committee=planning")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["操作の種類"] for row in rows] == ["meeting.convened", "meeting.created"]
    with app.app_context():
        events = {e.id: e for e in db.session.scalars(select(AuditEvent))}
    for row in rows:
        event = events[int(row["ID"])]
        at = datetime.fromisoformat(row["日時"])
        assert row["日時"].endswith("+09:00") and at == event.at.replace(microsecond=0)
        assert row["ハッシュ"] == event.row_hash and row["連番"] == str(event.seq)
        assert row["会議体"] == "企画運営部会" and row["対象の種類"] == "会議"
    assert rows[0]["変更内容"] == "状態: 下書き → 招集済み" and rows[0]["操作"].endswith("企画運営部会を招集")


def test_the_list_pages_by_50(app, client, admin, factory):
    with app.app_context():
        committee = factory.committee("council")
        for n in range(55):
            audit.record(None, "committee.reminders", committee, before={"days": str(n)}, after={"days": str(n + 1)})
        db.session.commit()
    first = client.get("/admin/audit?committee=council").get_data(as_text=True)
    assert len(rows_of(first)) == 50 and "1 / 2 ページ" in first and 'rel="next"' in first and "55件" in first
    second = client.get("/admin/audit?committee=council&page=2").get_data(as_text=True)
    assert len(rows_of(second)) == 5 and "何日前: 0 → 1" in rows_of(second)[-1]


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_only_administrators_read_the_trail(client, login, factory, path):
    login(client, factory.secretariat().email)
    assert client.get(path).status_code == 403


def test_record_takes_changes_without_breaking_before_and_after(ctx, factory):
    committee = factory.committee("planning")
    event = audit.record(None, "committee.quorum_set", committee, changes={"quorum": ("過半数", "3分の2以上")},
                         reason="規約改正")
    assert event.data == {"before": {"quorum": "過半数"}, "after": {"quorum": "3分の2以上"}, "reason": "規約改正"}
    assert [(c.field, c.before, c.after) for c in audit_labels.changes(event)] == [("定足数", "過半数", "3分の2以上")]
    legacy = audit.record(None, "meeting.convened", committee, before="draft", after="convened")
    assert legacy.data == {"before": "draft", "after": "convened"}


def test_every_event_type_the_code_writes_has_its_own_description():
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "liaison").rglob("*.py"))
    written = set()
    for call in re.finditer(r"audit\.record\((.{0,120})", source, re.S):
        action = re.search(r'"([a-z_]+\.[a-z_]+)"', call.group(1))  # the first literal is the event type
        if action:
            written.add(action.group(1))
    written |= set(re.findall(r'action = "([a-z_]+\.[a-z_]+)" if .* else "([a-z_]+\.[a-z_]+)"', source)[0])
    written |= {f"proposal.{outcome}" for outcome in ("adopted", "rejected", "continued")}  # proposal.{target.value}
    assert len(written) > 60
    assert written - audit_labels.known_actions() == set()


def test_an_unknown_event_type_is_still_described_in_japanese(ctx):
    event = AuditEvent(action="vote.admitted", object_type="votes", object_id=3, object_label="議案第1号", data={})
    assert audit_labels.describe(event) == "表決 議案第1号 を許可"
    event = AuditEvent(action="meeting.frobbed", object_type="meetings", object_id=3, object_label="", data={})
    assert audit_labels.describe(event) == "会議 #3 を操作"


def test_outcomes_without_a_vote_and_ended_seats_record_before_and_after(ctx, factory):
    from liaison.domain import memberships as membership_rules
    from liaison.domain import votes as vote_rules
    from liaison.models import AgendaItem, Membership, User

    staff = factory.secretariat()
    item = db.session.get(AgendaItem, factory.agenda_item("council", kind="discussion").id)
    vote_rules.defer_item(item, actor=db.session.get(User, staff.id))
    admin = factory.admin()
    member = factory.member("planning")
    seat = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    membership_rules.end(seat, actor=db.session.get(User, admin.id))
    db.session.commit()
    deferred = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agenda_item.continued"))
    assert [(c.field, c.before, c.after) for c in audit_labels.changes(deferred)] == [("結果", "(なし)", "継続審議")]
    ended = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.ended"))
    [change] = audit_labels.changes(ended)
    assert change.field == "任期の終了" and change.before == "(なし)" and change.after.startswith("令和")
