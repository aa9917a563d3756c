"""The harness itself: the accessibility check fails a page that has a real problem, and a page
reached around the Visitor's methods is noticed rather than silently left unchecked."""
from __future__ import annotations

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
