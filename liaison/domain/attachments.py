"""Uploaded files (資料): checked by content, kept in the database, named for display only.

Generic: `store_upload` returns an unattached Attachment row that the caller links (a meeting, an
agenda item, a proposal) after checking its own permission; `content_of` gives its bytes to the web
layer that sends it (liaison.blueprints.downloads); `remove` deletes the row. The bytes live in the
row (PostgreSQL bytea / SQLite blob), so every web host reads every file and a rolled-back
transaction leaves nothing behind. Rows from before migration 0014 whose file was not copied are
still read from UPLOAD_FOLDER.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Attachment
from . import check
from .filetypes import ACCEPT, KINDS, carries_macros  # noqa: F401  (ACCEPT: the upload forms' accept list)

CHUNK = 64 * 1024
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
_DOOMED_FILES = "liaison.doomed_files"


def clean_filename(raw: str | None) -> str:
    """The name to show and to offer on download: the last path part, no control characters, NFC.

    Never used on disk (the row is found by its id).
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
    """Where files from before migration 0014 are read from (never written any more)."""
    return Path(current_app.config["UPLOAD_FOLDER"])


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
    outside the list, content that does not agree with the extension (a renamed executable), and an
    Office file carrying macros, an embedded OLE object or an ActiveX control.
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
        not (kind.office and carries_macros(data)),
        _("マクロ(VBA)、埋め込みオブジェクトまたはActiveXを含むOfficeファイルはアップロードできません。マクロを含まない形式で保存し直してください。"),
        "file",
    )
    check(
        kind.matches(data),
        _("ファイルの内容が拡張子(.%(ext)s)と一致しません。正しいファイルか確認してください。", ext=ext),
        "file",
    )
    attachment = Attachment(
        original_name=name,
        stored_name=secrets.token_hex(16),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(actor, "id", None),
        content=data,
    )
    db.session.add(attachment)
    return attachment


def legacy_path(attachment: Attachment) -> Path | None:
    """The file of a row from before migration 0014, when its stored name is one we generated."""
    if not STORED_NAME.match(attachment.stored_name or ""):
        return None
    return upload_folder() / attachment.stored_name


def content_of(attachment: Attachment) -> bytes | None:
    """The file's bytes: from the row, or for a row not migrated from UPLOAD_FOLDER; None when lost."""
    if attachment.content is not None:
        return attachment.content
    path = legacy_path(attachment)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def remove(attachment: Attachment) -> None:
    """Delete the row (and with it the bytes); a legacy file on this host goes when the transaction commits."""
    path = legacy_path(attachment)
    if path is not None:
        db.session.info.setdefault(_DOOMED_FILES, []).append(path)
    db.session.delete(attachment)


def _delete_doomed_files(session) -> None:
    """After a commit: remove the legacy files of removed rows."""
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


def _forget_doomed_files(session, previous_transaction) -> None:
    """After a rollback: the rows are back, so are their files."""
    if not previous_transaction.nested:
        session.info.pop(_DOOMED_FILES, None)


def register_listeners() -> None:
    """Called once by the app factory's web wiring (not an import side effect)."""
    if not event.contains(Session, "after_commit", _delete_doomed_files):
        event.listen(Session, "after_commit", _delete_doomed_files)
        event.listen(Session, "after_soft_rollback", _forget_doomed_files)


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
