"""Notifications without HTTP: producers, the outbox, the sender against a real SMTP server."""
from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from liaison import events
from liaison.dates import to_tokyo, utcnow
from liaison.extensions import db
from liaison.models import (
    Attendance, AttendanceResponse, Delivery, Membership, Notification, NotificationKind,
    NotificationPreference, NotificationState,
)
from liaison.notify import claims, preparing, sender
from liaison.notify.locks import sender_lock
from liaison.notify.mail import message_id

from ..notify_support import (  # noqa: F401  (fixtures)
    Mailbox, at_tokyo, committee, convene, free_port, mailbox, make_meeting, rows, smtp_config,
)

BODIES = ("川越市", "熊谷市", "川口市")


@pytest.fixture()
def members(ctx, factory):
    """Three seat holders of 企画運営部会."""
    return [factory.member("planning", body) for body in BODIES]


# --- producers -------------------------------------------------------------------------------------

def test_convening_queues_one_convocation_per_seat_holder_and_the_reminders(members):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    convocations = rows(NotificationKind.CONVOCATION)
    assert sorted(n.recipient_id for n in convocations) == sorted(m.id for m in members)
    assert all(n.state is NotificationState.PENDING and n.due_at <= utcnow() for n in convocations)
    assert convocations[0].subject.startswith("【招集通知】") and "企画運営部会" in convocations[0].subject
    assert convocations[0].link == f"/planning/meetings/{meeting.id}"

    reminders = rows(NotificationKind.MEETING_REMINDER)
    start_day = to_tokyo(meeting.starts_at).date()
    assert sorted({n.due_at for n in reminders}) == [
        at_tokyo(start_day - timedelta(days=7)), at_tokyo(start_day - timedelta(days=1))
    ]
    assert len(reminders) == 2 * len(members)


def test_a_reminder_already_past_when_convening_is_not_created(members):
    convene(make_meeting(starts_in=timedelta(days=3)))
    reminders = rows(NotificationKind.MEETING_REMINDER)
    assert len(reminders) == len(members)
    assert "明日" in reminders[0].subject


@pytest.fixture()
def planning_defaults(ctx):
    """企画運営部会's reminder settings, put back afterwards (committees are reference data)."""
    planning = committee("planning")
    saved = (planning.reminder_days, planning.reminder_time, planning.answer_reminder_days)
    yield planning
    planning.reminder_days, planning.reminder_time, planning.answer_reminder_days = saved
    db.session.commit()


def test_committee_defaults_and_meeting_override_or_off(members, planning_defaults):
    planning_defaults.reminder_days = "3"
    planning_defaults.reminder_time = time(17, 30)
    first = convene(make_meeting(starts_in=timedelta(days=10), number=1))
    assert {to_tokyo(n.due_at).strftime("%H:%M") for n in rows(NotificationKind.MEETING_REMINDER)} == {"17:30"}
    assert len(rows(NotificationKind.MEETING_REMINDER)) == len(members)

    convene(make_meeting(starts_in=timedelta(days=12), number=2, reminders_enabled=False))
    convene(make_meeting(starts_in=timedelta(days=14), number=3, reminder_days="5,2"))
    by_meeting = db.session.execute(
        select(Notification.object_id, func.count()).where(Notification.kind == NotificationKind.MEETING_REMINDER)
        .group_by(Notification.object_id)
    ).all()
    assert dict(by_meeting) == {first.id: 3, first.id + 2: 6}


def test_postponing_voids_old_reminders_and_creates_new_ones_with_a_change_notice(members):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    old = {n.id for n in rows(NotificationKind.MEETING_REMINDER)}

    meeting.starts_at += timedelta(days=7)
    meeting.ends_at += timedelta(days=7)
    meeting.sequence += 1
    events.emit("meeting.postponed", meeting)
    db.session.commit()

    assert {n.id for n in rows(NotificationKind.MEETING_REMINDER, NotificationState.VOID)} == old
    fresh = rows(NotificationKind.MEETING_REMINDER, NotificationState.PENDING)
    assert len(fresh) == 2 * len(members)
    assert min(n.due_at for n in fresh) == at_tokyo(to_tokyo(meeting.starts_at).date() - timedelta(days=7))
    # The convocation had not gone out yet: it is replaced by one with the new time, not a change notice.
    convocations = rows(NotificationKind.CONVOCATION)
    assert [n.state for n in convocations].count(NotificationState.PENDING) == len(members)
    assert [n.state for n in convocations].count(NotificationState.VOID) == len(members)


def test_a_change_after_the_convocation_went_out_sends_a_change_notice(members, mailbox):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    sender.run_pass()
    meeting.place = "さいたま市民会館 大会議室"
    meeting.sequence += 1
    events.emit("meeting.changed", meeting)
    db.session.commit()
    changes = rows(NotificationKind.MEETING_CHANGED)
    assert len(changes) == len(members)
    assert "さいたま市民会館" in changes[0].body

    # A second edit in the same minutes replaces the first notice: one mail per member in the end.
    meeting.place = "さいたま市民会館 小会議室"
    events.emit("meeting.changed", meeting)
    db.session.commit()
    result = sender.run_pass(utcnow() + timedelta(minutes=6))
    assert result.count(sender.Outcome.SENT) == len(members)
    change_mails = [m for m in mailbox.messages if m["Subject"].startswith("【変更】")]
    assert len(change_mails) == len(members)
    assert "小会議室" in change_mails[0].get_body(("plain",)).get_content()


def _cancel(meeting):
    meeting.status = meeting.status.CANCELLED
    meeting.cancel_reason = "台風の接近のため"
    meeting.sequence += 1
    events.emit("meeting.cancelled", meeting)
    db.session.commit()


def test_cancelling_voids_pending_reminders_and_tells_the_seat_holders(members, mailbox):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    sender.run_pass()  # the convocations went out
    mailbox.envelopes.clear()
    _cancel(meeting)

    assert all(n.state is NotificationState.VOID for n in rows(NotificationKind.MEETING_REMINDER))
    sender.run_pass()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert len(subjects) == len(members) and all(s.startswith("【中止】") for s in subjects)
    assert "台風の接近のため" in mailbox.messages[0].get_body(("plain",)).get_content()


def test_a_meeting_cancelled_before_its_convocation_went_out_sends_nothing(members, mailbox):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    _cancel(meeting)
    assert all(n.state is NotificationState.VOID for n in rows(NotificationKind.CONVOCATION))
    assert rows(NotificationKind.MEETING_CANCELLED) == []
    assert sender.run_pass().outcomes == {} and mailbox.envelopes == []


def test_a_seat_that_answered_gets_no_attendance_reminder(members, mailbox):
    meeting = convene(make_meeting(starts_in=timedelta(days=10), answer_deadline_in=timedelta(days=-5)))
    reminders = rows(NotificationKind.ATTENDANCE_DEADLINE)
    assert len(reminders) == len(members)
    due = reminders[0].due_at
    assert due == at_tokyo(to_tokyo(meeting.answer_deadline).date() - timedelta(days=2))

    answered = db.session.scalar(select(Membership).where(Membership.user_id == members[0].id))
    db.session.add(Attendance(meeting=meeting, membership=answered, response=AttendanceResponse.ATTEND,
                              answered_at=utcnow()))
    db.session.commit()
    sender.run_pass(due + timedelta(minutes=1))

    reminded = [m["To"].addresses[0].addr_spec for m in mailbox.messages if "出欠回答" in m["Subject"]]
    assert sorted(reminded) == sorted(m.email for m in members[1:])
    states = {n.recipient_id: n.state for n in rows(NotificationKind.ATTENDANCE_DEADLINE)}
    assert states[members[0].id] is NotificationState.VOID


# --- the mail itself -------------------------------------------------------------------------------

def test_the_mail_has_japanese_headers_text_html_and_a_stable_message_id(members, mailbox, app):
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    sender.run_pass()
    assert mailbox.recipients() == sorted(m.email for m in members)

    envelope = mailbox.envelopes[0]
    assert envelope.content.isascii()  # 7-bit clean on the wire: encoded headers, base64 bodies
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "Subject: =?utf-8?" in raw_headers
    message = mailbox.messages[0]
    assert message["Subject"].startswith("【招集通知】令和")
    assert message["From"].addresses[0].display_name == "人づくり広域連合 会議システム"
    assert message["From"].addresses[0].addr_spec == app.config["MAIL_FROM"]
    row = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.CONVOCATION)
                            .where(Notification.recipient.has(email=message["To"].addresses[0].addr_spec)))
    assert message["Message-ID"] == message_id(row)

    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    text = plain.get_content()
    assert "様" in text and "浦和合同庁舎 5階 第1会議室" in text
    assert f"http://liaison.test/planning/meetings/{meeting.id}" in text
    assert f'href="http://liaison.test/planning/meetings/{meeting.id}"' in html.get_content()


# --- exactly once ----------------------------------------------------------------------------------

def test_two_concurrent_passes_deliver_each_row_once(members, mailbox, app):
    convene(make_meeting(starts_in=timedelta(days=10)))
    results = []

    def one_pass():
        with app.app_context():
            results.append(sender.run_pass())

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mailbox.recipients() == sorted(m.email for m in members)
    assert sum(r.count(sender.Outcome.SENT) for r in results) == len(members)
    assert sender.run_pass().outcomes == {}


def test_claiming_is_conditional_only_one_claimer_wins(members, app):
    convene(make_meeting(starts_in=timedelta(days=10)))
    target = rows(NotificationKind.CONVOCATION)[0].id
    wins = []
    barrier = threading.Barrier(2)

    def claim(name):
        with app.app_context():
            barrier.wait()
            won = claims.claim(target, utcnow(), name)
            db.session.commit()
            wins.append(won)

    threads = [threading.Thread(target=claim, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False, True]
    assert rows(NotificationKind.CONVOCATION)[0].attempts == 1


def test_a_second_sender_does_nothing_while_the_lock_is_held(members, mailbox, app):
    convene(make_meeting(starts_in=timedelta(days=10)))
    with sender_lock("another-scheduler") as lock:
        assert lock.held
        result = sender.run_pass()
    assert result.locked is False and mailbox.envelopes == []
    assert sender.run_pass().count(sender.Outcome.SENT) == len(members)


def test_a_row_claimed_by_a_crashed_sender_goes_out_once_after_the_timeout(members, mailbox):
    convene(make_meeting(starts_in=timedelta(days=10)))
    crashed = rows(NotificationKind.CONVOCATION)[0]
    now = utcnow()
    assert claims.claim(crashed.id, now, "crashed-worker")
    db.session.commit()  # the claim was committed, then the process died before sending

    first = sender.run_pass(now)
    assert first.count(sender.Outcome.SENT) == len(members) - 1
    assert rows(NotificationKind.CONVOCATION)[0].state is NotificationState.SENDING

    later = sender.run_pass(now + timedelta(minutes=11))
    assert later.recovered == 1 and later.count(sender.Outcome.SENT) == 1
    assert mailbox.recipients() == sorted(m.email for m in members)
    assert sender.run_pass(now + timedelta(minutes=30)).outcomes == {}


# --- SMTP down, retries, failures ------------------------------------------------------------------

def test_smtp_down_spends_no_attempt_pauses_sending_and_sends_when_back(members, smtp_config, app):
    # Issue 16: an unreachable server is an outage, not a failure of the rows (it used to spend the
    # first row's attempt on every pass: a ~2-hour outage ended rows as failed).
    from liaison.models import SchedulerLease

    port = free_port()
    smtp_config(port)
    convene(make_meeting(starts_in=timedelta(days=10)))
    now = utcnow()

    down = sender.run_pass(now)
    assert down.server_down and not down.paused
    tried = rows(NotificationKind.CONVOCATION)
    assert [n.attempts for n in tried] == [0, 0, 0]  # the pass stops at the first refused connection, no attempt spent
    assert all(n.state is NotificationState.PENDING and n.next_attempt_at is None for n in tried)
    state = db.session.get(SchedulerLease, "sender")
    db.session.refresh(state)
    assert state.smtp_down_since == now and "Connection" in state.smtp_error
    assert state.smtp_retry_at == now + timedelta(seconds=app.config["NOTIFY_BREAKER_MIN_SECONDS"])

    paused = sender.run_pass(now + timedelta(seconds=1))  # the circuit breaker is open: nothing is tried
    assert paused.paused and paused.outcomes == {}

    sender.run_pass(now + timedelta(minutes=2))
    assert sorted(n.attempts for n in rows(NotificationKind.CONVOCATION)) == [0, 0, 0]
    db.session.refresh(state)
    assert state.smtp_down_since == now  # still down since the first refusal; the pause grows with the outage
    assert state.smtp_retry_at == now + timedelta(minutes=4)

    box = Mailbox(port)
    box.start()
    try:
        back = sender.run_pass(now + timedelta(minutes=10))
    finally:
        box.stop()
    assert back.count(sender.Outcome.SENT) == len(members)
    assert box.recipients() == sorted(m.email for m in members)
    assert all(n.state is NotificationState.SENT and n.attempts == 1 for n in rows(NotificationKind.CONVOCATION))
    db.session.refresh(state)
    assert state.smtp_down_since is None and state.smtp_retry_at is None and state.last_sent_at is not None


class BusyMailbox(Mailbox):
    """Answers 450 (mailbox busy) for every recipient: an answer about the recipient, worth retrying."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "450 4.2.1 Mailbox busy, try again later"


def test_retries_back_off_and_end_as_failed_with_the_error_kept(members, smtp_config):
    # A 4xx about the recipient spends the row's attempts (a refused connection no longer does: issue 16).
    box = BusyMailbox(free_port())
    box.start()
    try:
        smtp_config(box.port, NOTIFY_MAX_ATTEMPTS=3)
        convene(make_meeting(starts_in=timedelta(days=10)))
        now = utcnow()
        for minutes in (0, 1, 3):  # 1 then 2 minutes of backoff
            sender.run_pass(now + timedelta(minutes=minutes))
    finally:
        box.stop()
    first = rows(NotificationKind.CONVOCATION)[0]
    assert first.state is NotificationState.FAILED and first.attempts == 3
    assert "450" in first.last_error
    assert all(n.state is NotificationState.FAILED for n in rows(NotificationKind.CONVOCATION))
    assert box.envelopes == []


def test_a_refused_connection_never_fails_a_row_however_long_the_outage(members, smtp_config):
    smtp_config(free_port(), NOTIFY_MAX_ATTEMPTS=3, NOTIFY_BREAKER_MIN_SECONDS=1, NOTIFY_BREAKER_MAX_SECONDS=1)
    convene(make_meeting(starts_in=timedelta(days=10)))
    now = utcnow()
    for minutes in range(0, 240, 10):  # four hours of passes against a closed port
        assert sender.run_pass(now + timedelta(minutes=minutes)).server_down
    assert all(n.state is NotificationState.PENDING and n.attempts == 0 for n in rows(NotificationKind.CONVOCATION))


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("user"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_permanent_refusal_fails_at_once(members, smtp_config):
    box = RefusingMailbox(free_port())
    box.start()
    smtp_config(box.port)
    try:
        convene(make_meeting(starts_in=timedelta(days=10)))
        result = sender.run_pass()
    finally:
        box.stop()
    assert result.count(sender.Outcome.FAILED) == len(members)
    failed = rows(NotificationKind.CONVOCATION, NotificationState.FAILED)
    assert len(failed) == len(members) and failed[0].attempts == 1 and "550" in failed[0].last_error


# --- catch-up --------------------------------------------------------------------------------------

def test_catch_up_sends_what_fell_due_while_stopped_but_not_reminders_of_started_meetings(members, mailbox):
    soon = convene(make_meeting(starts_in=timedelta(days=3), number=1))
    later = convene(make_meeting(starts_in=timedelta(days=9), number=2))
    sender.run_pass()  # the convocations
    mailbox.envelopes.clear()

    # The scheduler was down until an hour after the first meeting began.
    back = soon.starts_at + timedelta(hours=1)
    result = sender.run_pass(back)
    subjects = [m["Subject"] for m in mailbox.messages]
    assert len(subjects) == len(members)  # the later meeting's 7-day reminder, caught up
    assert all("第2回" in s and "7日後" in s for s in subjects)
    assert result.count(sender.Outcome.VOIDED) == len(members)  # the first meeting's 1-day reminder
    skipped = rows(NotificationKind.MEETING_REMINDER, NotificationState.VOID)
    assert {n.object_id for n in skipped} == {soon.id}
    assert later.id in {n.object_id for n in rows(NotificationKind.MEETING_REMINDER, NotificationState.PENDING)}


# --- preferences and the digest --------------------------------------------------------------------

def test_a_kind_turned_off_stays_in_app_without_a_mail(members, mailbox):
    db.session.add(NotificationPreference(user_id=members[0].id, email_off=["convocation"]))
    db.session.commit()
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass()
    assert result.count(sender.Outcome.IN_APP) == 1
    assert members[0].email not in mailbox.recipients()
    mine = [n for n in rows(NotificationKind.CONVOCATION) if n.recipient_id == members[0].id][0]
    assert mine.state is NotificationState.SENT and mine.delivery is Delivery.IN_APP


def test_the_daily_digest_sends_one_mail_at_eight_instead_of_single_mails(members, mailbox):
    db.session.add(NotificationPreference(user_id=members[0].id, daily_digest=True))
    db.session.commit()
    first = convene(make_meeting(starts_in=timedelta(days=10), number=1))
    convene(make_meeting(starts_in=timedelta(days=11), number=2))
    now = utcnow()
    sender.run_pass(now)
    assert members[0].email not in mailbox.recipients()
    assert len(mailbox.envelopes) == 2 * (len(members) - 1)

    digest = rows(NotificationKind.DIGEST)
    assert len(digest) == 1 and digest[0].recipient_id == members[0].id
    assert digest[0].due_at == preparing.next_digest_time(now)
    assert to_tokyo(digest[0].due_at).strftime("%H:%M") == "08:00"

    mailbox.envelopes.clear()
    sender.run_pass(digest[0].due_at + timedelta(seconds=30))
    assert mailbox.recipients() == [members[0].email]
    message = mailbox.messages[0]
    assert message["Subject"].startswith("【まとめ】") and "(2件)" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert text.count("【招集通知】") == 2 and f"/planning/meetings/{first.id}" in text
    assert sender.run_pass(digest[0].due_at + timedelta(minutes=2)).outcomes == {}


def test_notices_are_written_with_the_change_or_not_at_all(members):
    meeting = make_meeting(starts_in=timedelta(days=10))
    db.session.commit()
    meeting.status = meeting.status.CONVENED
    meeting.convened_at = utcnow()
    events.emit("meeting.convened", meeting)
    db.session.rollback()  # the request failed after convening
    assert rows() == []


def _wait_until_the_server_drops_the_lock(key: int) -> None:
    """The server ends a dead client's session (and frees its advisory locks) a moment after the socket
    closes; wait for that, bounded, so the test does not race the server's clean-up."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.engine.connect() as probe:
            if probe.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                probe.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                return
        time.sleep(0.05)
    raise AssertionError("the dead session's advisory lock was never released")


def test_a_dead_schedulers_lock_passes_to_the_next_one(members, mailbox, app):
    """PostgreSQL frees the advisory lock with the dead session; on SQLite the lease runs out."""
    from liaison.models import SchedulerLease
    from liaison.notify.locks import ADVISORY_LOCK_KEY

    convene(make_meeting(starts_in=timedelta(days=10)))
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        dead = db.engine.connect()
        dead.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        assert sender.run_pass().locked is False
        dead.invalidate()  # the process died: its connection is gone
        dead.close()
        _wait_until_the_server_drops_the_lock(ADVISORY_LOCK_KEY)
    else:
        db.session.merge(SchedulerLease(name="sender", holder="dead-host:1:1", expires_at=utcnow() + timedelta(minutes=1)))
        db.session.commit()
        assert sender.run_pass().locked is False
        db.session.merge(SchedulerLease(name="sender", holder="dead-host:1:1", expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert sender.run_pass().count(sender.Outcome.SENT) == len(members)


def test_a_row_that_cannot_be_built_is_retried_later_and_does_not_hold_up_the_others(members, mailbox, monkeypatch):
    real_build = preparing.build_message

    def build(notification, body, **options):
        if notification.recipient_id == members[1].id:
            raise ValueError("broken template")
        return real_build(notification, body, **options)

    monkeypatch.setattr(preparing, "build_message", build)
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass()
    assert result.count(sender.Outcome.SENT) == 2 and result.count(sender.Outcome.RETRY) == 1
    broken = [n for n in rows(NotificationKind.CONVOCATION) if n.recipient_id == members[1].id][0]
    assert broken.state is NotificationState.PENDING and "broken template" in broken.last_error
    assert broken.next_attempt_at is not None


def test_a_row_stuck_after_its_last_attempt_ends_as_failed(members, app):
    convene(make_meeting(starts_in=timedelta(days=10)))
    stuck = rows(NotificationKind.CONVOCATION)[0]
    stuck.attempts = app.config["NOTIFY_MAX_ATTEMPTS"] - 1
    db.session.commit()
    now = utcnow()
    assert claims.claim(stuck.id, now, "crashed-worker")
    db.session.commit()
    sender.recover_stuck(now + timedelta(minutes=11))
    failed = rows(NotificationKind.CONVOCATION)[0]
    assert failed.state is NotificationState.FAILED and "interrupted" in failed.last_error


# --- with the meetings area's own domain functions -------------------------------------------------

def test_the_meeting_rules_events_drive_the_outbox(members, factory, mailbox):
    from liaison.domain import meetings as meeting_rules

    meeting = factory.meeting("planning", status="convened", agenda=1)
    assert len(rows(NotificationKind.CONVOCATION)) == len(members)
    sender.run_pass()
    convocation = mailbox.messages[0].get_body(("plain",)).get_content()
    assert meeting_rules.meeting_name(meeting) in convocation and "各委員 様" in convocation  # issue 20: the addressee of a 公文書

    actor = factory.secretariat()
    new_start = meeting.starts_at + timedelta(days=7)
    meeting_rules.postpone(meeting, actor=actor, starts_at=new_start, ends_at=new_start + timedelta(hours=2),
                           reason="会場の都合")
    db.session.commit()
    assert len(rows(NotificationKind.MEETING_CHANGED, NotificationState.PENDING)) == len(members)
    assert {n.due_at for n in rows(NotificationKind.MEETING_REMINDER, NotificationState.PENDING)} == {
        at_tokyo(to_tokyo(new_start).date() - timedelta(days=days)) for days in (7, 1)
    }

    meeting_rules.cancel(meeting, actor=actor, reason="台風接近のため")
    db.session.commit()
    assert rows(NotificationKind.MEETING_CHANGED, NotificationState.PENDING) == []
    assert rows(NotificationKind.MEETING_REMINDER, NotificationState.PENDING) == []
    mailbox.envelopes.clear()
    sender.run_pass(utcnow() + timedelta(minutes=6))
    assert [m["Subject"][:4] for m in mailbox.messages] == ["【中止】"] * len(members)


def test_meeting_mails_carry_the_meetings_ics_from_the_calendar_generator(members, mailbox):
    import icalendar
    meeting = convene(make_meeting(starts_in=timedelta(days=10)))
    sender.run_pass()
    [attachment, notice] = list(mailbox.messages[0].iter_attachments())  # issue 20: the 招集通知 PDF too
    assert attachment.get_content_type() == "text/calendar" and notice.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"meeting-{meeting.id}.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == meeting.starts_at
    assert "企画運営部会" in str(event.get("SUMMARY"))


def test_mails_built_together_keep_their_own_meeting_ics_subject_and_recipient(members, mailbox):
    import icalendar
    first = convene(make_meeting(starts_in=timedelta(days=10), number=1))
    second = convene(make_meeting(starts_in=timedelta(days=20), number=2))
    result = sender.run_pass()
    assert result.count(sender.Outcome.SENT) == 2 * len(members)  # one chunk: claimed, built, then sent
    for message in mailbox.messages:
        [attachment, notice] = list(message.iter_attachments())  # the .ics, then the 招集通知 PDF (issue 20)
        assert notice.get_content_type() == "application/pdf"
        meeting = first if attachment.get_filename() == f"meeting-{first.id}.ics" else second
        [event] = icalendar.Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
        assert event.decoded("DTSTART") == meeting.starts_at
        assert f"/meetings/{meeting.id}" in message.get_body(("plain",)).get_content()
        assert f"第{meeting.number}回" in message["Subject"]
        name = message["To"].addresses[0].display_name
        assert message.get_body(("plain",)).get_content().startswith(f"{name} 様")
    assert sorted(a.get_filename() for m in mailbox.messages for a in m.iter_attachments()
                  if a.get_content_type() == "text/calendar") == sorted(
        [f"meeting-{first.id}.ics"] * len(members) + [f"meeting-{second.id}.ics"] * len(members))


def test_a_pass_takes_batch_after_batch_until_nothing_is_due_or_its_time_is_up(members, mailbox):
    convene(make_meeting(starts_in=timedelta(days=10)))
    assert sender.run_pass(batch=2, budget=timedelta(0)).count(sender.Outcome.SENT) == 2  # one batch, time is up
    convene(make_meeting(starts_in=timedelta(days=20), number=2))
    assert sender.run_pass(batch=2).count(sender.Outcome.SENT) == 1 + len(members)  # batches until none is left
    assert len(mailbox.envelopes) == 2 * len(members)
    assert all(n.due_at > utcnow() for n in rows(state=NotificationState.PENDING))  # only later reminders


def test_when_the_senders_connection_for_marks_fails_the_marks_go_through_the_session(members, mailbox, monkeypatch):
    opened = sender.Marks.__init__

    def broken(self):
        opened(self)
        self.connection.close()  # every statement on it now fails

    monkeypatch.setattr(sender.Marks, "__init__", broken)
    convene(make_meeting(starts_in=timedelta(days=10)))
    assert sender.run_pass().count(sender.Outcome.SENT) == len(members)
    assert len(mailbox.envelopes) == len(members)
    assert all(n.state is NotificationState.SENT and n.delivery is Delivery.EMAIL
               for n in rows(NotificationKind.CONVOCATION))
