"""Several web hosts: two real app servers (gunicorn, loopback ports) with their own instance and upload
folders on one PostgreSQL. A file uploaded through one downloads through the other, byte for byte.
"""
from __future__ import annotations

import http.cookiejar
import urllib.error
import re
import secrets
import urllib.parse
import urllib.request

from sqlalchemy import create_engine, text

from ..dbs import temporary_database
from ..e2e.harness import free_port, live_server
from ..ole_fixtures import word_doc

PDF = b"%PDF-1.7\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"


class Browser:
    """A cookie-keeping HTTP client that fills in the page's CSRF token, as a browser form does."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, bytes, dict]:
        return self._open(urllib.request.Request(self.base + path))

    def token(self, path: str = "/login") -> str:
        _status, body, _headers = self.get(path)
        return re.search(rb'<meta name="csrf-token" content="([^"]+)"', body).group(1).decode()

    def post(self, path: str, fields: dict, files: dict | None = None, token_from: str = "/login"):
        fields = {**fields, "csrf_token": self.token(token_from)}
        boundary = secrets.token_hex(12)
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in (files or {}).items():
            quoted = urllib.parse.quote(filename)
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{quoted}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return self._open(request)

    def _open(self, request) -> tuple[int, bytes, dict]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_an_upload_through_one_host_downloads_through_the_other(tmp_path):
    with temporary_database("postgresql", tmp_path) as url:
        shared = {"SECRET_KEY": secrets.token_urlsafe(48)}
        host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
        host_a.mkdir()
        host_b.mkdir()
        with live_server(url, host_a, backend="postgresql", smtp_port=free_port(), **shared) as a, \
                live_server(url, host_b, backend="postgresql", smtp_port=free_port(), **shared) as b:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.connect() as connection:
                meeting_id = connection.execute(text(
                    "SELECT m.id FROM meetings m JOIN committees c ON c.id = m.committee_id "
                    "WHERE c.slug = 'council' AND m.status = 'convened' ORDER BY m.id LIMIT 1"
                )).scalar_one()
            staff = Browser(a.url)
            assert staff.post("/login", {"email": "secretariat@example.jp", "password": "liaison-demo"})[0] == 302
            meeting_page = f"/council/meetings/{meeting_id}"
            status, _body, _headers = staff.post(f"{meeting_page}/attachments", {"agenda_item_id": "0"},
                                                 {"file": ("資料 両方のホスト.pdf", PDF)}, token_from=meeting_page)
            assert status == 303
            refused = staff.post(f"{meeting_page}/attachments", {"agenda_item_id": "0"},
                                 {"file": ("マクロ.doc", word_doc(macros=True))}, token_from=meeting_page)
            assert refused[0] == 400 and "マクロ(VBA)".encode() in refused[1]
            with engine.connect() as connection:
                attachment_id, stored_name = connection.execute(text(
                    "SELECT id, stored_name FROM attachments WHERE meeting_id = :m ORDER BY id DESC LIMIT 1"
                ), {"m": meeting_id}).one()
            engine.dispose()
            # nothing on either host's disk: the bytes are in PostgreSQL
            assert not any((folder / "uploads" / stored_name).exists() for folder in (host_a, host_b))

            member = Browser(b.url)
            assert member.post("/login", {"email": "member01@example.jp", "password": "liaison-demo"})[0] == 302
            status, body, headers = member.get(f"{meeting_page}/attachments/{attachment_id}")
            assert status == 200 and body == PDF
            assert headers["Content-Type"] == "application/pdf"
            assert "attachment;" in headers["Content-Disposition"]
            # and through the first host as well
            assert Browser(a.url).get(f"{meeting_page}/attachments/{attachment_id}")[0] == 302  # not logged in there
            assert staff.get(f"{meeting_page}/attachments/{attachment_id}")[1] == PDF
