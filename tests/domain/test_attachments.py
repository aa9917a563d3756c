"""The attachments module: type by content, names, storage under generated names, cleanup on rollback."""
import io
import zipfile
from pathlib import Path

import pytest
from flask import current_app
from werkzeug.datastructures import FileStorage

from liaison import attachments as files
from liaison.domain import DomainError
from liaison.extensions import db
from liaison.models import Attachment

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run in DOS mode."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def ooxml(main_part: str, *extra: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
        for name in extra:
            package.writestr(name, "x")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.mark.parametrize("name, data", [
    ("資料1_研修計画.pdf", PDF),
    ("名簿.docx", ooxml("word/document.xml")),
    ("集計.xlsx", ooxml("xl/workbook.xml")),
    ("説明.pptx", ooxml("ppt/presentation.xml")),
    ("一覧.csv", "団体名,人数\n川越市,3\n".encode("utf-8-sig")),
    ("一覧_sjis.csv", "団体名,人数\r\n川越市,3\r\n".encode("cp932")),
    ("写真.PNG", PNG),
    ("写真.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
    ("図.gif", b"GIF89a" + b"\x00" * 16),
])
def test_allowed_files_are_stored_under_a_generated_name(ctx, factory, name, data):
    user = factory.secretariat()
    attachment = files.store_upload(upload(name, data), actor=user)
    db.session.flush()
    assert attachment.original_name == name
    assert files.STORED_NAME.match(attachment.stored_name) and name not in attachment.stored_name
    assert (Path(current_app.config["UPLOAD_FOLDER"]) / attachment.stored_name).read_bytes() == data
    assert attachment.size == len(data) and attachment.uploaded_by_id == user.id


@pytest.mark.parametrize("name, data, message", [
    ("議案.pdf", EXE, "一致しません"),  # an executable renamed to .pdf
    ("議案.exe", EXE, "この種類のファイル"),
    ("議案.docx", ooxml("xl/workbook.xml"), "一致しません"),  # a workbook named as a document
    ("議案.docx", ooxml("word/document.xml", "word/vbaProject.bin"), "一致しません"),  # macros inside
    ("議案.docx", b"PK\x03\x04not really a zip", "一致しません"),
    ("議案.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "一致しません"),  # OLE magic, no Word stream
    ("一覧.csv", b"\x00\x01\x02binary", "一致しません"),
    ("画像.png", PDF, "一致しません"),
    ("空.pdf", b"", "空です"),
    ("", PDF, "ファイルを選んで"),
    (".pdf", PDF, "この種類のファイル"),
    ("no-extension", PDF, "この種類のファイル"),
])
def test_refused_files_leave_nothing_behind(ctx, factory, name, data, message):
    user = factory.secretariat()
    folder = files.upload_folder()
    before = set(folder.iterdir())
    with pytest.raises(DomainError, match=message):
        files.store_upload(upload(name, data), actor=user)
    assert set(folder.iterdir()) == before


def test_oversize_is_refused(ctx, factory, monkeypatch):
    monkeypatch.setitem(current_app.config, "MAX_UPLOAD_MB", 1)
    with pytest.raises(DomainError, match="1MBまで"):
        files.store_upload(upload("大きい.pdf", PDF + b"0" * (1024 * 1024)), actor=factory.secretariat())


@pytest.mark.parametrize("raw, cleaned", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
    ("C:\\Users\\担当\\デスクトップ\\資料1.pdf", "資料1.pdf"),
    ("資料\x00\r\n.pdf", "資料.pdf"),
    ("ﾌﾟﾛｸﾞﾗﾑ.pdf", "ﾌﾟﾛｸﾞﾗﾑ.pdf"),
    ("が.pdf", "が.pdf"),  # decomposed (macOS) becomes composed
])
def test_path_tricks_in_names_are_removed(raw, cleaned):
    assert files.clean_filename(raw) == cleaned


def test_a_rolled_back_upload_removes_its_file_and_a_committed_removal_deletes_it(ctx, factory):
    user = factory.secretariat()
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    lost = files.store_upload(upload("a.pdf", PDF), actor=user)
    lost_path = folder / lost.stored_name
    assert lost_path.exists()
    db.session.rollback()
    assert not lost_path.exists()

    kept = files.store_upload(upload("b.pdf", PDF), actor=user)
    db.session.commit()
    kept_path = folder / kept.stored_name
    files.remove(kept)
    db.session.rollback()  # a removal that is not committed keeps the file
    assert kept_path.exists()
    kept = db.session.get(Attachment, kept.id)
    files.remove(kept)
    db.session.commit()
    assert not kept_path.exists()
    assert db.session.get(Attachment, kept.id) is None
