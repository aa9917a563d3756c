"""What notices say: subjects and bodies in Japanese, the page they link to, the meeting's .ics."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import labels, urls
from ..calendar import feeds
from ..dates import format_date, format_datetime, to_tokyo, utcnow
from ..domain import documents, materials, meetings
from ..i18n import locale
from ..labels import label
from ..labels import meeting_name as meeting_label
from ..models import AgendaItem, Meeting, MeetingFormat, MeetingStatus, Minutes, NotificationKind, Proposal, Role, Vote
from ..urls import absolute, internal_path

# Sub-items of an agenda kind in a notice: ア, イ, ウ … (then 47, 48 … past ワ).
IROHA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"


def meeting_path(meeting: Meeting) -> str:
    """The meeting's stable page (DESIGN: /<slug>/meetings/<id>)."""
    return internal_path("meetings.show", committee=meeting.committee.slug, meeting_id=meeting.id)


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def notice_head(meeting: Meeting) -> dict[str, str]:
    """The head of the 招集通知 as a 公文書: 文書番号, date, addressee, sender (the chair, 公印省略), title, contact."""
    chair = documents.chair_of(meeting.committee, meeting.fiscal_year)
    role = labels.role_label(Role.CHAIR, meeting.committee)
    sender = f"{meeting.committee.name} {role}"
    if chair is not None:
        sender += f"\u3000{chair.user.name}"
    staff = meeting.convened_by.name if meeting.convened_by is not None else ""
    office = _("彩の国さいたま人づくり広域連合 事務局")
    return {
        "number": documents.document_number_label(meeting),
        "issued": format_date(meeting.convened_at or utcnow(), wareki=True, locale=locale()),
        "addressee": _("各委員 様"),
        "sender": sender,
        "seal": _("(公印省略)"),
        "title": _("%(name)sの開催について(通知)", name=labels.meeting_name(meeting)),
        "contact": f"{office}\u3000{staff}".rstrip("\u3000"),
    }


def convocation_text(meeting: Meeting, base_url: str | None = None) -> str:
    """招集通知 as plain text (templates/meetings/convocation.txt): the notice page prints it, the notifier mails it."""
    agenda = meetings.agenda_of(meeting)
    positions = {item.id: item.position for item in agenda}
    attachments = meetings.meeting_attachments(meeting)
    numbers = materials.numbers_of(agenda, attachments)
    attachments.sort(key=lambda document: materials.sort_key(numbers[document.id]))
    by_item: dict[int, list[str]] = {}
    for document in attachments:
        if document.agenda_item_id is not None:
            by_item.setdefault(document.agenda_item_id, []).append(materials.label_of(numbers[document.id]))
    start, end = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at)
    when = format_datetime(start, wareki=True, locale=locale())
    when += f"〜{end:%H:%M}" if start.date() == end.date() else "〜" + format_datetime(end, wareki=True, locale=locale())
    template = current_app.jinja_env.get_template("meetings/convocation.txt")
    return template.render(
        meeting=meeting, head=notice_head(meeting), when=when,
        agenda=meetings.agenda_by_kind(agenda), iroha=IROHA, deadline=meetings.answer_deadline_of(meeting),
        page=urls.meeting_url(meeting, base_url), MeetingStatus=MeetingStatus, MeetingFormat=MeetingFormat, label=label,
        documents=[(document, positions.get(document.agenda_item_id), materials.label_of(numbers[document.id]))
                   for document in attachments],
        item_materials=by_item,
    ) + "\n"


def notice_body(meeting: Meeting, text: str | None = None) -> str:
    """What follows the title: the body, 記, the numbered sections, 以上 (for the page, PDF and .docx)."""
    text = text if text is not None else convocation_text(meeting)
    return text.split(notice_head(meeting)["title"] + "\n", 1)[-1].strip("\n")


def _when(meeting: Meeting) -> str:
    start, end = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at)
    if start.date() == end.date():
        return f"{format_datetime(start, wareki=True)}〜{end:%H:%M}"
    return f"{format_datetime(start, wareki=True)}〜{format_datetime(end, wareki=True)}"


def meeting_summary(meeting: Meeting) -> str:
    """The facts a member needs: name, time, format, place, answer deadline, agenda, link."""
    lines = [
        _("会議: %(name)s", name=meeting_label(meeting) + (f" {meeting.title}" if meeting.title else "")),
        _("日時: %(when)s", when=_when(meeting)),
        _("開催方法: %(format)s", format=label(meeting.format)),
    ]
    if meeting.place:
        lines.append(_("場所: %(place)s", place=meeting.place))
    if meeting.online_url:
        lines.append(_("オンライン会議: %(url)s", url=meeting.online_url))
    if meeting.answer_deadline:
        lines.append(_("出欠の回答期限: %(when)s", when=format_datetime(meeting.answer_deadline, wareki=True)))
    if meeting.agenda_items:
        lines.append(_("議事:"))
        for index, item in enumerate(meeting.agenda_items, start=1):
            lines.append(f"  {index}. 【{label(item.kind)}】{item.title}")
    lines.append(_("詳細: %(url)s", url=absolute(meeting_path(meeting))))
    return "\n".join(lines)


def meeting_ics(meeting: Meeting) -> bytes:
    """The meeting as .ics, from the calendar area's generator (the same one the feeds use)."""
    return feeds.meeting_ics(meeting, base_url())


def meeting_notice(kind: NotificationKind, meeting: Meeting) -> tuple[str, str]:
    """Subject and body of a convocation, change or cancellation notice, always in Japanese."""
    with force_locale("ja"):
        label, when = meeting_label(meeting), format_datetime(meeting.starts_at, wareki=True)
        if kind is NotificationKind.CONVOCATION:
            return _("【招集通知】%(label)s(%(when)s)", label=label, when=when), convocation_text(meeting)
        if kind is NotificationKind.MEETING_CHANGED and meeting.status is MeetingStatus.POSTPONED \
                and meeting.original_starts_at is not None:
            return postponement_notice(meeting, label)
        if kind is NotificationKind.MEETING_CHANGED:
            intro = _("下記の会議の内容が変更されました。変更後の内容をご確認ください。")
            return _("【変更】%(label)s(%(when)s)", label=label, when=when), f"{intro}\n\n{meeting_summary(meeting)}"
        intro = _("下記の会議は中止となりました。")
        if meeting.cancel_reason:
            intro += "\n" + _("理由: %(reason)s", reason=meeting.cancel_reason)
        return _("【中止】%(label)s(%(when)s)", label=label, when=when), f"{intro}\n\n{meeting_summary(meeting)}"


def postponement_notice(meeting: Meeting, label: str) -> tuple[str, str]:
    """【延期】: the old and the new date and time, the reason, and (when the day moved) attendance asked again."""
    old = format_datetime(meeting.original_starts_at, wareki=True)
    new = format_datetime(meeting.starts_at, wareki=True)
    lines = [_("下記の会議は延期となりました。"), _("当初の日時: %(old)s", old=old), _("新しい日時: %(new)s", new=new)]
    if meeting.postpone_reason:
        lines.append(_("理由: %(reason)s", reason=meeting.postpone_reason))
    if to_tokyo(meeting.original_starts_at).date() != to_tokyo(meeting.starts_at).date():
        lines.append(_("開催日が変わりましたので、出欠を改めてご回答ください(以前の回答は履歴として残ります)。"))
    subject = _("【延期】%(label)s(%(old)sから%(new)sに延期)", label=label, old=old, new=new)
    return subject, "\n".join(lines) + f"\n\n{meeting_summary(meeting)}"


def meeting_reminder(meeting: Meeting, days: int) -> tuple[str, str]:
    with force_locale("ja"):
        label, when = meeting_label(meeting), format_datetime(meeting.starts_at, wareki=True)
        ahead = _("明日") if days == 1 else _("%(days)d日後", days=days)
        subject = _("【開催のお知らせ】%(ahead)s: %(label)s(%(when)s)", ahead=ahead, label=label, when=when)
        intro = _("%(ahead)sに下記の会議が開催されます。", ahead=ahead)
        return subject, f"{intro}\n\n{meeting_summary(meeting)}"


def attendance_reminder(meeting: Meeting) -> tuple[str, str]:
    with force_locale("ja"):
        deadline = format_datetime(meeting.answer_deadline, wareki=True)
        subject = _("【出欠回答のお願い】%(label)s(回答期限 %(deadline)s)", label=meeting_label(meeting), deadline=deadline)
        intro = _("下記の会議の出欠がまだ回答されていません。%(deadline)sまでに会議のページから回答してください。", deadline=deadline)
        return subject, f"{intro}\n\n{meeting_summary(meeting)}"


def proposal_deadline_reminder(meeting: Meeting) -> tuple[str, str]:
    with force_locale("ja"):
        deadline = format_datetime(meeting.proposal_deadline, wareki=True)
        subject = _("【提案締切のお知らせ】%(label)s(締切 %(deadline)s)", label=meeting_label(meeting), deadline=deadline)
        intro = _("下記の会議への提案の締切は%(deadline)sです。提案がある場合は、締切までに提出してください。",
                  deadline=deadline)
        new = _("提案の作成: %(url)s", url=urls.external_url("proposals.new", committee=meeting.committee.slug))
        return subject, f"{intro}\n{new}\n\n{meeting_summary(meeting)}"


# --- proposals -------------------------------------------------------------------------------------

def proposal_path(proposal: Proposal) -> str:
    """The proposal's stable page (DESIGN: /<slug>/proposals/<id>)."""
    return internal_path("proposals.show", committee=proposal.committee.slug, proposal_id=proposal.id)


def _proposal_facts(proposal: Proposal) -> list[str]:
    lines = [_("提案: %(title)s", title=proposal.title)]
    if proposal.number:
        lines.append(_("提案番号: %(number)s", number=proposal.number))
    lines += [
        _("会議体: %(name)s", name=proposal.committee.name),
        _("提案元: %(seat)s", seat=f"{proposal.submitting_body.name} {proposal.department}".strip()),
        _("詳細: %(url)s", url=absolute(proposal_path(proposal))),
    ]
    return lines


def proposal_notice(kind: NotificationKind, proposal: Proposal, *, reason: str = "",
                    item: AgendaItem | None = None) -> tuple[str, str]:
    """Subject and body of a return (差戻し, with the reason), acceptance (受理) or scheduling (議事に掲載)."""
    with force_locale("ja"):
        title = proposal.title
        if kind is NotificationKind.PROPOSAL_RETURNED:
            subject = _("【差戻し】提案「%(title)s」", title=title)
            intro = [_("提出された下記の提案が事務局から差し戻されました。理由をご確認のうえ、修正して再提出してください。"),
                     "", _("差戻しの理由:"), reason or proposal.return_reason]
        elif kind is NotificationKind.PROPOSAL_ACCEPTED:
            subject = _("【受理】提案「%(title)s」(%(number)s)", title=title, number=proposal.number or "")
            intro = [_("提出された下記の提案が事務局に受理されました。会議の議事に掲載されたら、改めてお知らせします。")]
        else:
            meeting = item.meeting
            subject = _("【議事に掲載】提案「%(title)s」: %(label)s", title=title, label=meeting_label(meeting))
            intro = [_("下記の提案が会議の議事に掲載されました。"), "",
                     _("会議: %(name)s", name=meeting_label(meeting)),
                     _("日時: %(when)s", when=_when(meeting)),
                     _("会議のページ: %(url)s", url=absolute(meeting_path(meeting)))]
        return subject, "\n".join([*intro, "", *_proposal_facts(proposal)])


# --- votes -----------------------------------------------------------------------------------------

def vote_path(vote: Vote) -> str:
    return internal_path("votes.show", committee=vote.committee.slug, vote_id=vote.id)


def _vote_facts(vote: Vote) -> list[str]:
    item = vote.agenda_item
    return [
        _("会議: %(name)s", name=meeting_label(item.meeting)),
        _("議事: %(title)s", title=item.title),
        _("表決の方法: %(method)s", method=label(vote.method) + (_("(無記名)") if vote.secret else "")),
    ]


def vote_result(vote: Vote) -> tuple[str, str]:
    """The stored result: outcome and, unless the vote was secret, the tallies; never a seat's choice."""
    with force_locale("ja"):
        outcome = label(vote.outcome)
        subject = _("【表決結果】%(title)s: %(outcome)s", title=vote.agenda_item.title, outcome=outcome)
        lines = [_("下記の表決の結果が確定しました。"), "", *_vote_facts(vote), _("結果: %(outcome)s", outcome=outcome)]
        if vote.casting_vote is not None:
            lines.append(_("可否同数のため、議長の裁決により決しました。"))
        lines.append(_("出席: %(present)d議席(議席数 %(entitled)d、定足数を%(met)s)", present=vote.present_count or 0,
                       entitled=vote.entitled_count, met=_("満たしています") if vote.quorum_met else _("満たしていません")))
        if vote.secret:
            lines.append(_("無記名の表決のため、賛否の内訳はこのお知らせに記載しません。"))
        else:
            lines.append(_("賛成 %(yes)d、反対 %(no)d、棄権 %(abstain)d、投票なし %(none)d", yes=vote.yes_count or 0,
                           no=vote.no_count or 0, abstain=vote.abstain_count or 0, none=vote.not_voting_count or 0))
        lines.append(_("詳細: %(url)s", url=absolute(vote_path(vote))))
        return subject, "\n".join(lines)


def _days_left(until: datetime, on: datetime) -> str:
    days = (to_tokyo(until).date() - to_tokyo(on).date()).days
    if days <= 0:
        return _("本日が締切です")
    if days == 1:
        return _("明日が締切です")
    return _("締切まであと%(days)d日です", days=days)


def vote_deadline_reminder(vote: Vote, due: datetime) -> tuple[str, str]:
    """書面表決 not yet answered by the recipient's seat."""
    with force_locale("ja"):
        deadline = format_datetime(vote.closes_at, wareki=True)
        subject = _("【書面表決のお願い】%(title)s(締切 %(deadline)s)", title=vote.agenda_item.title, deadline=deadline)
        intro = _("下記の書面表決に、あなたの議席はまだ回答していません。%(left)s(%(deadline)s)。"
                  "表決のページで賛成・反対・棄権のいずれかを選んでください。", left=_days_left(vote.closes_at, due),
                  deadline=deadline)
        lines = [intro, "", *_vote_facts(vote), _("回答: %(url)s", url=absolute(vote_path(vote)))]
        return subject, "\n".join(lines)


# --- minutes ---------------------------------------------------------------------------------------

def minutes_path(minutes: Minutes) -> str:
    """The meeting's minutes page (DESIGN: /<slug>/meetings/<id>/minutes)."""
    meeting = minutes.meeting
    return internal_path("minutes.show", committee=meeting.committee.slug, meeting_id=meeting.id)


def minutes_review_opened(minutes: Minutes) -> tuple[str, str]:
    with force_locale("ja"):
        label, deadline = meeting_label(minutes.meeting), format_datetime(minutes.review_deadline, wareki=True)
        subject = _("【議事録の確認依頼】%(label)s(期限 %(deadline)s)", label=label, deadline=deadline)
        lines = [
            _("下記の会議の議事録案ができました。%(deadline)sまでに内容をご確認のうえ、議事録のページで"
              "「異議なし」とするか、ご意見をお寄せください。", deadline=deadline), "",
            _("会議: %(name)s", name=label), _("確認の期限: %(deadline)s", deadline=deadline),
            _("議事録: %(url)s", url=absolute(minutes_path(minutes))),
        ]
        return subject, "\n".join(lines)


def minutes_review_reminder(minutes: Minutes, due: datetime) -> tuple[str, str]:
    with force_locale("ja"):
        label, deadline = meeting_label(minutes.meeting), format_datetime(minutes.review_deadline, wareki=True)
        subject = _("【議事録確認のお願い】%(label)s(期限 %(deadline)s)", label=label, deadline=deadline)
        lines = [
            _("下記の会議の議事録案の確認がまだ済んでいません。%(left)s(%(deadline)s)。",
              left=_days_left(minutes.review_deadline, due), deadline=deadline), "",
            _("会議: %(name)s", name=label), _("議事録: %(url)s", url=absolute(minutes_path(minutes))),
        ]
        return subject, "\n".join(lines)


def minutes_published(minutes: Minutes) -> tuple[str, str]:
    with force_locale("ja"):
        label = meeting_label(minutes.meeting)
        subject = _("【議事録公開】%(label)s", label=label)
        lines = [_("下記の会議の議事録が承認され、公開されました。"), "", _("会議: %(name)s", name=label),
                 _("議事録: %(url)s", url=absolute(minutes_path(minutes)))]
        return subject, "\n".join(lines)


def digest(day: datetime, items: list) -> tuple[str, str]:
    """One mail with the day's notices (subjects and links), for users who chose the daily digest."""
    with force_locale("ja"):
        subject = _("【まとめ】%(day)sまでのお知らせ(%(count)d件)", day=format_date(day, wareki=True), count=len(items))
        lines = [_("前回のまとめ以降のお知らせです。")]
        for item in items:
            lines += ["", f"■ {item.subject}", absolute(item.link) if item.link else ""]
        lines += ["", _("お知らせの一覧: %(url)s", url=urls.external_url("notifications.index"))]
        return subject, "\n".join(line for line in lines if line is not None)
