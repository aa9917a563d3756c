"""The 招集通知 as a 公文書: PDF (WeasyPrint, A4, Noto CJK) and an editable .docx (python-docx).

The same head and text as the notice page and the mail (liaison.notify.content), always in Japanese.
"""
from __future__ import annotations

import io
import warnings

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..labels import meeting_name
from ..models import Meeting
from . import content

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JAPANESE_FONT = "游明朝"  # what Word on an official's PC has; LibreOffice falls back to Noto Serif CJK


def file_name(meeting: Meeting, suffix: str) -> str:
    """令和8年度第4回企画運営部会_招集通知.pdf"""
    return f"{meeting_name(meeting)}_招集通知.{suffix}"


def notice_parts(meeting: Meeting) -> tuple[dict[str, str], str]:
    with force_locale("ja"):
        head = content.notice_head(meeting)
        return head, content.notice_body(meeting)


def notice_html(meeting: Meeting) -> str:
    head, body = notice_parts(meeting)
    with force_locale("ja"):
        return current_app.jinja_env.get_template("meetings/notice_print.html").render(head=head, body=body)


PDF_A = "pdf/a-3b"  # PDF/A-3b for long-term keeping: fonts embedded, XMP pdfaid:part 3, conformance B


def write_pdf(html: str, *, variant: str | None = None) -> bytes:
    """HTML to PDF with WeasyPrint; variant=PDF_A for the archival form."""
    from weasyprint import HTML  # loading Pango and fonts is slow and only PDFs need it

    if not variant:
        return HTML(string=html).write_pdf()
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB output-intent profile for PDF/A and never closes it (the file is
        # only read); the ResourceWarning is raised while write_pdf runs, so it is silenced just here.
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        return HTML(string=html).write_pdf(pdf_variant=variant)


def notice_pdf(meeting: Meeting, *, variant: str | None = None) -> bytes:
    """A4 PDF of the 招集通知; variant=PDF_A for the archive."""
    return write_pdf(notice_html(meeting), variant=variant)


def notice_docx(meeting: Meeting) -> bytes:
    head, body = notice_parts(meeting)
    with force_locale("ja"):
        document = Document()
        section = document.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)
        section.left_margin = section.right_margin = Mm(22)
        normal = document.styles["Normal"]
        normal.font.name = JAPANESE_FONT
        normal.font.size = Pt(10.5)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), JAPANESE_FONT)

        def line(text: str, align=None):
            paragraph = document.add_paragraph(text)
            if align is not None:
                paragraph.alignment = align
            return paragraph

        if head["number"]:
            line(head["number"], WD_ALIGN_PARAGRAPH.RIGHT)
        line(head["issued"], WD_ALIGN_PARAGRAPH.RIGHT)
        line(head["addressee"])
        line(head["sender"], WD_ALIGN_PARAGRAPH.RIGHT)
        line(head["seal"], WD_ALIGN_PARAGRAPH.RIGHT)
        line(head["title"], WD_ALIGN_PARAGRAPH.CENTER)
        for text in body.splitlines():
            stripped = text.strip()
            if not stripped:
                continue
            if stripped == _("記"):
                line(stripped, WD_ALIGN_PARAGRAPH.CENTER)
            elif stripped == _("以上"):
                line(stripped, WD_ALIGN_PARAGRAPH.RIGHT)
            else:
                line(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
