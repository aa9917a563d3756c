"""Today's 企画運営部会 (seed --demo): its agenda, planned minutes and 資料.

The 資料 are small PDFs kept in liaison/seed/materials/ (today-1.pdf …), made from TODAY_AGENDA with
WeasyPrint by `python -m liaison.seed.make_materials` (run it after changing the texts; rendering at seed
time took seconds per file). The meeting itself is built by demo_meetings.demo_meeting_today through
the domain functions.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

MATERIALS = Path(__file__).resolve().parent / "materials"

TODAY_TITLE = "会議進行のデモ(本日開催)"

# (kind, title, presenter body or None for 事務局, planned minutes, pages: [(heading, [lines])])
TODAY_AGENDA = (
    ("report", "令和8年度上半期の事業執行状況について", None, 10, (
        ("1 事業の執行状況", ["共同研修 24講座のうち 15講座を実施(執行率 62.5%)。", "受講者数は延べ 1,284人(前年同期比 +6.1%)。",
                           "オンライン併用講座は 9講座、受講者の 41% がオンラインで参加した。"]),
        ("2 予算の執行状況", ["研修事業費 48,200千円のうち 27,950千円を執行(58.0%)。",
                           "講師謝金の単価見直しにより、下半期に約 1,100千円の不用額を見込む。"]),
    )),
    ("report", "構成団体の研修ニーズ調査の結果について", "川越市", 10, (
        ("1 調査の概要", ["調査期間: 令和8年9月1日〜9月30日", "回答: 構成団体 64団体のうち 61団体(回答率 95.3%)"]),
        ("2 主な結果", ["最も要望が多い分野はデジタル・DX(48団体)、次いで政策形成(37団体)。",
                     "研修の形式はオンラインと集合研修の併用を望む団体が 7割を超えた。"]),
    )),
    ("discussion", "令和9年度事業計画の策定方針について", "川越市", 30, (
        ("1 策定の方向性", ["第6次広域計画の中間年として、人材育成の重点分野を見直す。",
                         "研修ニーズ調査の結果を反映し、デジタル分野の講座を拡充する。"]),
        ("2 協議していただきたい事項", ["(1) 重点分野の優先順位", "(2) オンライン講座の比率の目安",
                                   "(3) 小規模団体の受講枠の配分方法"]),
    )),
    ("resolution", "令和9年度共同研修計画(案)について", None, 25, (
        ("1 計画(案)の概要", ["共同研修 26講座(新規 3講座、廃止 1講座)。", "DX推進リーダー養成研修を本実施に移行する。"]),
        ("2 所要経費", ["研修事業費 49,800千円(前年度比 +1,600千円)。", "財源は構成団体負担金及び自主財源とする。"]),
        ("3 議決の方法", ["本件は出席委員の過半数により決する(挙手又は端末による表決)。"]),
    )),
    ("report", "次回会議の日程について", None, 5, (
        ("次回の予定", ["令和9年2月中旬に開催予定。", "日程は事務局から追って通知する。"]),
    )),
)

_STYLE = """
@page { size: A4; margin: 20mm 18mm; @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 11pt; line-height: 1.7; }
.number { text-align: right; border: 1px solid #333; display: inline-block; padding: 1mm 3mm; float: right; }
h1 { font-weight: normal; font-size: 16pt; margin: 14mm 0 8mm; text-align: center; clear: both; }
h2 { font-weight: normal; font-size: 13pt; border-bottom: 1px solid #666; margin-top: 8mm; }
section + section { page-break-before: always; }
.meeting { text-align: center; color: #444; }
"""


def material_pdf(number: int) -> bytes:
    """資料<number> of today's meeting, as committed."""
    return (MATERIALS / f"today-{number}.pdf").read_bytes()


def render_material(number: int) -> bytes:
    """A small 資料: the number top right, the title, one section per page (pdf.js has pages to turn)."""
    from ..notify.documents import write_pdf

    _kind, title, _presenter, _planned, pages = TODAY_AGENDA[number - 1]
    sections = "".join(
        f"<section><h2>{escape(heading)}</h2>" + "".join(f"<p>{escape(line)}</p>" for line in lines) + "</section>"
        for heading, lines in pages
    )
    html = (f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><style>{_STYLE}</style></head><body>"
            f"<p class=\"number\">資料{number}</p><h1>{escape(title)}</h1>"
            f"<p class=\"meeting\">企画運営部会</p>{sections}</body></html>")
    return write_pdf(html)

