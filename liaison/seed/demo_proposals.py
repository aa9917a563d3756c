"""The demo's proposals in every state, those its held meetings decided, and the minutes of those meetings."""
from __future__ import annotations

from sqlalchemy import select

from ..dates import TOKYO, current_fiscal_year
from ..extensions import db
from ..models import Committee, Membership, Role


# ------------------------------------------------------------------------------------------ proposals

DEMO_PROPOSALS = {
    # (status, policy, title, summary)
    "council": (
        ("submitted", "RES-2", "構成団体間の研修情報共有の様式統一について",
         "各団体が個別に作成している研修実績報告の様式を統一し、集計作業の負担を軽減する。"),
        ("returned", "REC-1", "合同就職説明会の共同開催について",
         "県内市町村の職員採用に関する合同説明会を年2回共同で開催する。"),
        ("accepted", "HRD-1", "新規採用職員研修の日程調整について",
         "新規採用職員研修の受講枠を団体規模に応じて配分する方法を見直す。"),
        ("draft", "EXC-3", "民間企業との相互派遣研修の検討について", "民間企業への短期派遣研修の試行を検討する。"),
    ),
    "planning": (
        ("submitted", "HRD-3", "デジタル人材育成のための共同研修の新設について",
         "各団体で不足しているデジタル人材の育成に向け、DX推進リーダー研修を共同で新設する。"),
        ("returned", "HRD-6", "リスキリング支援のためのオンライン講座の導入について",
         "職員が自律的に学び直せるよう、オンライン講座の共同契約を行う。"),
        ("accepted", "EXC-2", "専門職ネットワーク交流会の開催について",
         "保健師・土木技師等の専門職が団体を越えて情報交換できる交流会を開催する。"),
        ("on_agenda", "HRD-4", "政策形成研修における地域課題演習の拡充について",
         "政策形成研修に構成団体の実際の地域課題を題材とする演習を加える。"),
        ("withdrawn", "REC-2", "専門人材の共同採用試験の実施について",
         "土木・建築職の共同採用試験の実施を提案する(各団体の意向調査の結果を受け取下げ)。"),
        ("draft", "HRD-5", "女性職員のキャリア形成支援研修について", "管理職登用を見据えたキャリア形成研修を検討する。"),
    ),
    "municipal-training": (
        ("submitted", "HRD-2", "若手職員向け課題解決ワークショップの実施について",
         "入庁3〜5年目の職員を対象に、他団体職員と課題解決に取り組むワークショップを実施する。"),
        ("on_agenda", "EXC-1", "市町村合同研修の会場輪番制について", "合同研修の会場を構成市町村の輪番とし、移動負担を平準化する。"),
        ("withdrawn", "HRD-1", "接遇研修の内容見直しについて", "接遇研修の内容を窓口対応の実態に合わせて見直す。"),
    ),
    "prefectural-training": (
        ("submitted", "HRD-3", "県職員向け生成AI活用研修の実施について", "生成AIの業務活用に関する研修を全部局向けに実施する。"),
        ("returned", "HRD-5", "部局横断チームによる研修企画について", "部局横断のチームで研修テーマを企画する仕組みを設ける。"),
    ),
}
DEMO_DECIDED = {
    # Decided at the committee's last held meeting (可決 / 否決 / 継続審議).
    "council": (("adopted", "RES-1", "人材開発に関する共同調査の実施について", "構成団体の研修ニーズ調査を共同で実施する。"),),
    "planning": (
        ("adopted", "HRD-3", "DX推進リーダー養成研修の試行について", "DX推進リーダー養成研修を令和期の新規事業として試行する。"),
        ("rejected", "EXC-3", "民間企業派遣研修の全団体必須化について", "民間企業派遣研修をすべての構成団体の必須研修とする。"),
        ("continued", "HRD-6", "職員の学び直し休暇制度の共同研究について", "自己啓発等休業制度の運用を共同で研究する。"),
    ),
    "municipal-training": (("adopted", "HRD-4", "地域課題解決型研修の共同実施について", "市町村の地域課題を題材にした研修を共同で実施する。"),),
    "prefectural-training": (("continued", "HRD-2", "県職員の越境学習プログラムについて", "県職員が市町村や民間で学ぶ越境学習を検討する。"),),
}
DEMO_BODY = (
    "## 提案の背景\n\n第6次広域計画の推進に向け、構成団体からの要望を踏まえて提案します。\n\n"
    "## 内容\n\n- 対象: 構成団体の職員\n- 実施時期: 次年度上半期\n- 費用: 広域連合の研修費で負担\n\n"
    "## 期待される効果\n\n団体の規模にかかわらず、職員が同じ水準の研修を受けられるようになります。"
)


def _demo_seats(committee: Committee) -> list[Membership]:
    from ..domain.memberships import seats

    return seats(committee, current_fiscal_year(), include_observers=False)


def _demo_proposal(committee, seat, status, policy_code, title, summary, *, secretariat, meeting=None, now=None,
                   kind=None):
    """One proposal walked through the domain functions to `status`, with a revision and a comment or two."""
    from ..domain import proposals as proposal_rules
    from ..models import PlanPolicy

    policy = db.session.scalar(select(PlanPolicy).where(PlanPolicy.code == policy_code))
    author = seat.user
    proposal = proposal_rules.create_draft(committee, actor=author, title=title, summary=summary, body=DEMO_BODY,
                                           plan_policy=policy, now=now)
    if status == "draft":
        return proposal
    # Every proposal beyond the draft was revised once before it went in.
    proposal_rules.update(proposal, actor=author, title=title, summary=summary + "(所要経費の見込みを追記)",
                          body=DEMO_BODY + "\n\n## 所要経費\n\n約120万円(講師謝金・会場費)", plan_policy=policy, now=now)
    proposal_rules.submit(proposal, actor=author, now=now)
    if status == "withdrawn":
        proposal_rules.withdraw(proposal, actor=author, reason="各団体の意向調査の結果を受けて")
        return proposal
    others = [s for s in _demo_seats(committee) if s.user_id != author.id]
    if others:
        proposal_rules.add_comment(proposal, actor=others[0].user, text="趣旨に賛成です。実施時期について調整をお願いします。", now=now)
    if status == "submitted":
        return proposal
    proposal_rules.return_to_submitter(
        proposal, actor=secretariat, now=now,
        reason="所要経費の積算根拠と、既存の研修との違いを本文に追記のうえ再提出してください。",
    )
    if status == "returned":
        return proposal
    proposal_rules.update(proposal, actor=author, title=title, summary=proposal.summary,
                          body=proposal.body + "\n\n## 既存研修との違い\n\n実務演習を中心とし、団体横断の班編成とします。",
                          plan_policy=policy, now=now)
    proposal_rules.submit(proposal, actor=author, now=now)
    proposal_rules.accept(proposal, actor=secretariat, now=now)
    proposal_rules.add_comment(proposal, actor=secretariat, text="受理しました。次回の会議で協議予定です。", now=now)
    if status == "accepted" or meeting is None:
        return proposal
    proposal_rules.schedule(proposal, meeting, actor=secretariat, now=now, kind=kind)
    return proposal


def decided_demo_proposals(meeting, users: dict) -> None:
    """Called at a past demo meeting (convened, presence recorded): proposals go on its agenda and the
    meeting decides them through the votes domain (可決 / 否決 by show of hands, 継続審議 deferred)."""
    from datetime import timedelta

    from ..domain import proposals as proposal_rules
    from ..domain import meetings as meeting_rules
    from ..domain import votes as vote_rules
    from ..models import AgendaKind, Attendance, Choice, Majority, VoteMethod

    committee, staff = meeting.committee, users["secretariat"]
    seats = _demo_seats(committee)
    if not seats:
        return
    present = set(db.session.scalars(
        select(Attendance.membership_id).where(Attendance.meeting_id == meeting.id, Attendance.present.is_(True))
    ))
    scheduled = []
    for index, (status, policy, title, summary) in enumerate(DEMO_DECIDED.get(committee.slug, ())):
        kind = AgendaKind.DISCUSSION if status == "continued" else AgendaKind.RESOLUTION
        proposal = _demo_proposal(committee, seats[(index * 3 + 2) % len(seats)], status, policy, title, summary,
                                  secretariat=staff, meeting=meeting, now=meeting.starts_at - timedelta(days=20),
                                  kind=kind)
        scheduled.append((status, proposal))
    # 開会: the items are decided at the sitting, by the seats checked in.
    meeting_rules.open_session(meeting, actor=staff, now=meeting.starts_at)
    for status, proposal in scheduled:
        item = proposal_rules.current_agenda_item(proposal)
        if status == "continued":
            vote_rules.defer_item(item, actor=staff, now=meeting.ends_at)
            continue
        vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE,
                                    now=meeting.starts_at)
        choice = Choice.YES if status == "adopted" else Choice.NO
        vote_rules.record_ballots(vote, {line.membership.id: choice for line in vote_rules.seat_lines(vote)
                                         if line.membership.id in present
                                         and not vote_rules.presides_without_vote(vote, line.membership.id)},
                              actor=staff, now=meeting.starts_at)
        vote_rules.close_vote(vote, actor=staff, now=meeting.ends_at)


def seed_demo_proposals(users: dict) -> None:
    """Proposals in every state in each committee; committees that already have open proposals are left alone."""
    from datetime import timedelta

    from ..dates import utcnow
    from ..models import Meeting, MeetingStatus, Proposal, ProposalStatus

    for committee in db.session.scalars(select(Committee).order_by(Committee.position)):
        open_states = [s for s in ProposalStatus if s not in (ProposalStatus.ADOPTED, ProposalStatus.REJECTED,
                                                               ProposalStatus.CONTINUED)]
        if db.session.scalar(select(Proposal.id).where(Proposal.committee_id == committee.id,
                                                       Proposal.status.in_(open_states)).limit(1)):
            continue
        seats = _demo_seats(committee)
        upcoming = db.session.scalar(  # not today's 企画運営部会 (demo_meeting_today): its agenda is its own
            select(Meeting).where(Meeting.committee_id == committee.id, Meeting.status == MeetingStatus.CONVENED,
                                  Meeting.starts_at > utcnow() + timedelta(days=1))
            .order_by(Meeting.starts_at).limit(1)
        )
        for index, (status, policy, title, summary) in enumerate(DEMO_PROPOSALS.get(committee.slug, ())):
            _demo_proposal(committee, seats[index % len(seats)], status, policy, title, summary,
                           secretariat=users["secretariat"], meeting=upcoming)
# -------------------------------------------------------------------------------------------- minutes

def _demo_minutes_texts(facts: dict) -> dict:
    """What a secretariat writes: the opening, a line or two per item, the closing."""
    from ..domain import minutes as minutes_rules

    chair = next((p for p in facts["attendance"]["present"] if p["role"] in ("議長", "部会長")), None)
    opening = (f"{chair['role']}({chair['seat']} {chair['name']})が開会を宣言し、" if chair else "事務局が開会を宣言し、")
    texts = {minutes_rules.OPENING: opening + "出席委員が定足数を満たしていることを確認して議事に入った。"}
    for item in facts["items"]:
        lines = [f"{item['presenter']}から、資料に基づき説明があった。"]
        if item["kind"] == "協議事項":
            lines.append("- 委員から、各団体の実情に合わせた運用を求める意見があった。\n- 事務局から、次回までに具体案を示すと回答した。")
        elif item["kind"] == "議決事項":
            lines.append("質疑の後、採決を行った。")
        else:
            lines.append("質疑はなく、報告のとおり了承された。")
        texts[minutes_rules.item_key(item["id"])] = "\n\n".join(lines)
    texts[minutes_rules.CLOSING] = "次回の日程は事務局から追って連絡することとし、閉会した。"
    return texts


def seed_demo_minutes(users: dict) -> None:
    """Published minutes for every held meeting, except the 企画運営部会's latest, which is in review,
    and the 県職員研修部会's latest, whose minutes the secretariat has not drafted yet.

    Meetings that already have minutes are left alone (idempotent).
    """
    from datetime import timedelta

    from ..dates import utcnow
    from ..domain import meetings as meeting_rules
    from ..domain import minutes as minutes_rules
    from ..models import Meeting, MeetingStatus, Minutes

    actor = users["secretariat"]
    held = list(db.session.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.HELD).order_by(Meeting.starts_at, Meeting.id)
    ))
    planning_latest = max((m for m in held if m.committee.slug == "planning"), key=lambda m: m.starts_at, default=None)
    not_drafted = max((m for m in held if m.committee.slug == "prefectural-training"), key=lambda m: m.starts_at, default=None)
    for meeting in held:
        if meeting is not_drafted or db.session.scalar(select(Minutes.id).where(Minutes.meeting_id == meeting.id)):
            continue
        minutes = minutes_rules.create(meeting, actor=actor)
        minutes_rules.save_text(minutes, actor=actor, texts=_demo_minutes_texts(minutes_rules.latest_version(minutes).facts))
        seats = meeting_rules.voting_seats(meeting)
        if meeting is planning_latest:
            due = (utcnow() + timedelta(days=7)).astimezone(TOKYO)
            minutes_rules.open_review(minutes, actor=actor, deadline=due.replace(hour=17, minute=0, second=0, microsecond=0),
                                      now=utcnow() - timedelta(days=1))
            for seat in seats[: len(seats) // 2]:
                minutes_rules.mark_no_objection(minutes, actor=seat.user)
            item = minutes_rules.latest_version(minutes).facts["items"][-1]
            minutes_rules.add_comment(minutes, actor=seats[-1].user, agenda_item_id=item["id"],
                                      text="採決の結果に賛成・反対の数も記載してはいかがでしょうか。")
            continue
        reviewed_at = meeting.ends_at + timedelta(days=3)
        minutes_rules.open_review(minutes, actor=actor, deadline=reviewed_at + timedelta(days=7), now=reviewed_at)
        for seat in seats:
            minutes_rules.mark_no_objection(minutes, actor=seat.user, now=reviewed_at + timedelta(days=2))
        chair = next(seat.user for seat in seats if seat.role is Role.CHAIR)
        minutes_rules.approve(minutes, actor=chair, now=reviewed_at + timedelta(days=8))
        minutes_rules.publish(minutes, actor=actor, now=reviewed_at + timedelta(days=9))
    db.session.flush()
