"""Issue 18, the meeting day: check-in and quorum, 開会/閉会 only in session, the item under discussion,
挙手 in order, the screen link, and the live version raised once per committed change."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from liaison.dates import TOKYO, utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import live
from liaison.domain import meetings as meeting_rules
from liaison.domain import sitting
from liaison.domain import votes
from liaison.domain.live_state import Viewer, live_state
from liaison.extensions import db
from liaison.models import (
    AgendaKind, AttendanceResponse, AuditEvent, Choice, Meeting, MeetingStatus, Membership, VoteState,
)


def seat(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


@pytest.fixture()
def staff(ctx, factory):
    return factory.secretariat()


def today(factory, committee="council", agenda=3):
    now = utcnow().astimezone(TOKYO)
    start = max(now.replace(hour=14, minute=0, second=0, microsecond=0), now + timedelta(minutes=5))
    if start.date() != now.date():
        start = now + timedelta(minutes=1)
    return db.session.get(Meeting, factory.meeting(committee, status="convened", starts_at=start, agenda=agenda).id)


def version(meeting) -> int:
    db.session.expire(meeting)
    return meeting.live_version


def test_check_in_quorum_late_arrival_and_the_version(ctx, factory, staff):
    chair, vice, a, b, c = factory.seated("council", 5)
    meeting = today(factory)
    start = version(meeting)
    with pytest.raises(DomainError, match="開会中"):
        meeting_rules.check_in(meeting, seat(a), actor=a)  # a member checks in only during the sitting
    meeting_rules.open_session(meeting, actor=staff)
    db.session.commit()
    assert version(meeting) == start + 1
    state = live_state(meeting, Viewer("screen"))
    assert state["quorum"] == {"present": 0, "required": 3, "seats": 5, "reached": False}
    sitting.check_in_seat(meeting, seat(chair), actor=chair, mode="present")
    sitting.check_in_seat(meeting, seat(vice), actor=staff, mode="proxy", proxy_name="代理 花子", proxy_title="課長")
    with pytest.raises(Forbidden):  # only the secretariat records a proxy
        sitting.check_in_seat(meeting, seat(a), actor=a, mode="proxy", proxy_name="x")
    with pytest.raises(DomainError, match="氏名"):
        sitting.check_in_seat(meeting, seat(a), actor=staff, mode="proxy", proxy_name=" ")
    sitting.check_in_seat(meeting, seat(a), actor=a, mode="present")
    db.session.commit()
    assert version(meeting) == start + 2  # three check-ins in one transaction: one new version
    state = live_state(meeting, Viewer("screen"))
    assert state["quorum"]["present"] == 3 and state["quorum"]["reached"]
    sitting.check_in_seat(meeting, seat(b), actor=staff, mode="absent")
    db.session.commit()
    assert live_state(meeting, Viewer("screen"))["quorum"]["present"] == 3
    # a late arrival: c checks in after a vote opened, the secretariat admits the seat with a reason
    sitting.move(meeting, actor=staff, direction="next")
    item = sitting.current_item(meeting)
    while item.kind is AgendaKind.REPORT:
        item = sitting.move(meeting, actor=staff, direction="next")
    vote = sitting.open_item_vote(meeting, actor=staff)
    db.session.commit()
    sitting.check_in_seat(meeting, seat(c), actor=c, mode="present")
    with pytest.raises(DomainError, match="出席していなかった"):
        votes.cast_ballot(vote, seat(c), Choice.YES, actor=c)
    votes.admit_late_arrival(vote, seat(c), actor=staff, reason="14時10分到着")
    votes.cast_ballot(vote, seat(c), Choice.YES, actor=c)
    db.session.commit()
    state = live_state(meeting, Viewer("member", c.id, seat(c).id))
    assert state["vote"]["cast_count"] == 1 and state["vote"]["result"] is None
    assert state["me"]["ballot"] == "yes" and state["me"]["present"]
    audit = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "meetings")))
    assert {"meeting.session_opened", "meeting.item_taken_up"} <= audit


def test_open_close_only_in_session_and_the_items(ctx, factory, staff):
    chair, vice, a = factory.seated("council", 3)
    meeting = today(factory)
    with pytest.raises(DomainError, match="開会中"):
        sitting.move(meeting, actor=staff, direction="next")
    with pytest.raises(DomainError, match="開会中"):
        meeting_rules.close_session(meeting, actor=staff)
    with pytest.raises(Forbidden):
        meeting_rules.open_session(meeting, actor=a)
    meeting_rules.open_session(meeting, actor=staff)
    with pytest.raises(Conflict):
        meeting_rules.open_session(meeting, actor=staff)
    with pytest.raises(DomainError, match="最初の議事"):
        sitting.move(meeting, actor=staff, direction="prev")
    first = sitting.move(meeting, actor=chair, direction="next")  # the presiding chair moves the agenda on too
    assert first.position == 1 and first.started_at is not None
    with pytest.raises(Forbidden):
        sitting.move(meeting, actor=a, direction="next")
    second = sitting.move(meeting, actor=staff, direction="next")
    assert sitting.current_item(meeting).id == second.id
    back = sitting.move(meeting, actor=staff, direction="prev")
    assert back.id == first.id and back.started_at == first.started_at  # the first start is kept
    for _ in range(len(meeting.agenda_items) - 1):
        sitting.move(meeting, actor=staff, direction="next")
    with pytest.raises(DomainError, match="最後の議事"):
        sitting.move(meeting, actor=staff, direction="next")
    meeting_rules.close_session(meeting, actor=staff)
    assert meeting.status is MeetingStatus.HELD and meeting.session_closed_at >= meeting.session_opened_at
    with pytest.raises(DomainError, match="開会中"):
        sitting.move(meeting, actor=staff, direction="prev")


def test_the_chair_decides_a_tie_of_a_vote_opened_from_the_console(ctx, factory, staff):
    chair, vice, a, b = factory.seated("council", 4)
    meeting = today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, a, b):
        sitting.check_in_seat(meeting, seat(user), actor=user, mode="present")
    item = sitting.move(meeting, actor=staff, direction="next")
    while item.kind is AgendaKind.REPORT:
        with pytest.raises(DomainError, match="報告事項"):
            sitting.open_item_vote(meeting, actor=staff)
        sitting.settle_item(meeting, actor=staff, how="note")
        item = sitting.move(meeting, actor=staff, direction="next")
    vote = sitting.open_item_vote(meeting, actor=staff)
    with pytest.raises(DomainError, match="議長は表決に加わりません"):
        votes.cast_ballot(vote, seat(chair), Choice.YES, actor=chair)
    votes.cast_ballot(vote, seat(vice), Choice.YES, actor=vice)
    votes.cast_ballot(vote, seat(a), Choice.NO, actor=a)
    votes.cast_ballot(vote, seat(b), Choice.ABSTAIN, actor=b)
    votes.cast_ballot(vote, seat(b), Choice.NO, actor=b)
    votes.cast_ballot(vote, seat(b), Choice.YES, actor=b)
    votes.cast_ballot(vote, seat(b), Choice.YES, actor=b)  # sent twice (a reconnect): stored once
    screen = live_state(meeting, Viewer("screen"))
    assert screen["vote"]["cast_count"] == 3 and screen["vote"]["present_count"] == 3
    assert screen["me"] is None and screen["hands"] == []
    ballot = votes.cast_ballot(vote, seat(b), Choice.ABSTAIN, actor=b)
    assert ballot.revision == 4  # abstain, no, yes, (yes again: nothing), abstain
    votes.close_vote(vote, actor=staff)
    assert vote.state is VoteState.TIED
    with pytest.raises(Forbidden):
        votes.record_casting_vote(vote, Choice.YES, actor=staff)
    votes.record_casting_vote(vote, Choice.YES, actor=chair)
    state = live_state(meeting, Viewer("screen"))
    assert state["vote"]["result"]["line"] == "賛成 1・反対 1・棄権 1 → 可決"
    assert state["vote"]["result"]["casting_vote"] == "yes"


def test_hands_are_called_in_order_and_recorded_on_the_item(ctx, factory, staff):
    chair, vice, a, b = factory.seated("council", 4)
    meeting = today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    with pytest.raises(DomainError, match="出席の確認"):
        sitting.raise_hand(meeting, seat(a), actor=a)
    for user in (a, b, vice):
        sitting.check_in_seat(meeting, seat(user), actor=user, mode="present")
    item = sitting.move(meeting, actor=staff, direction="next")
    with pytest.raises(Forbidden):
        sitting.raise_hand(meeting, seat(a), actor=b)
    sitting.raise_hand(meeting, seat(b), actor=b)
    sitting.raise_hand(meeting, seat(a), actor=a)
    sitting.raise_hand(meeting, seat(vice), actor=vice)
    with pytest.raises(Conflict):
        sitting.raise_hand(meeting, seat(a), actor=a)
    sitting.lower_hand(meeting, seat(vice), actor=vice)
    queue = sitting.open_hands(meeting)
    assert [hand.membership_id for hand in queue] == [seat(b).id, seat(a).id]
    state = live_state(meeting, Viewer("staff", staff.id, runs=True))
    assert [hand["membership_id"] for hand in state["hands"]] == [seat(b).id, seat(a).id]
    assert live_state(meeting, Viewer("screen"))["hands"] == [] and live_state(meeting, Viewer("screen"))["hand_count"] == 2
    with pytest.raises(Forbidden):
        sitting.call_speaker(meeting, queue[0].id, actor=a)
    sitting.call_speaker(meeting, queue[0].id, actor=chair)
    with pytest.raises(Conflict):
        sitting.call_speaker(meeting, queue[0].id, actor=staff)
    sitting.call_speaker(meeting, queue[1].id, actor=staff)
    called = sitting.speakers_by_item(meeting.id)[item.id]
    assert [hand.membership_id for hand in called] == [seat(b).id, seat(a).id]
    assert sitting.open_hands(meeting) == []
    sitting.raise_hand(meeting, seat(a), actor=a)  # a may ask again after being called


def test_the_screen_link_is_revoked_on_every_host(ctx, factory, staff):
    meeting = today(factory)
    secret = "s" * 32
    token = live.screen_token(meeting, secret)
    assert live.screen_token_valid(meeting, token, secret)
    assert not live.screen_token_valid(meeting, token, "another-secret-key-0123456789")
    assert not live.screen_token_valid(meeting, None, secret)
    with pytest.raises(Forbidden):
        sitting.revoke_screen_link(meeting, actor=factory.seated("council", 1)[0])
    sitting.revoke_screen_link(meeting, actor=staff)
    db.session.commit()
    db.session.expire(meeting)
    assert not live.screen_token_valid(meeting, token, secret)  # the generation is in the database
    assert live.screen_token_valid(meeting, live.screen_token(meeting, secret), secret)


def test_a_refused_action_raises_no_version(ctx, factory, staff):
    meeting = today(factory)
    before = version(meeting)
    meeting_rules.open_session(meeting, actor=staff)
    db.session.rollback()
    db.session.commit()
    assert version(meeting) == before


def test_the_minutes_draft_has_the_times_the_presence_at_each_vote_and_the_speakers(ctx, factory, staff):
    from liaison.dates import to_tokyo
    from liaison.domain import minutes as minutes_rules

    chair, vice, a, b = factory.seated("council", 4)
    meeting = today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, a):
        sitting.check_in_seat(meeting, seat(user), actor=user, mode="present")
    item = sitting.move(meeting, actor=staff, direction="next")
    while item.kind is AgendaKind.REPORT:
        sitting.settle_item(meeting, actor=staff, how="note")
        item = sitting.move(meeting, actor=staff, direction="next")
    hand = sitting.raise_hand(meeting, seat(a), actor=a)
    sitting.call_speaker(meeting, hand.id, actor=chair)
    vote = sitting.open_item_vote(meeting, actor=staff)
    votes.cast_ballot(vote, seat(vice), Choice.YES, actor=vice)
    votes.cast_ballot(vote, seat(a), Choice.YES, actor=a)
    votes.close_vote(vote, actor=staff)
    meeting_rules.close_session(meeting, actor=staff)
    minutes = minutes_rules.create(meeting, actor=staff)
    facts = minutes_rules.latest_version(minutes).facts
    opened, closed = (f"{to_tokyo(value):%H:%M}" for value in (meeting.session_opened_at, meeting.session_closed_at))
    assert facts["session"] == {"opened": opened, "closed": closed}
    decided = next(entry for entry in facts["items"] if entry["id"] == item.id)
    assert decided["speakers"] == [{"seat": seat(a).seat_label, "name": a.name}]
    assert decided["vote"]["present"] == 3 and decided["vote"]["entitled"] == 4
    text = minutes_rules.latest_version(minutes).search_text
    for fact in (f"開会 {opened} 閉会 {closed}", f"発言者 {seat(a).seat_label}", "表決時の出席 3/4"):
        assert fact in text


# ---------------------------------------------------------------------- 「この資料を全員に表示」

def material(meeting, item=None, *, pdf=True, name="資料.pdf"):
    """A 資料 of the meeting: today's demo 資料4 (a PDF of three pages), or a text file."""
    from liaison.models import Attachment
    from liaison.seed.demo_today import material_pdf

    content = material_pdf(4) if pdf else b"notes"
    row = Attachment(meeting_id=meeting.id, agenda_item_id=item.id if item else None, original_name=name,
                     stored_name=f"present-{meeting.id}-{name}-{pdf}", content_type="application/pdf" if pdf else "text/plain",
                     size=len(content), sha256="0" * 64, content=content)
    db.session.add(row)
    db.session.flush()
    return row


def test_the_presenter_shows_a_material_page_by_page_until_closed(ctx, factory, staff):
    chair, vice, a = factory.seated("council", 3)
    meeting = today(factory)
    other = today(factory, committee="planning")
    item = sitting.agenda(meeting)[0]
    pdf, text, foreign = material(meeting, item), material(meeting, item, pdf=False, name="メモ.txt"), material(other)
    db.session.commit()
    with pytest.raises(DomainError, match="開会中"):
        sitting.show_material(meeting, pdf, actor=staff)
    db.session.rollback()
    meeting_rules.open_session(meeting, actor=staff)
    db.session.commit()
    start = version(meeting)
    with pytest.raises(Forbidden):  # a member does not run the meeting
        sitting.show_material(meeting, pdf, actor=a, page=1)
    for refused, page, message in ((foreign, 1, "この会議の資料ではありません"), (text, 1, "PDF"), (pdf, 0, "ページ"),
                                   (pdf, 4, "3ページまで")):
        with pytest.raises(DomainError, match=message):
            sitting.show_material(meeting, refused, actor=staff, page=page)
        db.session.rollback()
    assert version(meeting) == start  # nothing refused raised the version
    sitting.show_material(meeting, pdf, actor=chair, page=1)  # the presiding chair presents too
    db.session.commit()
    assert version(meeting) == start + 1
    state = live_state(meeting, Viewer("screen"))
    assert state["presenting"] == {"attachment_id": pdf.id, "number": state["presenting"]["number"], "title": "資料.pdf",
                                   "page": 1, "label": state["presenting"]["label"], "url": None}
    assert state["presenting"]["label"].endswith("資料.pdf")
    sitting.show_material(meeting, pdf, actor=staff, page=3)
    db.session.commit()
    assert version(meeting) == start + 2
    assert live_state(meeting, Viewer("member", a.id))["presenting"]["page"] == 3
    sitting.show_material(meeting, pdf, actor=staff, page=3)  # the same page again: nothing new
    db.session.commit()
    assert version(meeting) == start + 2
    shown = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("meeting.material_%"))).all()
    assert shown == ["meeting.material_shown"]  # once for the 資料, not for each page turned
    sitting.stop_showing(meeting, actor=staff)
    db.session.commit()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.material_hidden")) is not None
    assert version(meeting) == start + 3 and live_state(meeting, Viewer("screen"))["presenting"] is None
    with pytest.raises(Conflict):
        sitting.stop_showing(meeting, actor=staff)
    db.session.rollback()
    with pytest.raises(Forbidden):
        sitting.stop_showing(meeting, actor=a)
    db.session.rollback()
    sitting.show_material(meeting, pdf, actor=staff, page=2)
    db.session.commit()
    meeting_rules.close_session(meeting, actor=staff)  # 閉会 ends the presentation
    db.session.commit()
    db.session.expire(meeting)
    assert meeting.presented_attachment_id is None and meeting.presented_page is None
    assert live_state(meeting, Viewer("screen"))["presenting"] is None


def test_removing_the_presented_material_stops_the_presentation(ctx, factory, staff):
    from liaison.domain import meeting_agenda

    factory.seated("council", 3)
    meeting = today(factory)
    pdf = material(meeting, sitting.agenda(meeting)[0])
    meeting_rules.open_session(meeting, actor=staff)
    sitting.show_material(meeting, pdf, actor=staff, page=2)
    db.session.commit()
    start = version(meeting)
    meeting_agenda.remove_attachment(pdf, actor=staff)
    db.session.commit()
    assert version(meeting) == start + 1
    assert meeting.presented_attachment_id is None and live_state(meeting, Viewer("screen"))["presenting"] is None
