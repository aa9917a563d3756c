"""和暦 everywhere the Japanese UI shows a date (issue 20 item 1).

Every GET page of tests/web/test_query_budget.PAGES (with its data set and viewers) and every mail kind
(`NotificationKind`) is rendered in Japanese; a Gregorian 「2026年」 (four digits and 年, also 「2026年度」)
fails. CSV files are left out: they carry ISO 8601 dates for machines (checked below). The English UI keeps
Gregorian dates.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from types import SimpleNamespace

from docx import Document
from sqlalchemy import select

from liaison.dates import format_date, format_datetime, iso_tokyo, utcnow
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Meeting, MeetingStatus, Minutes, Notification, NotificationKind, Proposal, User, Vote,
)
from bench.scale import Scale, generate

from .test_official_documents import pdf_text
from .test_query_budget import PAGES, PASSWORD, SECOND_VIEWS, _ids

# Four digits (not part of a longer number) followed by 年: 「2026年」, 「2026年度」. 「令和8年」 has one or two.
GREGORIAN = re.compile(r"(?<![0-9０-９])[0-9０-９]{4}\s*年")
# Machine-read files: ISO 8601 (checked separately), or binary without text to check.
NOT_SCANNED = (".csv", "/password/set/", "/account/email/")


def gregorian_dates(text: str) -> list[str]:
    return sorted({text[max(0, m.start() - 30):m.end() + 10] for m in GREGORIAN.finditer(text)})


def _text_of(response) -> str:
    data = response.get_data()
    if response.mimetype == "application/pdf":
        return pdf_text(data)
    if response.mimetype.endswith("wordprocessingml.document"):
        return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            return "\n".join(zipped.read(name).decode("utf-8", "replace") for name in zipped.namelist()
                             if name.endswith((".html", ".txt")))
    return response.get_data(as_text=True)


def test_the_formatter_says_wareki_in_japanese_and_iso_for_machines():
    day = utcnow().replace(year=2027, month=1, day=5, hour=1, minute=0, second=0, microsecond=0)
    assert format_date(day) == "令和9年1月5日(火)" and format_date(day, wareki=False) == "令和9年1月5日(火)"
    assert format_datetime(day) == "令和9年1月5日(火) 10:00"
    assert format_date(day, weekday=False) == "令和9年1月5日"
    assert format_date(day, locale="en") == "Tue, 2027-01-05" and format_datetime(day, locale="en") == "Tue, 2027-01-05 10:00"
    assert iso_tokyo(day) == "2027-01-05T10:00:00+09:00" and iso_tokyo(day.date()) == "2027-01-05"


def test_no_page_shows_a_gregorian_year_in_japanese(app, client, login):
    with app.app_context():
        generate(Scale.small())
        db.session.commit()
    params, emails = _ids(app, app.test_client())
    views = sorted({(who, path) for who, path in list(PAGES.values()) + SECOND_VIEWS}, key=lambda v: (v[0] or "", v[1]))
    found, failures, scanned = {}, [], 0
    current, client = "nobody", None
    for who, template in views:
        if who != current or client is None:
            client = app.test_client()
            if who is not None:
                login(client, emails[who], PASSWORD)
            current = who
        path = template.format(**params)
        if any(part in path for part in NOT_SCANNED):
            continue
        response = client.get(path, headers={"Accept-Language": "ja"})
        if response.status_code != 200:
            failures.append(f"{who} {path}: {response.status_code}")
            continue
        scanned += 1
        dates = gregorian_dates(_text_of(response))
        if dates:
            found[f"{who} {path}"] = dates[:5]
    assert not failures, failures
    assert scanned >= 60
    assert not found, f"Gregorian years on Japanese pages: {found}"


def test_csv_dates_stay_iso_8601(app, client, login):
    with app.app_context():
        generate(Scale.small())
        db.session.commit()
    params, emails = _ids(app, app.test_client())
    client = app.test_client()
    login(client, emails["secretariat"], PASSWORD)
    exported = client.get("/council/votes/decisions.csv").get_data(as_text=True)
    assert re.search(r",\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00,", exported) and "令和" in exported  # 年度 column
    assert not re.search(r"\d年\d+月\d+日", exported)


def test_the_english_ui_keeps_gregorian_dates(app, client, login, factory):
    meeting = factory.meeting(status="convened", agenda=1)
    secretariat = factory.secretariat(email="wareki-staff@example.jp")
    with app.app_context():
        when = db.session.get(Meeting, meeting.id).starts_at
        slug = db.session.get(Meeting, meeting.id).committee.slug
    login(client, secretariat.email)
    path = f"/{slug}/meetings/{meeting.id}"
    japanese = client.get(path).get_data(as_text=True)
    assert format_date(when) in japanese and not gregorian_dates(japanese)
    with app.app_context():
        db.session.get(User, secretariat.id).locale = "en"
        db.session.commit()
    english_client = app.test_client()
    login(english_client, secretariat.email)
    english = english_client.get(path).get_data(as_text=True)
    assert format_date(when, locale="en") in english and "令和" not in english


# --- mails -----------------------------------------------------------------------------------------

def _mail_texts(notification: Notification, body: str) -> str:
    from liaison.notify import mail

    message = mail.build_message(notification, body)
    parts = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            parts.append(part.get_content())
        elif kind == "application/pdf":
            parts.append(pdf_text(part.get_content()))
    return "\n".join([notification.subject, *parts])


def _every_mail(user: User) -> dict[NotificationKind, tuple[Notification, str]]:
    """One mail of each kind, from the data set's objects, built by the notifier's own content functions."""
    from liaison.domain import accounts
    from liaison.models import AccountToken, TokenPurpose
    from liaison.notify import content

    def meeting_of(status):
        return db.session.scalars(select(Meeting).where(Meeting.status == status).order_by(Meeting.id)).first()

    convened, held = meeting_of(MeetingStatus.CONVENED), meeting_of(MeetingStatus.HELD)
    postponed = convened  # a postponement notice, as content builds it (old and new date)
    minutes = db.session.scalars(select(Minutes).order_by(Minutes.id)).first()
    minutes.review_deadline = minutes.review_deadline or utcnow() + timedelta(days=7)
    vote = db.session.scalars(select(Vote).order_by(Vote.id)).first()
    # A written vote still open (the data set's votes are closed and never change): its fields as content reads them.
    open_vote = SimpleNamespace(id=vote.id, agenda_item=vote.agenda_item, method=vote.method, secret=False,
                                committee=vote.committee, closes_at=utcnow() + timedelta(days=3))
    proposal = db.session.scalars(select(Proposal).where(Proposal.number.is_not(None)).order_by(Proposal.id)).first()
    item = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == convened.id)).first()
    built: dict[NotificationKind, tuple[object, tuple[str, str]]] = {}
    for kind in (NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED, NotificationKind.MEETING_CANCELLED):
        built[kind] = (convened, content.meeting_notice(kind, convened))
    built[NotificationKind.MEETING_REMINDER] = (convened, content.meeting_reminder(convened, 2))
    convened.answer_deadline = convened.answer_deadline or convened.starts_at - timedelta(days=7)
    convened.proposal_deadline = convened.proposal_deadline or convened.starts_at - timedelta(days=14)
    built[NotificationKind.ATTENDANCE_DEADLINE] = (convened, content.attendance_reminder(convened))
    built[NotificationKind.PROPOSAL_DEADLINE] = (convened, content.proposal_deadline_reminder(convened))
    for kind in (NotificationKind.PROPOSAL_RETURNED, NotificationKind.PROPOSAL_ACCEPTED, NotificationKind.PROPOSAL_SCHEDULED):
        built[kind] = (proposal, content.proposal_notice(kind, proposal, reason="記載の不足", item=item))
    built[NotificationKind.VOTE_DEADLINE] = (vote, content.vote_deadline_reminder(open_vote, utcnow()))
    built[NotificationKind.VOTE_RESULT] = (vote, content.vote_result(vote))
    built[NotificationKind.MINUTES_REVIEW] = (minutes, content.minutes_review_opened(minutes))
    built[NotificationKind.MINUTES_REVIEW_DEADLINE] = (minutes, content.minutes_review_reminder(minutes, utcnow()))
    built[NotificationKind.MINUTES_PUBLISHED] = (minutes, content.minutes_published(minutes))
    subjects = [Notification(subject=s, link="/") for _, (s, _b) in list(built.items())[:3]]
    built[NotificationKind.DIGEST] = (user, content.digest(utcnow(), subjects))
    purposes = {NotificationKind.ACCOUNT_INVITATION: TokenPurpose.INVITATION,
                NotificationKind.PASSWORD_RESET: TokenPurpose.PASSWORD_RESET,
                NotificationKind.EMAIL_CONFIRMATION: TokenPurpose.EMAIL_CHANGE}
    for kind, purpose in purposes.items():
        token = accounts.issue(user, purpose, actor=None, new_email="wareki-new@example.jp")
        assert isinstance(token, AccountToken)
        built[kind] = (token, accounts.mail_text(token, user))
    # The meeting changed notice as a postponement (its own wording with the old date).
    postponed.original_starts_at = postponed.starts_at
    postponed_notice = content.postponement_notice(postponed, "延期の会議")

    mails = {}
    for kind, (target, (subject, body)) in built.items():
        object_type = Meeting.__tablename__ if isinstance(target, Meeting) else "other"
        notification = Notification(id=0, kind=kind, recipient=user, subject=subject, body=body, link="/",
                                    object_type=object_type, object_id=getattr(target, "id", 0),
                                    idempotency_key=f"wareki:{kind.value}")
        mails[kind] = (notification, body)
    mails["postponed"] = (Notification(id=0, kind=NotificationKind.MEETING_CHANGED, recipient=user,
                                       subject=postponed_notice[0], body=postponed_notice[1], link="/",
                                       object_type=Meeting.__tablename__, object_id=postponed.id,
                                       idempotency_key="wareki:postponed"), postponed_notice[1])
    return mails


def test_no_mail_shows_a_gregorian_year(app):
    with app.app_context():
        generate(Scale.small())
        db.session.commit()
        user = db.session.scalars(select(User).where(User.email.is_not(None)).order_by(User.id)).first()
        mails = _every_mail(user)
        assert set(NotificationKind) <= set(mails), "every mail kind is rendered"
        found = {}
        for kind, (notification, body) in mails.items():
            text = _mail_texts(notification, body)
            assert "令和" in text or kind in (NotificationKind.PROPOSAL_RETURNED, NotificationKind.PROPOSAL_ACCEPTED,
                                               NotificationKind.VOTE_RESULT, NotificationKind.MINUTES_PUBLISHED), kind
            dates = gregorian_dates(text)
            if dates:
                found[str(kind)] = dates[:5]
        db.session.rollback()
        assert not found, f"Gregorian years in mails: {found}"
