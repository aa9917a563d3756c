"""The benchmark's data set (bench/scale.py): its rows keep the rules the application keeps."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from liaison.domain import meetings as meeting_rules
from liaison.domain.proposals import proposal_number
from liaison.domain.votes import outcome_of, quorum_met
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AgendaKind, Attendance, Ballot, Committee, Meeting, MeetingStatus, Membership, Minutes, MinutesStatus,
    MinutesVersion, Notification, Proposal, ProposalRevision, ProposalStatus, Role, User, Vote, VoteOutcome, VoteSeat,
)
from bench.scale import Scale, ScaleError, generate


@pytest.fixture()
def scaled(ctx):
    result = generate(Scale.small().times(3))
    db.session.commit()
    return result


def test_every_held_meeting_has_minutes_and_every_announced_one_an_answer_per_seat(ctx, scaled):
    meetings = ctx.scalars(select(Meeting)).all()
    statuses = Counter(m.status for m in meetings)
    assert statuses[MeetingStatus.HELD] and statuses[MeetingStatus.CONVENED] and statuses[MeetingStatus.DRAFT]
    minutes = {m.meeting_id: m for m in ctx.scalars(select(Minutes))}
    seats = Counter((s.committee_id, s.fiscal_year) for s in ctx.scalars(select(Membership)))
    answers = Counter(a.meeting_id for a in ctx.scalars(select(Attendance)))
    for meeting in meetings:
        assert (meeting.id in minutes) == (meeting.status is MeetingStatus.HELD)
        if meeting.status in (MeetingStatus.HELD, MeetingStatus.CONVENED):
            assert answers[meeting.id] == seats[(meeting.committee_id, meeting.fiscal_year)]
        assert meeting_rules.meeting_name(meeting)  # numbering per committee and year
    versions = Counter(v.minutes_id for v in ctx.scalars(select(MinutesVersion)))
    assert all(versions[m.id] >= 1 for m in minutes.values())
    assert {m.status for m in minutes.values()} >= {MinutesStatus.DRAFT, MinutesStatus.PUBLISHED}
    by_year = {}  # 第1回, 第2回 … in date order, per committee and year
    for meeting in sorted(meetings, key=lambda m: m.starts_at):
        by_year.setdefault((meeting.committee_id, meeting.fiscal_year), []).append(meeting.number)
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_year.values())


def test_stored_tallies_are_the_ballots_counted_by_the_domains_rules(ctx, scaled):
    votes = ctx.scalars(select(Vote)).all()
    assert votes
    ballots = Counter((b.vote_id, b.choice.value if b.choice else None) for b in ctx.scalars(select(Ballot)))
    seats = Counter(s.vote_id for s in ctx.scalars(select(VoteSeat)))
    present = Counter(s.vote_id for s in ctx.scalars(select(VoteSeat).where(VoteSeat.present.is_(True))))
    for vote in votes:
        assert vote.entitled_count == seats[vote.id]
        assert vote.present_count == present[vote.id]
        if not vote.secret:
            assert (vote.yes_count, vote.no_count, vote.abstain_count) == (
                ballots[(vote.id, "yes")], ballots[(vote.id, "no")], ballots[(vote.id, "abstain")])
        met = quorum_met(vote.present_count, vote.entitled_count, vote.quorum_numerator, vote.quorum_denominator,
                         vote.quorum_at_least)
        assert vote.quorum_met == met
        expected = outcome_of(vote.yes_count, vote.no_count, vote.abstain_count, vote.majority, False) if met \
            else VoteOutcome.NO_QUORUM
        if expected is None:  # a tie, decided by the chair's casting vote
            assert vote.casting_vote is not None and vote.casting_by_id is not None
        else:
            assert vote.outcome is expected and vote.casting_vote is None
    # No ballot without its frozen seat, none for an observer.
    observers = select(Membership.id).where(Membership.role == Role.OBSERVER)
    assert not ctx.scalar(select(func.count()).select_from(VoteSeat).where(VoteSeat.membership_id.in_(observers)))


def test_proposals_in_every_state_numbered_like_the_application(ctx, scaled):
    proposals = ctx.scalars(select(Proposal)).all()
    assert {p.status for p in proposals} == set(ProposalStatus)
    committees = {c.id: c for c in ctx.scalars(select(Committee))}
    for proposal in proposals:
        if proposal.serial is not None:
            assert proposal.number == proposal_number(committees[proposal.committee_id], proposal.fiscal_year,
                                                      proposal.serial)
        assert (proposal.number is not None) == (proposal.accepted_at is not None)
    decided = {p.id for p in proposals if p.status in (ProposalStatus.ADOPTED, ProposalStatus.REJECTED)}
    on_items = dict(ctx.execute(select(AgendaItem.proposal_id, AgendaItem.outcome)
                                .where(AgendaItem.proposal_id.in_(decided))).all())
    assert all(on_items[pid].value == next(p.status.value for p in proposals if p.id == pid) for pid in decided)
    revisions = Counter(r.proposal_id for r in ctx.scalars(select(ProposalRevision)))
    assert all(revisions[p.id] >= 1 for p in proposals)


def test_new_rows_after_the_data_set_get_fresh_ids(ctx, scaled):
    """On PostgreSQL the generator wrote explicit ids: the sequences must have moved past them."""
    staff = ctx.scalar(select(User).where(User.email == "secretariat@example.jp"))
    council = ctx.scalar(select(Committee).where(Committee.slug == "council"))
    draft = ctx.scalars(select(Meeting).where(Meeting.committee_id == council.id,
                                              Meeting.status == MeetingStatus.DRAFT)).first()
    item = meeting_rules.add_agenda_item(draft, actor=staff, kind=AgendaKind.REPORT, title="追加の報告")
    ctx.commit()
    assert item.id > ctx.scalar(select(func.min(AgendaItem.id)))
    assert ctx.scalar(select(func.count()).select_from(Notification)) > 0


def test_the_generator_refuses_a_database_with_data(ctx, scaled):
    with pytest.raises(ScaleError):
        generate(Scale.small())


def test_the_cli_refuses_with_a_message(app, ctx, scaled):
    ctx.rollback()
    result = app.test_cli_runner().invoke(args=["seed", "--scale"])
    assert result.exit_code == 1
    assert "empty" in result.output or "freshly migrated" in result.output
