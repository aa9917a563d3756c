"""招集通知 and minutes as 公文書: 文書番号, the PDF and .docx, PDF/A, and the fiscal year's archive (issue 20)."""
import csv
import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select

from liaison import archive
from liaison.extensions import db
from liaison.models import Committee, Meeting


@pytest.fixture()
def people(factory):
    return {
        "chair": factory.member(body="さいたま市", role="chair", email="chair@example.jp", name="佐藤 健一"),
        "member": factory.member(body="川越市", email="member@example.jp", name="川越 太郎"),
        "secretariat": factory.secretariat(email="staff@example.jp"),
    }


def pdf_text(data: bytes) -> str:
    """pdftotext (poppler) when installed, else pypdf."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdfa_identification(data: bytes) -> tuple[str, str] | None:
    """(part, conformance) from the XMP metadata of the PDF's catalogue (pdfaid), or None."""
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    if "/Metadata" not in root:
        return None
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    part = re.search(r"pdfaid:part(?:>|=[\"'])(\d)", xmp)
    conformance = re.search(r"pdfaid:conformance(?:>|=[\"'])([ABU])", xmp)
    return (part.group(1), conformance.group(1)) if part and conformance else None


def _convene(client, login, factory, people, app, prefix="彩人広連第"):
    with app.app_context():
        db.session.scalar(select(Committee).where(Committee.slug == "planning")).document_prefix = prefix
        db.session.commit()
    login(client, people["secretariat"].email)
    meetings = [factory.meeting("planning", agenda=2) for _ in range(2)]
    for meeting in meetings:
        assert client.form(f"/planning/meetings/{meeting.id}/convene").status_code == 303
    return meetings


def test_document_numbers_are_given_once_per_fiscal_year(client, login, factory, people, app):
    first, second = _convene(client, login, factory, people, app)
    with app.app_context():
        numbers = [(m.document_year, m.document_number) for m in
                   (db.session.get(Meeting, first.id), db.session.get(Meeting, second.id))]
    assert numbers[0][0] == numbers[1][0] and [n for _, n in numbers] == [1, 2]
    page = client.get(f"/planning/meetings/{second.id}/notice").get_data(as_text=True)
    assert "彩人広連第2号" in page and "各委員 様" in page and "(公印省略)" in page and "佐藤 健一" in page
    assert "部会長" in page and "開催について(通知)" in page and "notice-ki" in page


def test_notice_pdf_and_docx_carry_the_official_form(client, login, factory, people, app):
    meeting, _ = _convene(client, login, factory, people, app)
    response = client.get(f"/planning/meetings/{meeting.id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert [round(float(x)) for x in reader.pages[0].mediabox[2:]] == [595, 842]  # A4
    text = pdf_text(response.get_data())
    for expected in ("彩人広連第1号", "記", "以上", "公印省略", "各委員", "日時", "場所", "議題", "担当", "佐藤"):
        assert expected in text, expected

    response = client.get(f"/planning/meetings/{meeting.id}/notice.docx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    paragraphs = Document(io.BytesIO(response.get_data())).paragraphs
    texts = [p.text for p in paragraphs]
    assert texts[0] == "彩人広連第1号" and "各委員 様" in texts and "(公印省略)" in texts
    assert "記" in texts and texts[-1] == "以上"
    assert paragraphs[texts.index("記")].alignment == 1  # centred


def test_the_convocation_mail_attaches_the_notice_pdf(client, login, factory, people, app):
    from liaison.notify import mail
    from liaison.models import Notification, NotificationKind

    meeting, _ = _convene(client, login, factory, people, app)
    with app.app_context():
        row = db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.CONVOCATION,
                                                            Notification.object_id == meeting.id)).first()
        message = mail.build_message(row, row.body)
        pdfs = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1 and pdfs[0].get_filename().endswith("_招集通知.pdf")
        assert "彩人広連第1号" in pdf_text(pdfs[0].get_content())


def test_approved_minutes_as_pdf_a(client, login, factory, people, app):
    meeting = factory.meeting(status="held", agenda=1)
    factory.minutes(meeting, status="published")
    draft = factory.meeting(status="held", agenda=1)
    factory.minutes(draft, status="draft")
    login(client, people["secretariat"].email)
    data = client.get(f"/planning/meetings/{meeting.id}/minutes-pdfa.pdf").get_data()
    assert data.startswith(b"%PDF-")
    assert pdfa_identification(data) == ("3", "B")
    plain = client.get(f"/planning/meetings/{meeting.id}/minutes.pdf").get_data()
    assert pdfa_identification(plain) is None
    assert client.get(f"/planning/meetings/{draft.id}/minutes-pdfa.pdf").status_code == 400


def test_the_archive_manifest_matches_its_entries(client, login, factory, people, app, tmp_path):
    runner = app.test_cli_runner()
    first, _ = _convene(client, login, factory, people, app)
    published = factory.meeting(status="held", agenda=1)
    factory.minutes(published, status="published")
    with app.app_context():
        fiscal_year = db.session.get(Meeting, first.id).fiscal_year
    target = tmp_path / "a.zip"
    result = runner.invoke(args=["archive", str(fiscal_year), "planning", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    with zipfile.ZipFile(target) as zipped:
        names = set(zipped.namelist())
        rows = list(csv.DictReader(io.StringIO(zipped.read("manifest.csv").decode("utf-8-sig"))))
        assert {row["file"] for row in rows} | {"manifest.csv", "index.html"} == names
        for row in rows:
            data = zipped.read(row["file"])
            assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == int(row["bytes"])
        notices = [n for n in names if n.startswith("notices/")]
        minutes = [n for n in names if n.startswith("minutes/")]
        assert len(notices) == 3 and len(minutes) == 1  # two convened, one held and {"decisions.csv", "audit.csv"} <= names
        for name in notices + minutes:
            assert pdfa_identification(zipped.read(name)) == ("3", "B"), name
        assert "meeting.convened" in zipped.read("audit.csv").decode("utf-8-sig")
        index = zipped.read("index.html").decode()
        assert all(row["sha256"] in index for row in rows)
    assert runner.invoke(args=["archive", str(fiscal_year), "nope", "-o", str(tmp_path / "b.zip")]).exit_code != 0


def test_the_secretariat_downloads_the_archive_and_members_may_not(client, login, factory, people, app):
    meeting, _ = _convene(client, login, factory, people, app)
    with app.app_context():
        fiscal_year = db.session.get(Meeting, meeting.id).fiscal_year
    page = client.get(f"/planning/?fy={fiscal_year}").get_data(as_text=True)
    assert f"/planning/archive/{fiscal_year}.zip" in page
    response = client.get(f"/planning/archive/{fiscal_year}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as zipped:
        assert {"manifest.csv", "index.html", "decisions.csv", "audit.csv"} <= set(zipped.namelist())
    assert client.get("/planning/archive/99999.zip").status_code in (400, 404)
    client.form("/logout")
    login(client, people["member"].email)
    assert f"/planning/archive/" not in client.get(f"/planning/?fy={fiscal_year}").get_data(as_text=True)
    assert client.get(f"/planning/archive/{fiscal_year}.zip").status_code == 403


def test_the_administrator_sets_the_prefix_and_others_may_not(client, login, factory, people, app):
    admin = factory.admin(email="admin@example.jp")
    login(client, people["secretariat"].email)
    assert client.get("/planning/meetings/document-prefix").status_code == 403
    assert client.form("/planning/meetings/document-prefix", {"prefix": "彩人広連第"}).status_code == 403
    client.form("/logout")
    login(client, admin.email)
    assert client.get("/planning/meetings/document-prefix").status_code == 200
    too_long = client.form("/planning/meetings/document-prefix", {"prefix": "長" * 41})
    assert too_long.status_code == 400
    assert client.form("/planning/meetings/document-prefix", {"prefix": "彩人広連第"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Committee).where(Committee.slug == "planning")).document_prefix == "彩人広連第"
