"""Mails: building a MIME message from an outbox row, and one SMTP connection per scheduler pass."""
from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime as rfc2822_date
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..dates import utcnow
from ..extensions import db
from ..models import Meeting, Notification, NotificationKind
from ..urls import external_url
from . import content, documents

class PermanentFailure(Exception):
    """The server refused the mail for good (5xx): retrying will not help."""


class ServerUnavailable(Exception):
    """No conversation with the server (refused, timed out, dropped, 421, login failed): stop this pass.

    `connecting` tells a failed connection (the server is down) from a conversation cut midway.
    """

    def __init__(self, message: str, *, connecting: bool = False):
        super().__init__(message)
        self.connecting = connecting


def message_id(notification: Notification) -> str:
    """Stable per outbox row, so a resend after a crash is recognisable as the same mail."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "liaison.invalid"
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:16]
    return f"<notification.{notification.id}.{digest}@{domain}>"


def build_message(notification: Notification, body: str, shared: dict | None = None) -> EmailMessage:
    """Plain text and HTML alternatives in UTF-8; the meeting's .ics attached for meeting mails.

    `shared` keeps what the next mails built in the same transaction (the sender's chunk) have in
    common: the HTML of a body, each meeting's .ics part; None builds everything afresh.
    """
    with force_locale("ja"):
        return _build(notification, body, {} if shared is None else shared)


@lru_cache(maxsize=4096)
def folded_header(name: str, value: str | tuple[str, str]) -> str:
    """A header's value as the SMTP policy folds it (RFC 2047 for Japanese); a pair is a display name and address.

    The email package takes about a millisecond to fold a Japanese display name, and the same few
    values (the sender, each recipient, a notice's subject) come back in every mail.
    """
    header_value = Address(value[0], addr_spec=value[1]) if isinstance(value, tuple) else value
    _, parsed = SMTP.header_store_parse(name, header_value)  # validates (no CR or LF) and parses
    return SMTP.fold(name, parsed)[len(name) + 2:].rstrip("\r\n")


def _build(notification: Notification, body: str, shared: dict) -> EmailMessage:
    sender_name = _("人づくり広域連合 会議システム")
    recipient = notification.recipient
    message = EmailMessage(policy=SMTP)
    # Set as folded text: the generator writes it unchanged, the bytes are those of message[name] = value.
    message.set_raw("Subject", folded_header("Subject", notification.subject))
    message.set_raw("From", folded_header("From", (sender_name, current_app.config["MAIL_FROM"])))
    message.set_raw("To", folded_header("To", (recipient.name, recipient.email)))
    message["Date"] = rfc2822_date(utcnow())
    message["Message-ID"] = message_id(notification)
    message["Auto-Submitted"] = "auto-generated"

    url = content.absolute(notification.link) if notification.link else ""
    greeting = _("%(name)s 様", name=recipient.name)
    text = f"{greeting}\n\n{body}\n"
    if url and url not in body:
        text += f"\n{url}\n"
    text += "\n-- \n" + sender_name + "\n" + external_url("notifications.settings") + "\n"
    message.set_content(text, charset="utf-8", cte="base64")  # 7-bit clean for any server
    if ("html", body) not in shared:  # linking URLs in a long body is the slow part of the template
        shared["html", body] = Markup(current_app.jinja_env.get_template("notifications/mail_body.html").render(body=body))
    html = current_app.jinja_env.get_template("notifications/mail.html").render(
        greeting=greeting, subject=notification.subject, body_html=shared["html", body], url=url,
        settings_url=external_url("notifications.settings"), sender_name=sender_name,
    )
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")

    if notification.object_type == Meeting.__tablename__:
        if ("ics", notification.object_id) not in shared:
            shared["ics", notification.object_id] = _ics_part(db.session.get(Meeting, notification.object_id))
        part = shared["ics", notification.object_id]
        if part is not None:
            message.make_mixed()
            message.attach(part)  # only read when the message is written out, so mails can share it
        if notification.kind is NotificationKind.CONVOCATION:
            if ("notice", notification.object_id) not in shared:  # one PDF per meeting and chunk
                shared["notice", notification.object_id] = _notice_part(db.session.get(Meeting, notification.object_id))
            part = shared["notice", notification.object_id]
            if part is not None:
                if message.get_content_subtype() != "mixed":
                    message.make_mixed()
                message.attach(part)
    return message


def _notice_part(meeting: Meeting | None) -> EmailMessage | None:
    """The 招集通知 as a PDF attachment (the same text as the mail body)."""
    if meeting is None:
        return None
    part = EmailMessage(policy=SMTP)
    part.set_content(documents.notice_pdf(meeting), maintype="application", subtype="pdf",
                     filename=documents.file_name(meeting, "pdf"))
    return part


def _ics_part(meeting: Meeting | None) -> EmailMessage | None:
    """The meeting's .ics as an attachment part, as EmailMessage.add_attachment makes it."""
    ics = content.meeting_ics(meeting) if meeting is not None else None
    if not ics:
        return None
    part = EmailMessage(policy=SMTP)
    part.set_content(ics, maintype="text", subtype="calendar", filename=f"meeting-{meeting.id}.ics",
                     params={"charset": "utf-8"})
    return part


class Mailer:
    """Connects on first use and keeps the connection for the pass; settings from the config."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        connection = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
        try:
            if config["SMTP_STARTTLS"]:
                connection.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                connection.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        except Exception:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send or raise: PermanentFailure (5xx about this mail or recipient), ServerUnavailable (no usable
        conversation: refused, timed out, cut, 421 "closing", login failed), or SMTPException (a 4xx about
        this mail or recipient, worth retrying later)."""
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (OSError, smtplib.SMTPException) as error:
                raise ServerUnavailable(f"{type(error).__name__}: {error}", connecting=True) from error
        try:
            self.connection.send_message(message, from_addr=self.config["MAIL_FROM"], to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            if code == 421:
                self.close()
                raise ServerUnavailable(f"{code} {reply.decode(errors='replace')}") from error
            if code >= 500:
                raise PermanentFailure(f"{code} {reply.decode(errors='replace')}") from error
            raise  # smtplib has reset the conversation (RSET): the next mail goes on
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.close()
            raise ServerUnavailable(f"{type(error).__name__}: {error}") from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the server is closing the conversation: not about this mail
                self.close()
                raise ServerUnavailable(f"{error.smtp_code} {error.smtp_error!r}") from error
            if error.smtp_code >= 500:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            self.close()
            raise
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except Exception:  # the connection is gone either way
                self.connection.close()
            self.connection = None
