"""The harness itself: the accessibility check fails a page that has a real problem, and a page
reached around the Visitor's methods is noticed rather than silently left unchecked, and the SMTP
catcher hands over the mail the app sends."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from .harness import axe_violations
from .visitor import Visitor

pytestmark = pytest.mark.e2e

BROKEN = """<!doctype html><html><head><title>x</title></head><body><main><h1>申込</h1>
<form><input type="text" name="name"><img src="seal.png"></form></main></body></html>"""


def test_axe_flags_an_unlabelled_field_and_an_image_without_text(browser):
    page = browser.new_page()
    page.set_content(BROKEN)
    found = {v["id"] for v in axe_violations(page)}
    page.close()
    assert {"label", "image-alt", "html-has-lang"} <= found


def test_visitor_refuses_a_page_with_serious_violations_and_notices_unchecked_pages(browser):
    context = browser.new_context()
    visitor = Visitor(context)
    visitor.page.set_content(BROKEN)
    with pytest.raises(AssertionError, match=r"\[critical\] label"):
        visitor.check_accessibility()

    visitor.page.goto("data:text/html,<html lang=ja><title>t</title><main><h1>a</h1></main></html>")
    assert visitor.unchecked_pages() == ["data:text/html,<html lang=ja><title>t</title><main><h1>a</h1></main></html>"]
    visitor.check_accessibility()
    assert visitor.unchecked_pages() == []
    context.close()


def test_mailbox_catches_japanese_mail_sent_over_smtp(mail_catcher, mailbox):
    port, _ = mail_catcher
    message = EmailMessage()
    message["From"] = "liaison@example.jp"
    message["To"] = "member02@example.jp"
    message["Subject"] = "【招集通知】令和7年度第2回企画運営部会"
    message.set_content("委員各位\n下記のとおり開催します。")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)

    mail = mailbox.wait_for("member02@example.jp", "令和7年度第2回企画運営部会", timeout=5)  # the app mails member02 too
    assert mail.subject == "【招集通知】令和7年度第2回企画運営部会"
    assert "下記のとおり開催します。" in mail.text
    # an address the app never mails: the mailbox is the journeys' too, and the app mails every demo member
    with pytest.raises(AssertionError, match="no mail to nobody-harness@example.jp"):
        mailbox.wait_for("nobody-harness@example.jp", timeout=0.1)


def test_the_apps_csp_blocks_an_inline_script_and_the_visitor_notices(browse):
    """Issue 17: the Content-Security-Policy works in a real browser, and a journey would fail on what it blocks."""
    visitor = browse()
    visitor.open("/login")
    visitor.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.appendChild(script);
    }""")
    assert visitor.page.evaluate("() => window.inlineRan === true") is False
    visitor.page.wait_for_timeout(200)
    assert visitor.csp_violations, "the browser reported no CSP violation"
    visitor.csp_violations.clear()  # seen and expected: the journey's end check is not about this one
