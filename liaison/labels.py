"""What every enum reads as on a page, in a form, a mail or a calendar: one label per value, in one place.

`label(value)` gives the current locale's text of any enum value below (templates call it `label`);
`lazy(value)` the same, evaluated when shown (form choices built at import); `choices(Enum)` a form's
choices in the enum's order. The texts are marked with `_l` so that Babel extracts them; they are
translated through liaison.i18n's one memo when asked for.
"""
from __future__ import annotations

import enum
from functools import lru_cache

from flask_babel import LazyString
from wtforms.fields.choices import SelectChoice

from .dates import fiscal_year_label
from .i18n import gettext as _
from .i18n import locale, translate
from .models import (
    AgendaKind, AgendaOutcome, AttendanceResponse, Choice, Majority, MeetingFormat, MeetingStatus, MinutesStatus,
    NotificationKind, NotificationState, ProposalStatus, Role, TokenScope, VoteMethod, VoteOutcome, VoteState,
)


def _l(message: str) -> str:
    """Mark a label for extraction (Babel's `_l` keyword); `label()` translates it when shown."""
    return message


LABELS: dict[type[enum.Enum], dict] = {
    TokenScope: {
        TokenScope.READ: _l("読み取りのみ"),
        TokenScope.WRITE: _l("読み取りと書き込み"),
    },
    MeetingStatus: {
        MeetingStatus.DRAFT: _l("下書き"),
        MeetingStatus.CONVENED: _l("招集済み"),
        MeetingStatus.IN_SESSION: _l("開会中"),
        MeetingStatus.HELD: _l("開催済み"),
        MeetingStatus.CANCELLED: _l("中止"),
        MeetingStatus.POSTPONED: _l("延期"),
    },
    MeetingFormat: {
        MeetingFormat.IN_PERSON: _l("対面"),
        MeetingFormat.ONLINE: _l("オンライン"),
        MeetingFormat.HYBRID: _l("ハイブリッド(対面・オンライン)"),
        MeetingFormat.WRITTEN: _l("書面開催"),
    },
    AgendaKind: {
        AgendaKind.REPORT: _l("報告事項"),
        AgendaKind.DISCUSSION: _l("協議事項"),
        AgendaKind.RESOLUTION: _l("議決事項"),
    },
    AgendaOutcome: {
        AgendaOutcome.ADOPTED: _l("可決"),
        AgendaOutcome.REJECTED: _l("否決"),
        AgendaOutcome.CONTINUED: _l("継続審議"),
        AgendaOutcome.NOTED: _l("報告了承"),
    },
    AttendanceResponse: {
        AttendanceResponse.ATTEND: _l("出席"),
        AttendanceResponse.PROXY: _l("代理出席"),
        AttendanceResponse.ABSENT: _l("欠席"),
        AttendanceResponse.UNDECIDED: _l("未定"),
    },
    ProposalStatus: {
        ProposalStatus.DRAFT: _l("下書き"),
        ProposalStatus.SUBMITTED: _l("提出済み"),
        ProposalStatus.RETURNED: _l("差戻し"),
        ProposalStatus.ACCEPTED: _l("受理"),
        ProposalStatus.ON_AGENDA: _l("議事に掲載"),
        ProposalStatus.ADOPTED: _l("可決"),
        ProposalStatus.REJECTED: _l("否決"),
        ProposalStatus.CONTINUED: _l("継続審議"),
        ProposalStatus.WITHDRAWN: _l("取下げ"),
    },
    VoteMethod: {
        VoteMethod.IN_MEETING: _l("会議での表決(挙手・点呼、事務局が記録)"),
        VoteMethod.ELECTRONIC: _l("電子表決(会議中に各委員が入力)"),
        VoteMethod.WRITTEN: _l("書面表決"),
    },
    Majority: {
        Majority.SIMPLE: _l("過半数"),
        Majority.TWO_THIRDS: _l("3分の2以上"),
        Majority.UNANIMITY: _l("全会一致"),
    },
    VoteState: {
        VoteState.OPEN: _l("受付中"),
        VoteState.TIED: _l("可否同数(議長裁決待ち)"),
        VoteState.CLOSED: _l("締切・確定"),
        VoteState.CANCELLED: _l("取消"),
    },
    VoteOutcome: {
        VoteOutcome.ADOPTED: _l("可決"),
        VoteOutcome.REJECTED: _l("否決"),
        VoteOutcome.NO_QUORUM: _l("定足数不足"),
    },
    Choice: {Choice.YES: _l("賛成"), Choice.NO: _l("反対"), Choice.ABSTAIN: _l("棄権")},
    MinutesStatus: {
        MinutesStatus.DRAFT: _l("作成中"),
        MinutesStatus.IN_REVIEW: _l("委員確認中"),
        MinutesStatus.APPROVED: _l("承認済み"),
        MinutesStatus.PUBLISHED: _l("公開"),
    },
    NotificationKind: {
        NotificationKind.CONVOCATION: _l("招集通知"),
        NotificationKind.MEETING_CHANGED: _l("会議の変更"),
        NotificationKind.MEETING_CANCELLED: _l("会議の中止"),
        NotificationKind.MEETING_REMINDER: _l("開催前のお知らせ"),
        NotificationKind.ATTENDANCE_DEADLINE: _l("出欠回答期限のお知らせ"),
        NotificationKind.PROPOSAL_DEADLINE: _l("提案締切のお知らせ"),
        NotificationKind.PROPOSAL_RETURNED: _l("提案の差戻し"),
        NotificationKind.PROPOSAL_ACCEPTED: _l("提案の受理"),
        NotificationKind.PROPOSAL_SCHEDULED: _l("提案の議事掲載"),
        NotificationKind.VOTE_DEADLINE: _l("書面表決の締切のお知らせ"),
        NotificationKind.VOTE_RESULT: _l("表決の結果"),
        NotificationKind.MINUTES_REVIEW: _l("議事録の確認依頼"),
        NotificationKind.MINUTES_REVIEW_DEADLINE: _l("議事録の確認期限のお知らせ"),
        NotificationKind.MINUTES_PUBLISHED: _l("議事録の公開"),
        NotificationKind.DIGEST: _l("1日分のまとめ"),
        NotificationKind.ACCOUNT_INVITATION: _l("アカウントへの招待"),
        NotificationKind.PASSWORD_RESET: _l("パスワードの再設定"),
        NotificationKind.EMAIL_CONFIRMATION: _l("メールアドレスの確認"),
    },
    NotificationState: {
        NotificationState.PENDING: _l("送信待ち"),
        NotificationState.SENDING: _l("送信中"),
        NotificationState.SENT: _l("送信済み"),
        NotificationState.FAILED: _l("失敗"),
        NotificationState.VOID: _l("取消し"),
    },
    # Without a committee: the council's and the 部会's names together (role_label says which).
    Role: {
        Role.CHAIR: _l("議長・部会長"),
        Role.VICE_CHAIR: _l("副議長・副部会長"),
        Role.MEMBER: _l("委員"),
        Role.OBSERVER: _l("オブザーバー"),
    },
}

NOT_ANSWERED = _l("未回答")


def label(value: enum.Enum | None) -> str:
    """The label of an enum value in the current locale; "" for None (no outcome, no ballot yet)."""
    if value is None:
        return ""
    return translate(LABELS[type(value)][value])


def response_label(response: AttendanceResponse | None) -> str:
    """An attendance answer, or 未回答 when the seat has not answered."""
    return translate(NOT_ANSWERED) if response is None else label(response)


def lazy(value: enum.Enum) -> LazyString:
    """`label(value)`, translated when shown (a form's choices, built once at import)."""
    return LazyString(label, value)


def choices(enum_type: type[enum.Enum], order=None) -> list[SelectChoice]:
    """A form's choices (value, lazy label), in `order` or the label table's order."""
    return [SelectChoice(value.value, lazy(value)) for value in (order or LABELS[enum_type])]


def role_label(role: Role, committee=None) -> str:
    """議長 / 副議長 in the council, 部会長 / 副部会長 in a 部会; both when the committee is not known."""
    if committee is not None and role in (Role.CHAIR, Role.VICE_CHAIR):
        council = committee.parent_id is None
        if role is Role.CHAIR:
            return _("議長") if council else _("部会長")
        return _("副議長") if council else _("副部会長")
    return label(role)


def quorum_label(numerator: int, denominator: int, at_least: bool) -> str:
    """定足数 in words: 議席の過半数 (more than half) or e.g. 議席の3分の2以上."""
    if (numerator, denominator, at_least) == (1, 2, False):
        return _("議席の過半数の出席")
    if at_least:
        return _("議席の%(d)d分の%(n)d以上の出席", n=numerator, d=denominator)
    return _("議席の%(d)d分の%(n)dを超える出席", n=numerator, d=denominator)


_year_label = lru_cache(maxsize=64)(fiscal_year_label)


def meeting_name(meeting) -> str:
    """令和8年度第3回企画運営部会: how a meeting is named on pages, in mails and in the calendar."""
    return _(
        "%(year)s第%(number)d回%(committee)s",
        year=_year_label(meeting.fiscal_year, locale()), number=meeting.number, committee=meeting.committee.name,
    )


PROPOSAL_HISTORY = {
    "proposal.created": _l("下書きを作成"),
    "proposal.updated": _l("内容を修正"),
    "proposal.submitted": _l("提出"),
    "proposal.withdrawn": _l("取下げ"),
    "proposal.accepted": _l("受理"),
    "proposal.returned": _l("差戻し"),
    "proposal.scheduled": _l("議事に掲載"),
    "proposal.unscheduled": _l("議事から外れた"),
    "proposal.attachment_added": _l("資料を添付"),
    "proposal.attachment_removed": _l("資料を削除"),
    "proposal.adopted": _l("可決"),
    "proposal.rejected": _l("否決"),
    "proposal.continued": _l("継続審議"),
}


def history_label(action: str) -> str:
    """A proposal's history line (an audit action) in words; an unknown action reads as itself."""
    return translate(PROPOSAL_HISTORY[action]) if action in PROPOSAL_HISTORY else action
