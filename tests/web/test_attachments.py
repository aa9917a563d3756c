"""資料 over HTTP: upload by the secretariat, size and type limits, download rights and headers."""
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from liaison.extensions import db
from liaison.models import AgendaItem, Attachment

from ..domain.test_attachments import EXE, PDF


@pytest.fixture()
def people(factory):
    return {
        "member": factory.member(committee="planning", body="川越市", email="member@example.jp"),
        "outsider": factory.member(committee="council", body="秩父市", email="outsider@example.jp"),
        "secretariat": factory.secretariat(email="staff@example.jp"),
    }


def _post_file(client, meeting_id, name, data, agenda_item_id=0):
    return client.form(
        f"/planning/meetings/{meeting_id}/attachments",
        {"file": (io.BytesIO(data), name), "agenda_item_id": str(agenda_item_id)},
        content_type="multipart/form-data",
    )


def _attachments(app):
    with app.app_context():
        rows = db.session.scalars(select(Attachment)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _folder_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    return set(folder.iterdir()) if folder.exists() else set()


def test_upload_and_download_keep_the_japanese_name(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened", agenda=1)
    with app.app_context():
        item_id = db.session.scalar(select(AgendaItem.id))
    login(client, people["secretariat"].email)
    response = _post_file(client, meeting.id, "資料1 令和9年度研修計画(案).pdf", PDF, item_id)
    assert response.status_code == 303
    [attachment] = _attachments(app)
    assert attachment.original_name == "資料1 令和9年度研修計画(案).pdf" and attachment.agenda_item_id == item_id
    with app.app_context():
        assert db.session.get(Attachment, attachment.id).content == PDF  # in the database, for every host

    client.form("/logout")
    login(client, people["member"].email)
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert "資料1 令和9年度研修計画(案).pdf" in page
    download = client.get(f"/planning/meetings/{meeting.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('資料1 令和9年度研修計画(案).pdf')}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    download.close()


def test_a_pdf_that_is_really_an_executable_is_refused(client, login, factory, people, app):
    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    before = _folder_files(app)
    response = _post_file(client, meeting.id, "議案.pdf", EXE)
    assert response.status_code == 400
    assert "ファイルの内容が拡張子(.pdf)と一致しません" in response.get_data(as_text=True)
    assert _attachments(app) == [] and _folder_files(app) == before


def test_path_tricks_in_the_name_never_reach_the_disk(client, login, factory, people, app):
    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    assert _post_file(client, meeting.id, "../../../../tmp/evil.pdf", PDF).status_code == 303
    [attachment] = _attachments(app)
    assert attachment.original_name == "evil.pdf"
    assert "/" not in attachment.stored_name and "evil" not in attachment.stored_name
    assert not Path("/tmp/evil.pdf").exists()


def test_oversize_uploads_get_a_japanese_message(client, login, factory, people, app, monkeypatch):
    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    just_over = _post_file(client, meeting.id, "大きい.pdf", PDF + b"0" * (1024 * 1024))
    assert just_over.status_code == 400 and "1MBまで" in just_over.get_data(as_text=True)
    far_over = _post_file(client, meeting.id, "巨大.pdf", PDF + b"0" * (3 * 1024 * 1024))
    assert far_over.status_code == 413 and "1MBまで" in far_over.get_data(as_text=True)
    for response in (just_over, far_over):  # the test client spooled these bodies to temporary files
        response.request.input_stream.close()
    assert _attachments(app) == []


@pytest.mark.parametrize("user, draft, expected", [
    (None, False, 302),
    ("outsider", False, 403),
    ("member", False, 200),
    ("member", True, 403),  # a draft's 資料 are the secretariat's until it is convened
    ("secretariat", True, 200),
])
def test_download_authorisation(client, login, factory, people, app, user, draft, expected):
    meeting = factory.meeting("planning", status="draft" if draft else "convened")
    login(client, people["secretariat"].email)
    _post_file(client, meeting.id, "資料.pdf", PDF)
    client.form("/logout")
    [attachment] = _attachments(app)
    if user:
        login(client, people[user].email)
    response = client.get(f"/planning/meetings/{meeting.id}/attachments/{attachment.id}")
    response.close()
    assert response.status_code == expected


def test_an_attachment_is_only_reachable_through_its_own_meeting(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    other = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    _post_file(client, meeting.id, "資料.pdf", PDF)
    [attachment] = _attachments(app)
    assert client.get(f"/planning/meetings/{other.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/council/meetings/{meeting.id}/attachments/{attachment.id}").status_code == 404


def test_members_cannot_upload_or_delete(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    _post_file(client, meeting.id, "資料.pdf", PDF)
    [attachment] = _attachments(app)
    client.form("/logout")
    login(client, people["member"].email)
    assert _post_file(client, meeting.id, "資料2.pdf", PDF).status_code == 403
    assert client.form(f"/planning/meetings/{meeting.id}/attachments/{attachment.id}/delete").status_code == 403
    assert len(_attachments(app)) == 1


def test_deleting_an_attachment_removes_the_file(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    _post_file(client, meeting.id, "資料.pdf", PDF)
    [attachment] = _attachments(app)
    path = Path(app.config["UPLOAD_FOLDER"]) / attachment.stored_name
    response = client.form(f"/planning/meetings/{meeting.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 303
    assert _attachments(app) == [] and not path.exists()  # the row, and with it the bytes, is gone
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_office_file_with_macros_is_refused_with_a_message_that_says_so(client, login, factory, people, app):
    from ..domain.test_attachments import ooxml
    from ..ole_fixtures import word_doc

    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    for name, data in [("議案.doc", word_doc(macros=True)), ("議案.docm.docx", ooxml("word/document.xml", "word/vbaProject.bin"))]:
        response = _post_file(client, meeting.id, name, data)
        assert response.status_code == 400
        assert "マクロ(VBA)" in response.get_data(as_text=True)
    assert _attachments(app) == []
