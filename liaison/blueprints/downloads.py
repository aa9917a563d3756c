"""Sending a stored file (資料) as a download: the web side of liaison.domain.attachments.

Not a blueprint: the meetings and proposals views call `send_attachment` after they have checked
who may see the file.
"""
from __future__ import annotations

import io

from flask import abort, send_file

from ..domain import attachments as files
from ..models import Attachment


def send_attachment(attachment: Attachment):
    """The file as a download under its original (Japanese) name; the caller has checked access."""
    data = files.content_of(attachment)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        conditional=True,
        etag=attachment.sha256,
        last_modified=attachment.uploaded_at,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
