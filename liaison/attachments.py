"""Uploaded files (資料): checked by content, stored under a generated name, served only as downloads.

Generic: `store_upload` returns an unattached Attachment row that the caller links (a meeting, an
agenda item, a proposal) after checking its own permission; `send_attachment` serves one after the
caller has checked who may see it; `remove` deletes the row and, once committed, the file.
Files written for a transaction that rolls back are removed again, so no orphan is left behind.
"""
from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import olefile
from flask import abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from .domain import check
from .extensions import db
from .models import Attachment

CHUNK = 64 * 1024
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
_NEW_FILES = "liaison.new_files"
_DOOMED_FILES = "liaison.doomed_files"


def _is_pdf(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-"


def _ole_with(*streams: str) -> Callable[[bytes], bool]:
    """An OLE2 compound file (.doc/.xls/.ppt) holding the stream that makes it that kind."""

    def matches(data: bytes) -> bool:
        if not data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            return False
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                return any(ole.exists(stream) for stream in streams)
        except (OSError, ValueError, IndexError, TypeError):
            return False

    return matches


def _ooxml_with(main_part: str) -> Callable[[bytes], bool]:
    """An Office Open XML package (.docx/.xlsx/.pptx): a zip with [Content_Types].xml and its main part, no macros."""

    def matches(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        has_macros = any(name.lower().endswith("vbaproject.bin") for name in names)
        return "[Content_Types].xml" in names and main_part in names and not has_macros

    return matches


def _is_csv(data: bytes) -> bool:
    """Plain text in UTF-8 (with or without BOM) or Shift_JIS (cp932), as Excel writes it in Japan."""
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text)
    return False


@dataclass(frozen=True)
class FileKind:
    content_type: str
    matches: Callable[[bytes], bool]


KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _is_pdf),
    "doc": FileKind("application/msword", _ole_with("WordDocument")),
    "xls": FileKind("application/vnd.ms-excel", _ole_with("Workbook", "Book")),
    "ppt": FileKind("application/vnd.ms-powerpoint", _ole_with("PowerPoint Document")),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ooxml_with("word/document.xml")
    ),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ooxml_with("xl/workbook.xml")),
    "pptx": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ooxml_with("ppt/presentation.xml"),
    ),
    "csv": FileKind("text/csv", _is_csv),
    "png": FileKind("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": FileKind("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "jpeg": FileKind("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "gif": FileKind("image/gif", lambda data: data[:6] in (b"GIF87a", b"GIF89a")),
}
ACCEPT = ",".join(f".{ext}" for ext in KINDS)


def clean_filename(raw: str | None) -> str:
    """The name to show and to offer on download: the last path part, no control characters, NFC.

    Never used on disk (files are stored under a generated name).
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 190]}.{ext[:8]}" if dot and len(ext) <= 8 else name[:200]
    return name


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def max_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_limited(stream, limit: int) -> bytes:
    buffer = bytearray()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return bytes(buffer)
        buffer.extend(chunk)
        if len(buffer) > limit:
            return bytes(buffer)


def store_upload(file_storage, *, actor) -> Attachment:
    """Validate an uploaded file and keep it; returns an Attachment row, added but linked to nothing.

    Refuses (DomainError on field "file") a missing or empty file, a file over MAX_UPLOAD_MB, a type
    outside the list, and content that does not agree with the extension (a renamed executable).
    """
    check(file_storage is not None and (file_storage.filename or "").strip(), _("ファイルを選んでください。"), "file")
    name = clean_filename(file_storage.filename)
    ext = extension_of(name)
    check(
        ext in KINDS,
        _("この種類のファイルはアップロードできません。PDF、Word、Excel、PowerPoint、CSV、画像(PNG・JPEG・GIF)を選んでください。"),
        "file",
    )
    limit = max_bytes()
    data = _read_limited(file_storage.stream, limit)
    check(data, _("ファイルが空です。"), "file")
    check(
        len(data) <= limit,
        _("アップロードできるファイルは%(mb)dMBまでです。", mb=current_app.config["MAX_UPLOAD_MB"]),
        "file",
    )
    kind = KINDS[ext]
    check(
        kind.matches(data),
        _("ファイルの内容が拡張子(.%(ext)s)と一致しません。正しいファイルか確認してください。", ext=ext),
        "file",
    )
    stored_name = secrets.token_hex(16)
    path = upload_folder() / stored_name
    with open(path, "xb") as handle:
        handle.write(data)
    db.session.info.setdefault(_NEW_FILES, []).append(path)
    attachment = Attachment(
        original_name=name,
        stored_name=stored_name,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    return attachment


def path_of(attachment: Attachment) -> Path:
    if not STORED_NAME.match(attachment.stored_name or ""):
        abort(404)
    return Path(current_app.config["UPLOAD_FOLDER"]) / attachment.stored_name


def remove(attachment: Attachment) -> None:
    """Delete the row now and the file when the transaction commits."""
    db.session.info.setdefault(_DOOMED_FILES, []).append(path_of(attachment))
    db.session.delete(attachment)


def send_attachment(attachment: Attachment):
    """The file as a download under its original (Japanese) name; the caller has checked access."""
    path = path_of(attachment)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        conditional=True,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


@event.listens_for(Session, "after_commit")
def _files_after_commit(session) -> None:
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _files_after_rollback(session, previous_transaction) -> None:
    if previous_transaction.nested:
        return
    session.info.pop(_DOOMED_FILES, None)
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)
