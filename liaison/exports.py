"""Minutes as documents: PDF (WeasyPrint, A4, Noto CJK embedded, page numbers) and Word (.docx, python-docx).

Both carry the same headings and tables as the minutes page, in Japanese whatever the reader's
locale (the minutes are the union's official record), with the approval line (承認日, 承認者).
The PDF needs Pango and the Noto CJK fonts from Debian (fonts-noto-cjk); see the README.
"""
from __future__ import annotations

import io
import re
from urllib.parse import quote

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from .dates import format_date
from .domain import check
from .domain import minutes as rules
from .domain import minutes_signers as signers
from .models import Minutes, MinutesVersion
from .notify import documents

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JAPANESE_FONT = "游明朝"  # what Word on an official's PC has; LibreOffice falls back to Noto Serif CJK


def file_name(version: MinutesVersion, suffix: str) -> str:
    """令和8年度第2回企画運営部会_議事録_第3版.pdf"""
    return f"{version.facts['name']}_議事録_第{version.number}版.{suffix}"


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback, so Japanese file names survive every browser."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"minutes.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


def approval_line(version: MinutesVersion) -> str:
    """承認日 令和8年7月1日(水)  承認者 部会長 佐藤 健一 — or 未承認 for a version not approved."""
    with force_locale("ja"):
        if version.approved_at is None:
            return _("未承認(第%(n)d版)", n=version.number)
        approver = rules.approver_of(version)
        return _("承認日 %(date)s\u3000承認者 %(role)s %(name)s",
                 date=format_date(version.approved_at, wareki=True), role=version.approver_role,
                 name=approver.name if approver else "")


def signer_lines(minutes: Minutes) -> list[str]:
    """「議事録署名人 川越市 山田 太郎 (令和8年12月4日 電子確認)」 lines, when the committee has signers."""
    return signers.lines(minutes) if signers.required(minutes) else []


# ---------------------------------------------------------------------------------------------- PDF

PDF_A = documents.PDF_A


def minutes_pdf(minutes: Minutes, version: MinutesVersion, *, variant: str | None = None, shown=None,
                shown_signers: list[str] | None = None) -> bytes:
    """The version as PDF (PDF/A with variant); `shown` (facts, texts, approval line) and `shown_signers` replace
    what is printed, e.g. the public pages' masked text and signer lines (liaison.domain.public)."""
    with force_locale("ja"):
        facts, texts, approval = shown or (version.facts, version.texts, approval_line(version))
        signers = (shown_signers or []) if shown else signer_lines(minutes)
        html = render_template("minutes/print.html", minutes=minutes, version=version, facts=facts,
                               texts=texts, approval=approval, signers=signers)
    return documents.write_pdf(html, variant=variant)


def minutes_pdfa(minutes: Minutes, version: MinutesVersion) -> bytes:
    """Approved minutes as PDF/A for keeping; a version not approved is refused (400)."""
    check(version.approved_at is not None, _("承認された議事録だけがPDF/Aで出力できます。"))
    return minutes_pdf(minutes, version, variant=PDF_A)


# --------------------------------------------------------------------------------------------- Word

def _japanese_font(style) -> None:
    style.font.name = JAPANESE_FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), JAPANESE_FONT)


def _table(document, header: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    return table


def _markdown_paragraphs(document, text: str) -> None:
    """The secretariat's Markdown as Word paragraphs: headings, bullets, numbered lines, plain text."""
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            document.add_heading(heading.group(2), level=min(4, len(heading.group(1)) + 2))
        elif re.match(r"^[-*+]\s+", stripped):
            document.add_paragraph(re.sub(r"^[-*+]\s+", "", stripped), style="List Bullet")
        elif re.match(r"^\d+[.)]\s+", stripped):
            document.add_paragraph(re.sub(r"^\d+[.)]\s+", "", stripped), style="List Number")
        else:
            document.add_paragraph(re.sub(r"(\*\*|__|`)", "", stripped))


def minutes_docx(minutes: Minutes, version: MinutesVersion) -> bytes:
    facts, texts = version.facts, version.texts
    attendance = facts["attendance"]
    with force_locale("ja"):
        document = Document()
        section = document.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)
        section.left_margin = section.right_margin = Mm(20)
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
            _japanese_font(document.styles[name])
        document.styles["Normal"].font.size = Pt(10.5)

        document.add_heading(_("%(name)s 議事録", name=facts["name"]), level=0)
        _table(document, [_("項目"), _("内容")], [
            [_("会議名"), facts["name"]], [_("日時"), facts["when"]], [_("場所"), facts["place"]],
            [_("出席"), _("%(present)d名(うち代理出席%(proxies)d名)/ 委員%(seats)d名",
                         present=len(attendance["present"]) + len(attendance["proxies"]),
                         proxies=len(attendance["proxies"]), seats=attendance["seats"])],
        ])

        document.add_heading(_("出席者"), level=1)
        _table(document, [_("区分"), _("構成団体"), _("氏名"), _("備考")], _attendance_rows(attendance))
        if facts["secretariat"]:
            document.add_paragraph(_("事務局: %(names)s", names="、".join(
                f"{person['name']}({person['title']})" if person["title"] else person["name"] for person in facts["secretariat"]
            )))

        if texts.get(rules.OPENING):
            document.add_heading(rules.section_labels()[rules.OPENING], level=1)
            _markdown_paragraphs(document, texts[rules.OPENING])

        document.add_heading(_("議事"), level=1)
        for item in facts["items"]:
            document.add_heading(f"{item['number']}\u3000{item['kind']}\u3000{item['title']}", level=2)
            rows = [[_("説明者"), item["presenter"]]]
            if item.get("proposal"):
                rows.append([_("提案"), f"{item['proposal']['number']} {item['proposal']['title']}".strip()])
            if item.get("confirms"):
                rows.append([_("確認する議事録"), item["confirms"]])
            if item.get("materials"):
                rows.append([_("資料"), "\n".join(item["materials"])])
            if item.get("outcome"):
                rows.append([_("結果"), item["outcome"]])
            _table(document, [_("項目"), _("内容")], rows)
            if item.get("vote"):
                document.add_paragraph(_("表決結果"))
                _table(document, [_("賛成"), _("反対"), _("棄権"), _("結果"), _("議長裁決")], [_vote_row(item["vote"])])
            _markdown_paragraphs(document, texts.get(rules.item_key(item["id"]), ""))

        if texts.get(rules.CLOSING):
            document.add_heading(rules.section_labels()[rules.CLOSING], level=1)
            _markdown_paragraphs(document, texts[rules.CLOSING])

        line = document.add_paragraph(approval_line(version))
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for text in signer_lines(minutes):  # 議事録署名人 and their electronic confirmations
            document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _attendance_rows(attendance: dict) -> list[list[str]]:
    rows = [[_("出席"), p["seat"], p["name"], p.get("role", "")] for p in attendance["present"]]
    rows += [
        [_("代理出席"), p["seat"], p["proxy_name"], _("%(title)s(%(name)s委員の代理)", title=p["proxy_title"], name=p["name"])]
        for p in attendance["proxies"]
    ]
    rows += [[_("欠席"), p["seat"], p["name"], p.get("role", "")] for p in attendance["absent"]]
    return rows


def _vote_row(vote: dict) -> list[str]:
    casting = f"{vote['casting_vote']}({vote['casting_by']})" if vote.get("casting_vote") else ""
    return [str(vote["yes"]), str(vote["no"]), str(vote["abstain"]), vote["outcome"], casting]
