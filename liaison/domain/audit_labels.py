"""The audit trail in words: one Japanese description per event type, field names, and values before → after.

Kept apart from the other label functions so that the audit page and its CSV read the same texts; an
event type without an entry here is still described, from its object and its verb (see `describe`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime


from sqlalchemy import select

from ..dates import TOKYO, fiscal_year_label, format_datetime
from ..extensions import db
from ..i18n import gettext as _
from ..labels import label
from ..models import (
    AgendaKind, AgendaOutcome, AttendanceResponse, Body, Choice, Committee, Majority, MeetingFormat, MeetingStatus,
    MinutesStatus, PlanPolicy, ProposalStatus, Role, TokenScope, VoteMethod, VoteOutcome, VoteState,
)
from . import memo

# Names of reference rows an audit row points at by id or slug (a few dozen rows, kept for the unit of work).
_names = memo.keep("audit_names", (Body, PlanPolicy, Committee))

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def object_type_label(object_type: str) -> str:
    return {
        "meetings": _("会議"),
        "agenda_items": _("議事"),
        "attendances": _("出欠"),
        "attachments": _("資料"),
        "proposals": _("提案"),
        "proposal_comments": _("提案へのコメント"),
        "votes": _("表決"),
        "ballots": _("票"),
        "minutes": _("議事録"),
        "memberships": _("委員"),
        "committees": _("会議体"),
        "users": _("利用者"),
        "notifications": _("通知"),
        "api_tokens": _("アクセストークン"),
    }.get(object_type, _("その他"))


def _descriptions() -> dict[str, str]:
    """Event type → description; %(object)s is the object's name at the time (提案番号と件名, 会議名 …)."""
    return {
        # users and accounts
        "user.created": _("利用者 %(object)s を登録"),
        "user.updated": _("利用者 %(object)s の登録内容を変更"),
        "user.activated": _("利用者 %(object)s を有効化"),
        "user.deactivated": _("利用者 %(object)s を無効化"),
        "user.locked": _("利用者 %(object)s をログイン失敗の繰り返しでロック"),
        "user.password_reset": _("利用者 %(object)s のパスワードを再設定"),
        "user.password_changed": _("利用者 %(object)s がパスワードを変更"),
        "user.sessions_ended": _("利用者 %(object)s のすべてのセッションを終了"),
        "user.invitation_sent": _("利用者 %(object)s に招待メールを送信"),
        "user.password_reset_sent": _("利用者 %(object)s にパスワード再設定のメールを送信"),
        "user.email_change_sent": _("利用者 %(object)s の新しいメールアドレスに確認メールを送信"),
        "user.password_set_by_link": _("利用者 %(object)s がメールのリンクからパスワードを設定"),
        "user.email_confirmed": _("利用者 %(object)s が新しいメールアドレスを確認"),
        "calendar.feed_regenerated": _("%(object)sのカレンダー配信URLを再発行"),
        "calendar.feed_settings_changed": _("%(object)sのカレンダー配信の設定を変更"),
        "api_token.created": _("アクセストークン「%(object)s」を作成"),
        "api_token.revoked": _("アクセストークン「%(object)s」を無効化"),
        "notification.preferences": _("%(object)sの通知設定を変更"),
        "notification.retried": _("通知「%(object)s」を再送"),
        # committees and seats
        "membership.appointed": _("委員 %(object)s を選任"),
        "membership.role_changed": _("委員 %(object)s の役職を変更"),
        "membership.ended": _("委員 %(object)s の任期を終了"),
        "committee.handover": _("%(object)sの年度の引継ぎ(人事異動)"),
        "committee.quorum_set": _("%(object)sの定足数を変更"),
        "committee.chair_rule_set": _("%(object)sの議長の表決の扱いを変更"),
        "committee.reminders": _("%(object)sのリマインダー設定を変更"),
        "committee.document_prefix": _("%(object)sの文書番号の記号を変更"),
        "committee.public_settings": _("%(object)sの会議録の公開設定を変更"),
        "committee.minutes_signers": _("%(object)sの議事録署名人の設定を変更"),
        # meetings
        "meeting.created": _("%(object)sを作成"),
        "meeting.updated": _("%(object)sの内容を変更"),
        "meeting.convened": _("%(object)sを招集"),
        "meeting.postponed": _("%(object)sを延期"),
        "meeting.cancelled": _("%(object)sを中止"),
        "meeting.held": _("%(object)sを開催済みに"),
        "meeting.session_opened": _("%(object)sを開会"),
        "meeting.session_closed": _("%(object)sを閉会"),
        "meeting.deleted": _("%(object)s(下書き)を削除"),
        "meeting.presence_recorded": _("%(object)sの出席を記録"),
        "meeting.reminders": _("%(object)sのリマインダー設定を変更"),
        "attendance.answered": _("%(object)sの出欠を回答"),
        "attendance.checked_in": _("%(object)sの出席を確認"),
        "attendance.checked_out": _("%(object)sを欠席(退席)と記録"),
        "meeting.item_taken_up": _("%(object)sを議題にする(会議進行)"),
        "meeting.screen_link_revoked": _("%(object)sのスクリーン表示用リンクを無効にする"),
        "meeting.material_shown": _("%(object)sを全員に表示(会議進行)"),
        "meeting.material_hidden": _("%(object)sの資料の表示をやめる(会議進行)"),
        "hand.raised": _("%(object)sが挙手"),
        "hand.lowered": _("%(object)sが挙手を取り下げ"),
        "speaker.called": _("%(object)sを指名"),
        "attendance.asked_again": _("%(object)sの出欠を延期により未回答に戻す"),
        "agenda_item.added": _("議事「%(object)s」を追加"),
        "agenda_item.updated": _("議事「%(object)s」を変更"),
        "agenda_item.removed": _("議事「%(object)s」を削除"),
        "agenda_item.moved": _("議事「%(object)s」の順番を変更"),
        "agenda_item.continued": _("議事「%(object)s」を継続審議に"),
        "agenda_item.noted": _("議事「%(object)s」を報告了承"),
        "attachment.added": _("資料「%(object)s」を添付"),
        "attachment.removed": _("資料「%(object)s」を削除"),
        # proposals
        "proposal.created": _("提案 %(object)s を作成"),
        "proposal.updated": _("提案 %(object)s を修正"),
        "proposal.submitted": _("提案 %(object)s を提出"),
        "proposal.withdrawn": _("提案 %(object)s を取下げ"),
        "proposal.accepted": _("提案 %(object)s を受理"),
        "proposal.returned": _("提案 %(object)s を差戻し"),
        "proposal.scheduled": _("提案 %(object)s を議事に掲載"),
        "proposal.unscheduled": _("提案 %(object)s が議事から外れた"),
        "proposal.adopted": _("提案 %(object)s を可決"),
        "proposal.rejected": _("提案 %(object)s を否決"),
        "proposal.continued": _("提案 %(object)s を継続審議に"),
        "proposal.attachment_added": _("提案 %(object)s に資料を添付"),
        "proposal.attachment_removed": _("提案 %(object)s の資料を削除"),
        "proposal_comment.added": _("提案 %(object)s にコメント"),
        "proposal_comment.edited": _("提案へのコメントを編集"),
        "proposal_comment.deleted": _("提案へのコメントを削除"),
        # votes
        "vote.opened": _("表決「%(object)s」を開始"),
        "vote.tied": _("表決「%(object)s」が可否同数"),
        "vote.casting_vote": _("表決「%(object)s」で議長が裁決"),
        "vote.closed": _("表決「%(object)s」を締切"),
        "vote.cancelled": _("表決「%(object)s」を取消"),
        "vote.late_arrival_admitted": _("表決「%(object)s」に遅れて出席した議席を追加"),
        "ballot.cast": _("表決「%(object)s」に投票"),
        "ballot.changed": _("表決「%(object)s」の票を変更"),
        "ballot.withdrawn": _("表決「%(object)s」の票を取消"),
        # minutes
        "minutes.created": _("%(object)sの案を作成"),
        "minutes.regenerated": _("%(object)sの案を会議の記録から作り直し"),
        "minutes.edited": _("%(object)sの案を編集"),
        "minutes.revised": _("承認済みの%(object)sを修正"),
        "minutes.review_opened": _("%(object)sを委員の確認に付す"),
        "minutes.returned": _("%(object)sを作成中に戻す"),
        "minutes.reviewed": _("%(object)sに異議なし"),
        "minutes.commented": _("%(object)sに意見"),
        "minutes.approved": _("%(object)sを承認"),
        "minutes.published": _("%(object)sを公開"),
        "minutes.confirmation_added": _("%(object)sの確認を次の会議の議事に追加"),
        "minutes.signers_named": _("%(object)sの議事録署名人を指名"),
        "minutes.signer_confirmed": _("%(object)sを議事録署名人として確認"),
    }


def _verbs() -> dict[str, str]:
    """For an event type without its own description: the verb after the dot."""
    return {
        "created": _("作成"), "added": _("追加"), "updated": _("変更"), "changed": _("変更"), "edited": _("編集"),
        "deleted": _("削除"), "removed": _("削除"), "opened": _("開始"), "closed": _("終了"), "cancelled": _("取消"),
        "approved": _("承認"), "published": _("公開"), "accepted": _("受理"), "returned": _("差戻し"),
        "recorded": _("記録"), "corrected": _("訂正"), "admitted": _("許可"),
    }


def known_actions() -> set[str]:
    return set(_descriptions())


def object_name(event) -> str:
    """The object as the row names it: its label at the time, or its kind and number."""
    return event.object_label or f"#{event.object_id}"


def describe(event) -> str:
    """「提案 企画-R8-005 … を受理」: the event in one Japanese phrase."""
    template = _descriptions().get(event.action)
    if template is not None:
        return template % {"object": object_name(event)}
    verb = _verbs().get(event.action.rpartition(".")[2], _("操作"))
    return _("%(kind)s %(object)s を%(verb)s", kind=object_type_label(event.object_type), object=object_name(event),
             verb=verb)


# ------------------------------------------------------------------------------------------ fields

def _field_labels() -> dict[str, str]:
    return {
        "status": _("状態"), "state": _("状態"), "choice": _("票"), "position": _("順番"), "role": _("役職"),
        "active": _("有効"), "text": _("本文"), "present": _("出席者"), "quorum": _("定足数"), "chair_rule": _("議長の表決"),
        "via": _("経由"), "scope": _("権限"), "expires_at": _("有効期限"), "holder": _("利用者"),
        "feed_counter": _("配信URLの版"), "published_version": _("公開した版"),
        "title": _("件名"), "starts_at": _("開始日時"), "ends_at": _("終了日時"), "format": _("開催形式"),
        "place": _("場所"), "online_url": _("オンライン会議のURL"), "answer_deadline": _("出欠の回答期限"),
        "proposal_deadline": _("提案の締切"), "notes": _("備考"), "fiscal_year": _("年度"), "number": _("番号"),
        "sequence": _("改訂番号"), "kind": _("種別"), "presenter_body_id": _("説明団体"),
        "minutes_allotted": _("予定時間(分)"), "summary": _("概要"), "body": _("本文"),
        "plan_policy_id": _("広域計画の施策"), "desired_meeting_id": _("希望する会議"), "response": _("出欠"),
        "proxy_name": _("代理出席者"), "proxy_title": _("代理出席者の役職"), "email": _("メールアドレス"),
        "name": _("氏名"), "is_admin": _("システム管理者"), "is_secretariat": _("事務局"),
        "include_deadlines": _("期限をカレンダーに含める"), "daily_digest": _("1日分をまとめて送る"),
        "email_off": _("メールで送らない通知"), "enabled": _("リマインダー"), "days": _("何日前"),
        "reminder_days": _("会議の何日前"), "reminder_time": _("送信時刻"), "answer_reminder_days": _("回答期限の何日前"),
        "proposal_reminder_days": _("提案締切の何日前"), "vote_reminder_days": _("書面表決の締切の何日前"),
        "review_reminder_days": _("確認期限の何日前"), "outcome": _("結果"), "base": _("可否を数える票数"),
        "quorum_met": _("定足数を満たす"), "document_prefix": _("文書番号の記号"),
        "public_minutes": _("会議録の公開"), "public_mask_names": _("氏名を伏せる"),
        "public_keep_officers": _("議長・事務局の氏名を表示"),
        "ended_at": _("任期の終了"),
        # details recorded next to the change
        "reason": _("理由"), "seat": _("議席"), "version": _("版"), "deadline": _("確認期限"), "method": _("表決方法"),
        "majority": _("議決要件"), "secret": _("無記名"), "opens_at": _("受付開始"), "closes_at": _("締切"),
        "entitled": _("表決権のある議席"), "yes": _("賛成"), "no": _("反対"), "abstain": _("棄権"),
        "casting_vote": _("議長の裁決"), "by_secretariat": _("事務局が記録"), "size": _("サイズ(バイト)"),
        "error": _("送信エラー"), "from_year": _("引継ぎ元の年度"), "to_year": _("引継ぎ先の年度"),
        "created": _("作成した議席"), "replaced": _("交代した委員"), "fields": _("変更した項目"),
        "changed": _("変更した項目"), "revision": _("改訂"), "committee": _("会議体"), "user": _("委員"),
        "abstentions_in_base": _("棄権を母数に含める"),
    }


# Before/after recorded as a single value: which field it was, when it is not the object's status.
SCALAR_FIELD = {
    "ballot.cast": "choice", "ballot.changed": "choice", "ballot.withdrawn": "choice",
    "agenda_item.moved": "position", "membership.role_changed": "role", "user.activated": "active",
    "user.deactivated": "active", "proposal_comment.edited": "text", "meeting.presence_recorded": "present",
    "committee.quorum_set": "quorum", "committee.chair_rule_set": "chair_rule",
    "calendar.feed_regenerated": "feed_counter",
    "minutes.published": "published_version",
}
# Values stored as an enum's value, by field (and, for status, by the object's table).
ENUMS = {
    ("scope", "api_tokens"): TokenScope,
    ("status", "meetings"): MeetingStatus, ("status", "proposals"): ProposalStatus,
    ("status", "minutes"): MinutesStatus, ("status", "votes"): VoteState, ("state", "votes"): VoteState,
    ("choice", None): Choice, ("casting_vote", None): Choice, ("response", None): AttendanceResponse,
    ("format", None): MeetingFormat, ("kind", None): AgendaKind, ("role", None): Role, ("method", None): VoteMethod,
    ("majority", None): Majority, ("outcome", "votes"): VoteOutcome, ("outcome", None): AgendaOutcome,
}
# Values that are a reference row's id or slug: shown by its name.
REFERENCES = {"presenter_body_id": "bodies", "plan_policy_id": "policies", "committee": "committees"}
# Detail keys not shown: internal ids that the row's object link already gives, and long lists.
HIDDEN_DETAILS = {"meeting_id", "agenda_item_id", "vote_id", "comment_id", "attachment_id", "proposal_id"}


def field_label(field: str) -> str:
    return _field_labels().get(field, field)


def _enum_label(enum_class, value) -> str | None:
    try:
        member = enum_class(value)
    except ValueError:
        if enum_class is AgendaOutcome:
            return _enum_label(VoteOutcome, value)
        return None
    return label(member)


def _reference_names(kind: str) -> dict:
    def load():
        if kind == "bodies":
            return dict(db.session.execute(select(Body.id, Body.name)).all())
        if kind == "policies":
            return {row.id: f"{row.code} {row.title}" for row in db.session.execute(select(PlanPolicy.id, PlanPolicy.code,
                                                                                           PlanPolicy.title))}
        return dict(db.session.execute(select(Committee.slug, Committee.name)).all())

    return _names.get(kind, load)


def value_label(value, field: str = "", object_type: str = "") -> str:
    """A stored value in words: 令和8年12月4日(金) 14:05 for a time, 招集済み for a status, はい / いいえ …"""
    if value is None or value == "" or value == []:
        return _("(なし)")
    if field == "via" and value == "api":
        return _("API(/api/v1)")
    if field in REFERENCES and isinstance(value, (int, str)):
        return str(_reference_names(REFERENCES[field]).get(value, value))
    if field in ("fiscal_year", "from_year", "to_year") and isinstance(value, int):
        return fiscal_year_label(value)
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, list):
        return "、".join(value_label(item, field, object_type) for item in value)
    if isinstance(value, dict):
        return "、".join(f"{field_label(k)}: {value_label(v, k, object_type)}" for k, v in value.items())
    if isinstance(value, str):
        enum_class = ENUMS.get((field, object_type)) or ENUMS.get((field, None))
        if enum_class is not None:
            label = _enum_label(enum_class, value)
            if label is not None:
                return label
        if ISO_DATETIME.match(value):
            try:
                return format_datetime(datetime.fromisoformat(value), wareki=True)
            except ValueError:
                return value
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def changes(event) -> list[Change]:
    """The fields the event changed, before → after, in words."""
    data = event.data or {}
    if "before" not in data and "after" not in data:
        return []
    before, after = data.get("before"), data.get("after")
    kind = event.object_type
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        fields = list(before) + [name for name in after if name not in before]
        found = [Change(field_label(name), value_label(before.get(name), name, kind),
                        value_label(after.get(name), name, kind)) for name in fields]
    else:
        field = SCALAR_FIELD.get(event.action, "status")
        found = [Change(field_label(field), value_label(before, field, kind), value_label(after, field, kind))]
    return [change for change in found if change.before != change.after]


def details(event) -> list[tuple[str, str]]:
    """The other facts recorded with the event (理由, 議席, 版 …), in words."""
    shown = []
    for key, value in (event.data or {}).items():
        if key in ("before", "after") or key in HIDDEN_DETAILS:
            continue
        if key == "entitled" and isinstance(value, list):
            shown.append((field_label(key), _("%(n)d議席", n=len(value))))
            continue
        if key == "changed" and event.object_type == "minutes" and isinstance(value, list):
            value = [_section_label(name) for name in value]
        if key == "fields" and isinstance(value, list):
            value = [field_label(name) for name in value]
        if key == "replaced" and isinstance(value, list):
            value = [f"{item.get('seat', '')} {item.get('user', '')}".strip() if isinstance(item, dict) else item
                     for item in value]
        shown.append((field_label(key), value_label(value, key, event.object_type)))
    return shown


def _section_label(name: str) -> str:
    """A section of the minutes' text: 開会・会議の概要, その他・閉会, or an agenda item's record."""
    from .minutes import section_labels

    if name.startswith("item-"):
        return _("議事の記録(#%(id)s)", id=name[5:])
    return section_labels().get(name, name)


def changes_text(event) -> str:
    """One line for the CSV: 「状態: 下書き → 招集済み; 開始日時: … → …」."""
    return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in changes(event))


def details_text(event) -> str:
    return "; ".join(f"{label}: {value}" for label, value in details(event))


# ------------------------------------------------------------------------------------------ CSV

def csv_header() -> tuple[str, ...]:
    return ("ID", _("日時"), _("操作者"), _("操作者のメールアドレス"), _("会議体"), _("操作"), _("操作の種類"),
            _("対象の種類"), _("対象ID"), _("対象"), _("変更内容"), _("詳細"), _("連番"), _("前の行のハッシュ"),
            _("ハッシュ"))


def csv_rows(events):
    """One CSV row per audit row (a generator), under csv_header(); times as ISO 8601 in JST."""
    for event in events:
        yield (
            event.id, event.at.astimezone(TOKYO).isoformat(timespec="seconds"),
            event.actor.name if event.actor else _("システム"), event.actor.email if event.actor else "",
            event.committee.name if event.committee else "", describe(event), event.action,
            object_type_label(event.object_type), event.object_id or "", event.object_label,
            changes_text(event), details_text(event), event.seq or "",
            event.prev_hash or "", event.row_hash or "",
        )
