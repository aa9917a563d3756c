"""資料 inside the page: a member opens 資料1 of today's demo 企画運営部会 and pdf.js draws it (issue 18)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .harness import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PDFJS = PROJECT_ROOT / "static" / "vendor" / "pdfjs" / "pdf.min.mjs"

# How many pixels of the canvas are not white: pdf.js has drawn the page.
INK = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  return ink;
}"""


def test_member_opens_a_pdf_material_in_the_page_and_turns_its_pages(browse):
    if not PDFJS.exists():
        pytest.skip("pdf.js is not in static/vendor/pdfjs (make pdfjs)")
    member = browse(viewport={"width": 820, "height": 1180})  # a tablet held upright
    member.log_in("member02@example.jp")  # さいたま市 sits on 企画運営部会
    member.open("/planning/meetings/")
    today = member.page.get_by_role("row").filter(has_text="会議進行のデモ").get_by_role("link")
    member.navigate_by(today.first.click)
    member.sees("資料2")
    member.follow("資料1 令和8年度上半期の事業執行状況について.pdf")
    expect(member.heading()).to_contain_text("資料1")

    viewer = member.page.locator("[data-pdf-viewer]")
    expect(viewer).to_have_attribute("data-rendered-page", "1", timeout=20_000)
    canvas = member.page.locator("[data-pdf-canvas]")
    assert canvas.evaluate(INK) > 500, "pdf.js left the canvas blank"
    expect(member.page.locator("[data-pdf-pages]")).to_have_text("2")
    expect(member.page.get_by_role("button", name="前へ")).to_be_disabled()

    member.page.get_by_role("button", name="次へ").click()
    expect(viewer).to_have_attribute("data-rendered-page", "2")
    expect(member.page.get_by_role("button", name="次へ")).to_be_disabled()
    # the live pages' hook: "follow the presenter" turns the viewer of this 資料
    attachment = viewer.get_attribute("data-attachment-id")
    member.page.evaluate("""(id) => document.dispatchEvent(new CustomEvent("liaison:follow-page",
                              {detail: {attachmentId: Number(id), page: 1}}))""", attachment)
    expect(viewer).to_have_attribute("data-rendered-page", "1")
    member.fits_the_screen()
    assert member.csp_violations == []
    member.check_accessibility()

    # ?page= opens a page directly
    member.open(member.path + "?page=2")
    expect(member.page.locator("[data-pdf-viewer]")).to_have_attribute("data-rendered-page", "2", timeout=20_000)
