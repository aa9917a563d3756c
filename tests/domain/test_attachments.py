"""The attachments module: type by content, macros refused, names, storage in the database, nothing left on rollback."""
import io
import zipfile
from pathlib import Path

import pytest
from flask import current_app
from werkzeug.datastructures import FileStorage

from liaison.domain import attachments as files
from liaison.domain import DomainError
from liaison.extensions import db
from liaison.models import Attachment

from ..ole_fixtures import excel_xls, powerpoint_ppt, word_doc

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
    ("議事録.doc", word_doc()),
    ("名簿.xls", excel_xls()),
    ("説明.ppt", powerpoint_ppt()),
])
def test_allowed_files_are_stored_in_the_database(ctx, factory, name, data):
    user = factory.secretariat()
    attachment = files.store_upload(upload(name, data), actor=user)
    db.session.flush()
    assert attachment.original_name == name
    assert files.STORED_NAME.match(attachment.stored_name) and name not in attachment.stored_name
    assert files.content_of(attachment) == data
    assert attachment.size == len(data) and attachment.uploaded_by_id == user.id
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Attachment, attachment.id)
    assert stored.content == data and files.content_of(stored) == data
    # the bytes are in the row, not on this host's disk: another host serves them as well
    assert not (Path(current_app.config["UPLOAD_FOLDER"]) / attachment.stored_name).exists()


@pytest.mark.parametrize("name, data, message", [
    ("議案.pdf", EXE, "一致しません"),  # an executable renamed to .pdf
    ("議案.exe", EXE, "この種類のファイル"),
    ("議案.docx", ooxml("xl/workbook.xml"), "一致しません"),  # a workbook named as a document
    ("議案.docx", ooxml("word/document.xml", "word/vbaProject.bin"), "マクロ"),  # macros inside: said so
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
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    with pytest.raises(DomainError, match=message):
        files.store_upload(upload(name, data), actor=user)
    assert set(folder.iterdir()) == before
    db.session.flush()
    assert db.session.scalars(db.select(Attachment)).all() == []


MACRO_MESSAGE = "マクロ"


@pytest.mark.parametrize("name, data", [
    ("議案.doc", word_doc(macros=True)),  # Word 97-2003 with Macros/VBA
    ("集計.xls", excel_xls(macros=True)),  # Excel 97-2003 with _VBA_PROJECT_CUR
    ("説明.ppt", powerpoint_ppt(macros=True)),  # PowerPoint 97-2003 with a VBAInfoContainer
    ("議案.docx", ooxml("word/document.xml", "word/vbaProject.bin")),
    ("集計.xlsx", ooxml("xl/workbook.xml", "xl/vbaProject.bin")),
    ("説明.pptx", ooxml("ppt/presentation.xml", "ppt/vbaProject.bin")),
    ("議案.docx", ooxml("word/document.xml", "word/embeddings/oleObject1.bin")),
    ("集計.xlsx", ooxml("xl/workbook.xml", "xl/embeddings/oleObject12.bin")),
    ("議案.docx", ooxml("word/document.xml", "word/activeX/activeX1.xml", "word/activeX/activeX1.bin")),
    ("議案.doc", word_doc(macros=True) + b"\x00" * 512),  # trailing bytes do not hide the project
])
def test_office_files_with_macros_are_refused_by_content_with_a_message_that_says_so(ctx, factory, name, data):
    user = factory.secretariat()
    with pytest.raises(DomainError, match=MACRO_MESSAGE) as refused:
        files.store_upload(upload(name, data), actor=user)
    assert refused.value.field == "file"
    db.session.flush()
    assert db.session.scalars(db.select(Attachment)).all() == []


def test_the_same_office_files_without_macros_pass(ctx, factory):
    user = factory.secretariat()
    for name, data in [("a.doc", word_doc()), ("b.xls", excel_xls()), ("c.ppt", powerpoint_ppt()),
                       ("d.docx", ooxml("word/document.xml", "word/media/image1.png"))]:
        assert files.store_upload(upload(name, data), actor=user).size == len(data)


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


def test_a_rolled_back_upload_leaves_no_row_and_a_committed_removal_deletes_it(ctx, factory):
    user = factory.secretariat()
    lost = files.store_upload(upload("a.pdf", PDF), actor=user)
    db.session.flush()
    lost_id = lost.id
    db.session.rollback()
    assert db.session.get(Attachment, lost_id) is None

    kept = files.store_upload(upload("b.pdf", PDF), actor=user)
    db.session.commit()
    files.remove(kept)
    db.session.rollback()  # a removal that is not committed keeps the file
    kept = db.session.get(Attachment, kept.id)
    assert files.content_of(kept) == PDF
    files.remove(kept)
    db.session.commit()
    assert db.session.get(Attachment, kept.id) is None


def test_a_row_from_before_the_migration_is_read_from_the_upload_folder_and_its_file_removed(ctx, factory):
    """Rows whose file migration 0014 could not copy (content NULL) still download from UPLOAD_FOLDER."""
    user = factory.secretariat()
    folder = files.upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    legacy = files.store_upload(upload("old.pdf", PDF), actor=user)
    legacy.content = None
    (folder / legacy.stored_name).write_bytes(PDF)
    db.session.commit()
    db.session.expire_all()
    legacy = db.session.get(Attachment, legacy.id)
    assert legacy.content is None and files.content_of(legacy) == PDF
    path = folder / legacy.stored_name
    files.remove(legacy)
    db.session.rollback()
    assert path.exists()
    files.remove(db.session.get(Attachment, legacy.id))
    db.session.commit()
    assert not path.exists()
    legacy.stored_name = "../../etc/passwd"
    assert files.legacy_path(legacy) is None
