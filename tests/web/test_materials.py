"""資料 on the pages: numbers on the meeting page, the 招集通知 and the minutes; the pdf.js viewer page."""
import pytest
from sqlalchemy import select

from liaison.extensions import db
from liaison.models import AgendaItem, Attachment

from ..domain.test_attachments import PDF, PNG
from .test_attachments import _post_file as post_file
from .test_attachments import people  # noqa: F401  (the fixture: a member, an outsider, the secretariat)


def _post_file(client, meeting_id, name, data, agenda_item_id=0):
    response = post_file(client, meeting_id, name, data, agenda_item_id)
    assert response.status_code == 303, response.get_data(as_text=True)


def _ids(app, model, *where):
    with app.app_context():
        return list(db.session.scalars(select(model.id).where(*where).order_by(model.id)))


def _with_documents(client, login, factory, people, app, status="draft"):
    """A meeting with 資料1, 資料2-1, 資料2-2 (a PNG) and 参考資料1, attached before 招集 (when asked, convened after)."""
    meeting = factory.meeting("planning", agenda=2)
    items = _ids(app, AgendaItem, AgendaItem.meeting_id == meeting.id)
    login(client, people["secretariat"].email)
    _post_file(client, meeting.id, "研修計画.pdf", PDF, items[0])
    _post_file(client, meeting.id, "予算案.pdf", PDF, items[1])
    _post_file(client, meeting.id, "予算内訳.png", PNG, items[1])
    _post_file(client, meeting.id, "名簿.pdf", PDF)
    if status == "convened":
        assert client.form(f"/planning/meetings/{meeting.id}/convene").status_code == 303
    return meeting, _ids(app, Attachment, Attachment.meeting_id == meeting.id)


def test_numbers_on_the_meeting_page_and_the_notice(client, login, factory, people, app):
    meeting, (plan, budget, detail, roster) = _with_documents(client, login, factory, people, app)
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    for number, name in (("資料1", "研修計画.pdf"), ("資料2-1", "予算案.pdf"), ("資料2-2", "予算内訳.png"),
                         ("参考資料1", "名簿.pdf")):
        assert f'<span class="material-number">{number}</span>' in page and name in page
    # a PDF opens in the viewer, another type is a download
    assert f"/planning/meetings/{meeting.id}/materials/{plan}/view" in page
    assert f"/planning/meetings/{meeting.id}/materials/{detail}/view" not in page
    notice = client.get(f"/planning/meetings/{meeting.id}/notice").get_data(as_text=True)
    assert "議事1(事務局)　資料1" in notice and "議事2(事務局)　資料2-1、資料2-2" in notice
    assert "資料2-2　予算内訳.png(議事2)" in notice and "参考資料1　名簿.pdf" in notice


def test_the_minutes_list_the_numbers(client, login, factory, people, app):
    meeting, _documents = _with_documents(client, login, factory, people, app)
    from liaison.domain import minutes as minutes_rules
    from liaison.models import Meeting
    with app.app_context():
        facts = minutes_rules.generate_facts(db.session.get(Meeting, meeting.id))
    assert [item["materials"] for item in facts["items"]] == [["資料1\u3000研修計画.pdf"],
                                                               ["資料2-1\u3000予算案.pdf", "資料2-2\u3000予算内訳.png"]]
    assert facts["materials"] == ["参考資料1\u3000名簿.pdf"]
    lines = minutes_rules.document_lines(facts, {})
    assert "資料 資料2-1\u3000予算案.pdf" in lines


@pytest.mark.parametrize("user, draft, expected", [
    (None, False, 302),
    ("outsider", False, 403),
    ("member", False, 200),
    ("member", True, 403),  # a draft's 資料 are the secretariat's until it is convened
    ("secretariat", True, 200),
])
def test_viewer_has_the_download_rules(client, login, factory, people, app, user, draft, expected):
    meeting, (plan, *_rest) = _with_documents(client, login, factory, people, app, "draft" if draft else "convened")
    client.form("/logout")
    if user:
        login(client, people[user].email)
    response = client.get(f"/planning/meetings/{meeting.id}/materials/{plan}/view")
    assert response.status_code == expected


def test_viewer_shows_a_pdf_through_pdfjs(client, login, factory, people, app):
    meeting, (plan, budget, detail, roster) = _with_documents(client, login, factory, people, app, "convened")
    response = client.get(f"/planning/meetings/{meeting.id}/materials/{budget}/view?page=3")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "資料2-1" in page and "予算案.pdf" in page
    assert f'data-attachment-id="{budget}"' in page and 'data-page="3"' in page
    assert "/static/vendor/pdfjs/pdf.min.mjs" in page and "/static/vendor/pdfjs/pdf.worker.min.mjs" in page
    assert 'src="/static/material_viewer.js"' in page and 'type="module"' in page
    assert f"/planning/meetings/{meeting.id}/attachments/{budget}" in page  # the download stays
    from .test_security_headers import _check_headers
    assert _check_headers(response, "meetings.view_material") == []
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]  # pdf.js's worker, from /static
    for bad in ("abc", "-4", "0"):
        response = client.get(f"/planning/meetings/{meeting.id}/materials/{budget}/view?page={bad}")
        assert response.status_code == 200 and 'data-page="1"' in response.get_data(as_text=True)


def test_viewer_offers_other_types_as_a_download(client, login, factory, people, app):
    meeting, (plan, budget, detail, roster) = _with_documents(client, login, factory, people, app, "convened")
    page = client.get(f"/planning/meetings/{meeting.id}/materials/{detail}/view").get_data(as_text=True)
    assert "data-pdf-viewer" not in page and "material_viewer.js" not in page
    assert "この形式の資料は画面に表示できません" in page
    assert f'href="/planning/meetings/{meeting.id}/attachments/{detail}"' in page


def test_viewer_of_a_foreign_attachment_is_not_found(client, login, factory, people, app):
    meeting, (plan, *_rest) = _with_documents(client, login, factory, people, app, "convened")
    other = factory.meeting("planning", status="convened")
    assert client.get(f"/planning/meetings/{other.id}/materials/{plan}/view").status_code == 404
    assert client.get(f"/council/meetings/{meeting.id}/materials/{plan}/view").status_code == 404
    assert client.get(f"/planning/meetings/{meeting.id}/materials/999999/view").status_code == 404
