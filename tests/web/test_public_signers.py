"""議事録署名人 on the public 会議録 page and PDF (issue 20): the lines appear as the committee's masking allows —
names when masking is off, the seat (「川越市委員」) when masked, the chair's name kept with public_keep_officers;
a confirmation made after publication shows at once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from liaison.dates import utcnow
from liaison.domain import minutes as rules
from liaison.domain import minutes_signers
from liaison.extensions import db
from liaison.models import Committee, Minutes, User

from .test_minutes_signers import _setup
from .test_official_documents import pdf_text


def _published_with_signers(app, factory):
    people, meeting, minutes_id, seats = _setup(app, factory)
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
        committee.minutes_signers, committee.minutes_signer_members = True, 1
        committee.public_minutes = True
        minutes = db.session.get(Minutes, minutes_id)
        staff = db.session.get(User, people["staff"].id)
        minutes_signers.name_signers(minutes, actor=staff, membership_ids=[seats["member"]])
        rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
        minutes_signers.confirm(minutes, actor=db.session.get(User, people["member"].id))
        rules.approve(minutes, actor=db.session.get(User, people["chair"].id), now=minutes.review_deadline)
        rules.publish(minutes, actor=staff)
        db.session.commit()
    return people, minutes_id


def _settings(app, **values):
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
        for name, value in values.items():
            setattr(committee, name, value)
        db.session.commit()


def _signer_text(client, minutes_id) -> tuple[str, str]:
    page = client.get(f"/public/minutes/{minutes_id}")
    pdf = client.get(f"/public/minutes/{minutes_id}.pdf")
    assert page.status_code == 200 and pdf.status_code == 200
    return page.get_data(as_text=True), pdf_text(pdf.data)


def test_public_signer_lines_follow_the_masking_rule(app, client, factory):
    people, minutes_id = _published_with_signers(app, factory)

    _settings(app, public_mask_names=False, public_keep_officers=False)
    for text in _signer_text(client, minutes_id):
        assert "議事録署名人" in text and "川越 太郎" in text and "佐藤 健一" in text
        assert "電子確認" in text and "未確認" in text

    _settings(app, public_mask_names=True, public_keep_officers=False)
    for text in _signer_text(client, minutes_id):
        assert "議事録署名人" in text and "川越市委員" in text and "さいたま市委員" in text
        assert "川越 太郎" not in text and "佐藤 健一" not in text and "川越" + "太郎" not in text.replace(" ", "")

    _settings(app, public_mask_names=True, public_keep_officers=True)
    for text in _signer_text(client, minutes_id):
        assert "佐藤 健一" in text.replace("\u3000", " ") or "佐藤健一" in text.replace(" ", "")  # the chair kept
        assert "川越市委員" in text and "川越 太郎" not in text

    # The chair confirms after publication: the public page shows it (no stale stored copy).
    with app.app_context():
        minutes_signers.confirm(db.session.get(Minutes, minutes_id), actor=db.session.get(User, people["chair"].id))
        db.session.commit()
    page, pdf = _signer_text(client, minutes_id)
    assert "未確認" not in page and "未確認" not in pdf


def test_no_signer_lines_when_the_committee_has_no_signers(app, client, factory):
    _people, minutes_id = _published_with_signers(app, factory)
    _settings(app, minutes_signers=False, public_mask_names=False)
    page, pdf = _signer_text(client, minutes_id)
    assert "議事録署名人" not in page and "議事録署名人" not in pdf
