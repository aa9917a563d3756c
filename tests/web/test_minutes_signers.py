"""議事録署名人 over HTTP: the administrator's setting, the secretariat names, only named signers confirm (once),
the confirmations on the minutes PDF and .docx (issue 20 item 3)."""
import io
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from liaison.dates import utcnow
from liaison.domain import meetings as meeting_rules
from liaison.domain import minutes as rules
from liaison.extensions import db
from liaison.models import AttendanceResponse, AuditEvent, Committee, Meeting, Membership, MinutesSigner, User

from .test_official_documents import pdf_text


def _seat(user_id) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user_id))


def _setup(app, factory):
    people = {
        "admin": factory.admin(email="sig-admin@example.jp"),
        "staff": factory.secretariat(email="sig-staff@example.jp"),
        "chair": factory.member(body="さいたま市", role="chair", email="sig-chair@example.jp", name="佐藤 健一"),
        "member": factory.member(body="川越市", email="sig-member@example.jp", name="川越 太郎"),
        "other": factory.member(body="熊谷市", email="sig-other@example.jp", name="熊谷 次郎"),
        "absent": factory.member(body="所沢市", email="sig-absent@example.jp", name="所沢 三郎"),
    }
    meeting = factory.meeting("planning", status="held", agenda=1)
    with app.app_context():
        held = db.session.get(Meeting, meeting.id)
        staff = db.session.get(User, people["staff"].id)
        for key in ("chair", "member", "other", "absent"):
            response = AttendanceResponse.ABSENT if key == "absent" else AttendanceResponse.ATTEND
            meeting_rules.answer_attendance(held, _seat(people[key].id), actor=staff, response=response)
        meeting_rules.record_presence(held, actor=staff, present_membership_ids=[
            _seat(people[key].id).id for key in ("chair", "member", "other")])
        minutes_id = rules.create(held, actor=staff).id
        db.session.commit()
        seats = {key: _seat(people[key].id).id for key in people if key not in ("admin", "staff")}
    return people, meeting, minutes_id, seats


def test_signers_named_confirmed_once_and_printed(app, client, login, factory):
    people, meeting, minutes_id, seats = _setup(app, factory)
    page = f"/planning/meetings/{meeting.id}/minutes"

    # The administrator turns signers on: the chair and one member.
    login(client, people["admin"].email)
    response = client.form("/planning/meetings/document-prefix", {
        "prefix": "", "minutes_signers": "y", "signer_members": "1"})
    assert response.status_code == 303
    client.form("/logout")

    login(client, people["staff"].email)
    shown = client.get(page).get_data(as_text=True)
    assert "議事録署名人" in shown and "所沢 三郎" not in shown.split('id="signers"')[1].split("</section>")[0]
    assert client.form(f"{page}/signers", {"members": str(seats["absent"])}).status_code == 400
    assert client.form(f"{page}/signers", {"members": str(seats["member"])}).status_code == 303
    with app.app_context():
        minutes = rules.minutes_of(db.session.get(Meeting, meeting.id))
        rules.open_review(minutes, actor=db.session.get(User, people["staff"].id), deadline=utcnow() + timedelta(days=7))
        db.session.commit()
    client.form("/logout")

    # Someone not named cannot confirm; the named member confirms once (a second time: 409).
    login(client, people["other"].email)
    assert "署名人として確認する" not in client.get(page).get_data(as_text=True)
    assert client.form(f"{page}/sign").status_code == 403
    client.form("/logout")
    login(client, people["member"].email)
    assert "署名人として確認する" in client.get(page).get_data(as_text=True)
    assert client.form(f"{page}/sign").status_code == 303
    assert client.form(f"{page}/sign").status_code == 409
    with app.app_context():
        rows = db.session.scalars(select(MinutesSigner).where(MinutesSigner.minutes_id == minutes_id)
                                  .order_by(MinutesSigner.position)).all()
        assert [r.membership_id for r in rows] == [seats["chair"], seats["member"]]
        assert rows[0].confirmed_at is None and rows[1].confirmed_at is not None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "minutes.signer_confirmed")) is not None

    text = pdf_text(client.get(f"/planning/meetings/{meeting.id}/minutes.pdf").get_data())
    flat = "".join(text.split())
    assert "議事録署名人部会長さいたま市佐藤健一(未確認)" in flat
    assert "議事録署名人川越市川越太郎(令和" in flat and "電子確認)" in flat
    paragraphs = [p.text for p in Document(io.BytesIO(client.get(
        f"/planning/meetings/{meeting.id}/minutes.docx").get_data())).paragraphs]
    assert any(p.startswith("議事録署名人 川越市 川越 太郎 (令和") and p.endswith("電子確認)") for p in paragraphs)


def test_a_committee_without_signers_shows_nothing_and_refuses(app, client, login, factory):
    people, meeting, minutes_id, seats = _setup(app, factory)
    login(client, people["staff"].email)
    page = f"/planning/meetings/{meeting.id}/minutes"
    assert 'id="signers"' not in client.get(page).get_data(as_text=True)
    assert client.form(f"{page}/signers", {"members": str(seats["member"])}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Committee).where(Committee.slug == "planning")).minutes_signers is False
