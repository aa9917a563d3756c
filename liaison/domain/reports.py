"""Reports across committees: what each policy item of 第6次広域計画 saw in a fiscal year."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, subqueryload

from ..dates import as_day, fiscal_year_label, iso_tokyo
from ..extensions import db
from ..labels import label, meeting_name
from ..models import AgendaItem, Committee, Meeting, PlanPolicy, Proposal, ProposalStatus
from . import proposal_permissions as proposal_access
from . import proposal_queries

# 第6次広域計画 runs from 令和6年度 to 令和10年度.
PLAN_YEARS = tuple(range(2024, 2029))


@dataclass
class PolicyLine:
    policy: PlanPolicy
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.proposals)


@dataclass
class AreaTotal:
    area: str
    policies: int = 0
    inactive: int = 0
    proposals: int = 0
    adopted: int = 0


@dataclass
class PlanReport:
    fiscal_year: int
    lines: list[PolicyLine]
    areas: list[AreaTotal]

    @property
    def total(self) -> int:
        return sum(area.proposals for area in self.areas)


def default_year(current: int) -> int:
    return min(max(current, PLAN_YEARS[0]), PLAN_YEARS[-1])


def plan_report(fiscal_year: int, user) -> PlanReport:
    """Per policy item, the year's submitted proposals that the user may open (proposal_permissions.can_view, as SQL).

    The secretariat sees every committee; a member sees the committees where they sit; drafts never
    submitted stay private.
    """
    policies = db.session.scalars(select(PlanPolicy).order_by(PlanPolicy.position)).all()
    proposals = db.session.scalars(
        select(Proposal)
        .join(Proposal.committee)
        .options(
            joinedload(Proposal.committee), joinedload(Proposal.submitting_body),
            # one query whatever the number of proposals (selectinload would batch them 500 at a time)
            subqueryload(Proposal.agenda_items).joinedload(AgendaItem.meeting).joinedload(Meeting.committee),
        )
        .where(Proposal.fiscal_year == fiscal_year, Proposal.submitted_at.is_not(None),
               proposal_queries.readable_condition(user))
        .order_by(Committee.position, Proposal.serial.is_(None), Proposal.serial, Proposal.id)
    ).all()
    lines = {policy.id: PolicyLine(policy) for policy in policies}
    for proposal in proposals:
        lines[proposal.plan_policy_id].proposals.append(proposal)
    areas: dict[str, AreaTotal] = {}
    for line in lines.values():
        total = areas.setdefault(line.policy.area, AreaTotal(line.policy.area))
        total.policies += 1
        total.inactive += not line.active
        total.proposals += len(line.proposals)
        total.adopted += sum(p.status is ProposalStatus.ADOPTED for p in line.proposals)
    return PlanReport(fiscal_year, list(lines.values()), list(areas.values()))


def decision_meeting(proposal: Proposal) -> Meeting | None:
    item = proposal_access.current_agenda_item(proposal)
    return item.meeting if item else None


def meeting_label(meeting: Meeting | None) -> str:
    return meeting_name(meeting) if meeting is not None else ""


def plan_report_table(report: PlanReport) -> tuple[list[str], list[list]]:
    """Header and rows of the report's CSV: one row per proposal (and one per policy item without activity)."""
    header = [_("年度"), _("分野"), _("施策コード"), _("施策"), _("会議"), _("提案番号"), _("件名"), _("提出団体"),
              _("状態"), _("審議した会議"), _("決定日")]
    rows: list[list] = []
    year = fiscal_year_label(report.fiscal_year)
    for line in report.lines:
        head = [year, line.policy.area, line.policy.code, line.policy.title]
        if not line.proposals:
            rows.append(head + ["", "", "", "", _("実績なし"), "", ""])
        for p in line.proposals:
            rows.append(head + [
                p.committee.name, p.number or "", p.title, p.seat_label, label(p.status),
                meeting_label(decision_meeting(p)), iso_tokyo(as_day(p.decided_at)) if p.decided_at else "",
            ])
    return header, rows
