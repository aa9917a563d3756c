"""The API's request and response bodies (marshmallow), from which the OpenAPI description is built."""
from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from ..dates import to_tokyo
from ..domain.tasks import TaskKind
from ..models import (
    AgendaKind, AgendaOutcome, AttendanceResponse, Choice, MeetingFormat, MeetingStatus, MinutesStatus, ProposalStatus,
    Role, TokenScope, VoteMethod, VoteOutcome, VoteState,
)
from .core import FiscalYearSchema, PageArgs, page_schema


def _enum(enum_class, **kwargs):
    return f.String(validate=v.OneOf([m.value for m in enum_class]), **kwargs)


_LABELLED: dict = {}


def _labelled(enum_class, **kwargs):
    """An enum value with its label: {"value": "convened", "label": "招集済み"} (one schema per enum)."""
    if enum_class not in _LABELLED:
        _LABELLED[enum_class] = ma.Schema.from_dict(
            {"value": _enum(enum_class, required=True), "label": f.String(required=True)},
            name=f"{enum_class.__name__}Value")
    return f.Nested(_LABELLED[enum_class], **kwargs)


class BodySchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)


class CommitteeSchema(ma.Schema):
    id = f.Integer(required=True)
    slug = f.String(required=True)
    name = f.String(required=True)
    short_name = f.String(required=True)


class SeatSchema(ma.Schema):
    id = f.Integer(required=True)
    committee_id = f.Integer(required=True)
    fiscal_year = f.Nested(FiscalYearSchema, required=True)
    role = _labelled(Role, required=True)
    body = f.Nested(BodySchema, required=True)
    department = f.String(required=True)
    seat_label = f.String(required=True)
    user_name = f.String(required=True)
    has_vote = f.Boolean(required=True)


class MeSchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    email = f.String(required=True)
    staff = f.Boolean(required=True)
    token = f.Dict(required=True)
    seats = f.List(f.Nested(SeatSchema), required=True)


class YearArgs(ma.Schema):
    fiscal_year = f.Integer(validate=v.Range(min=2000, max=2100))


class CommitteeListSchema(ma.Schema):
    fiscal_year = f.Nested(FiscalYearSchema, required=True)
    items = f.List(f.Nested(CommitteeSchema), required=True)


class SeatListSchema(ma.Schema):
    committee = f.Nested(CommitteeSchema, required=True)
    fiscal_year = f.Nested(FiscalYearSchema, required=True)
    items = f.List(f.Nested(SeatSchema), required=True)


class MeetingSummarySchema(ma.Schema):
    id = f.Integer(required=True)
    committee = f.Nested(CommitteeSchema, required=True)
    fiscal_year = f.Nested(FiscalYearSchema, required=True)
    number = f.Integer(required=True)
    title = f.String(required=True)
    name = f.String(required=True)
    status = _labelled(MeetingStatus, required=True)
    format = _labelled(MeetingFormat, required=True)
    starts_at = f.DateTime(required=True)
    ends_at = f.DateTime(required=True)
    place = f.String(required=True)
    answer_deadline = f.DateTime(required=True)
    url = f.String(required=True)


MeetingPageSchema = page_schema(MeetingSummarySchema, "MeetingPage")


class UpcomingArgs(PageArgs):
    pass


class AttachmentSchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    content_type = f.String(required=True)
    size = f.Integer(required=True)
    sha256 = f.String(required=True)
    agenda_item_id = f.Integer(allow_none=True, required=True)
    uploaded_at = f.DateTime(required=True)
    download_url = f.String(required=True)


class AgendaItemSchema(ma.Schema):
    id = f.Integer(required=True)
    position = f.Integer(required=True)
    kind = _labelled(AgendaKind, required=True)
    title = f.String(required=True)
    presenter = f.String(allow_none=True, required=True)
    minutes_allotted = f.Integer(allow_none=True, required=True)
    proposal_id = f.Integer(allow_none=True, required=True)
    outcome = _labelled(AgendaOutcome, allow_none=True, required=True)
    decided_at = f.DateTime(allow_none=True, required=True)


class MyAnswerSchema(ma.Schema):
    membership_id = f.Integer(required=True)
    seat_label = f.String(required=True)
    response = _labelled(AttendanceResponse, allow_none=True, required=True)
    proxy_name = f.String(required=True)
    proxy_title = f.String(required=True)
    answered_at = f.DateTime(allow_none=True, required=True)
    can_answer = f.Boolean(required=True)


class TallySchema(ma.Schema):
    attend = f.Integer(required=True)
    proxy = f.Integer(required=True)
    absent = f.Integer(required=True)
    undecided = f.Integer(required=True)
    unanswered = f.Integer(required=True)
    seats = f.Integer(required=True)


class MeetingSchema(MeetingSummarySchema):
    online_url = f.String(required=True)
    notes = f.String(required=True)
    proposal_deadline = f.DateTime(allow_none=True, required=True)
    session_opened_at = f.DateTime(allow_none=True, required=True)
    session_closed_at = f.DateTime(allow_none=True, required=True)
    agenda = f.List(f.Nested(AgendaItemSchema), required=True)
    attachments = f.List(f.Nested(AttachmentSchema), required=True)
    attendance = f.Nested(TallySchema, required=True)
    my_answer = f.Nested(MyAnswerSchema, allow_none=True, required=True)


class AttendanceIn(ma.Schema):
    response = _enum(AttendanceResponse, required=True, metadata={"description": "attend / proxy / absent / undecided"})
    proxy_name = f.String(load_default="", validate=v.Length(max=100))
    proxy_title = f.String(load_default="", validate=v.Length(max=100))


class VoteSummarySchema(ma.Schema):
    id = f.Integer(required=True)
    agenda_item_id = f.Integer(required=True)
    state = _labelled(VoteState, required=True)
    method = _labelled(VoteMethod, required=True)
    secret = f.Boolean(required=True)
    opened_at = f.DateTime(required=True)
    closes_at = f.DateTime(allow_none=True, required=True)


class _Instant(f.DateTime):
    """A time of the live state (an ISO 8601 string from liaison.domain.live_state), given in Asia/Tokyo."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            value = to_tokyo(datetime.fromisoformat(value))
        return super()._serialize(value, attr, obj, **kwargs)


def _nullable_enum(enum_class, **kwargs):
    return f.String(validate=v.OneOf([m.value for m in enum_class] + [None]), allow_none=True, **kwargs)


class LiveDocumentSchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    url = f.String(required=True, metadata={"description": "the meeting page's download link (browser session)"})


class LiveMeetingSchema(ma.Schema):
    id = f.Integer(required=True)
    title = f.String(required=True)
    status = _enum(MeetingStatus, required=True)
    status_label = f.String(required=True)
    opened_at = _Instant(allow_none=True, required=True)
    closed_at = _Instant(allow_none=True, required=True)
    documents = f.List(f.Nested(LiveDocumentSchema), required=True, metadata={"description": "資料 of no item"})


class LiveQuorumSchema(ma.Schema):
    present = f.Integer(required=True)
    required = f.Integer(required=True)
    seats = f.Integer(required=True)
    reached = f.Boolean(required=True)


class LiveItemSchema(ma.Schema):
    id = f.Integer(required=True)
    position = f.Integer(required=True)
    title = f.String(required=True)
    kind = _enum(AgendaKind, required=True)
    kind_label = f.String(required=True)
    planned_minutes = f.Integer(allow_none=True, required=True)
    started_at = _Instant(allow_none=True, required=True)
    outcome = _nullable_enum(AgendaOutcome, required=True)
    outcome_label = f.String(allow_none=True, required=True)
    current = f.Boolean(required=True)
    documents = f.List(f.Nested(LiveDocumentSchema), required=True)


class LiveHandSchema(ma.Schema):
    id = f.Integer(required=True)
    membership_id = f.Integer(required=True)
    seat = f.String(required=True)
    name = f.String(required=True)
    raised_at = _Instant(required=True)


class LiveSpeakerSchema(ma.Schema):
    seat = f.String(required=True)
    name = f.String(required=True)
    called_at = _Instant(allow_none=True, required=True)


class LiveVoteResultSchema(ma.Schema):
    yes = f.Integer(allow_none=True, required=True)
    no = f.Integer(allow_none=True, required=True)
    abstain = f.Integer(allow_none=True, required=True)
    outcome = _nullable_enum(VoteOutcome, required=True)
    outcome_label = f.String(required=True)
    casting_vote = _nullable_enum(Choice, required=True)
    line = f.String(required=True, metadata={"description": "「賛成 12・反対 3・棄権 1 → 可決」"})


class LiveVoteSchema(ma.Schema):
    id = f.Integer(required=True)
    state = _enum(VoteState, required=True)
    state_label = f.String(required=True)
    method = _enum(VoteMethod, required=True)
    method_label = f.String(required=True)
    majority_label = f.String(required=True)
    secret = f.Boolean(required=True)
    cast_count = f.Integer(required=True, metadata={"description": "ballots cast so far (never how)"})
    present_count = f.Integer(required=True, metadata={"description": "seats present when the vote opened"})
    result = f.Nested(LiveVoteResultSchema, allow_none=True, required=True, metadata={"description": "once closed"})


class LiveMeSchema(ma.Schema):
    membership_id = f.Integer(required=True)
    seat = f.String(required=True)
    present = f.Boolean(required=True)
    hand_raised = f.Boolean(required=True)
    may_cast = f.Boolean(required=True)
    ballot = _nullable_enum(Choice, required=True)
    presides = f.Boolean(required=True)


class LiveSchema(ma.Schema):
    """The meeting day's live state: the same as the pages' live.json for the same user."""

    meeting = f.Nested(LiveMeetingSchema, required=True)
    version = f.Integer(required=True, metadata={"description": "raised by every change of the sitting"})
    in_session = f.Boolean(required=True)
    quorum = f.Nested(LiveQuorumSchema, required=True)
    current_item = f.Nested(LiveItemSchema, allow_none=True, required=True)
    items = f.List(f.Nested(LiveItemSchema), required=True)
    hands = f.List(f.Nested(LiveHandSchema), required=True, metadata={"description": "the raised hands in order"})
    hand_count = f.Integer(required=True)
    speakers = f.List(f.Nested(LiveSpeakerSchema), metadata={
        "description": "the current item's called speakers; only for who runs the meeting (secretariat, chair)"})
    vote = f.Nested(LiveVoteSchema, allow_none=True, required=True, metadata={"description": "the current item's vote"})
    me = f.Nested(LiveMeSchema, allow_none=True, required=True, metadata={"description": "my voting seat's part"})


class VoteTallySchema(ma.Schema):
    yes = f.Integer(required=True)
    no = f.Integer(required=True)
    abstain = f.Integer(required=True)
    present = f.Integer(allow_none=True, required=True)
    entitled = f.Integer(required=True)
    base = f.Integer(allow_none=True, required=True)
    quorum_met = f.Boolean(allow_none=True, required=True)
    outcome = _labelled(VoteOutcome, allow_none=True, required=True)


class BallotLineSchema(ma.Schema):
    membership_id = f.Integer(required=True)
    seat_label = f.String(required=True)
    choice = _labelled(Choice, allow_none=True, required=True)


class VoteSchema(VoteSummarySchema):
    meeting_id = f.Integer(required=True)
    majority = f.String(required=True)
    tally = f.Nested(VoteTallySchema, allow_none=True, required=True)
    ballots = f.List(f.Nested(BallotLineSchema), allow_none=True, required=True)
    my_seat = f.Integer(allow_none=True, required=True)
    my_choice = _labelled(Choice, allow_none=True, required=True)
    can_cast = f.Boolean(required=True)


class BallotIn(ma.Schema):
    choice = _enum(Choice, required=True)


class ProposalSummarySchema(ma.Schema):
    id = f.Integer(required=True)
    committee_id = f.Integer(required=True)
    number = f.String(allow_none=True, required=True)
    title = f.String(required=True)
    status = _labelled(ProposalStatus, required=True)
    body = f.Nested(BodySchema, required=True)
    department = f.String(required=True)
    fiscal_year = f.Nested(FiscalYearSchema, required=True)
    plan_policy_id = f.Integer(required=True)
    submitted_at = f.DateTime(allow_none=True, required=True)
    updated_at = f.DateTime(required=True)


ProposalPageSchema = page_schema(ProposalSummarySchema, "ProposalPage")


class ProposalArgs(PageArgs):
    status = _enum(ProposalStatus)
    body = f.Integer(validate=v.Range(min=1, max=2**31 - 1))
    policy = f.Integer(validate=v.Range(min=1, max=2**31 - 1))
    fy = f.Integer(validate=v.Range(min=2000, max=2100))
    q = f.String(validate=v.Length(max=100))


class RevisionSchema(ma.Schema):
    number = f.Integer(required=True)
    created_at = f.DateTime(required=True)
    title = f.String(required=True)
    summary = f.String(required=True)
    body = f.String(required=True)
    plan_policy_id = f.Integer(required=True)


class ProposalSchema(ProposalSummarySchema):
    summary = f.String(required=True)
    text = f.String(required=True, metadata={"description": "本文"})
    return_reason = f.String(required=True)
    desired_meeting_id = f.Integer(allow_none=True, required=True)
    revisions = f.List(f.Nested(RevisionSchema), required=True)
    can_edit = f.Boolean(required=True)


class ProposalIn(ma.Schema):
    title = f.String(required=True, validate=v.Length(min=1, max=200))
    summary = f.String(load_default="", validate=v.Length(max=2000))
    text = f.String(load_default="", validate=v.Length(max=20000), metadata={"description": "本文"})
    plan_policy_id = f.Integer(required=True, validate=v.Range(min=1, max=2**31 - 1))
    desired_meeting_id = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=1, max=2**31 - 1))
    submit = f.Boolean(load_default=False, metadata={"description": "保存して提出する"})


class ReviewSchema(ma.Schema):
    seat = f.Integer(allow_none=True, required=True)
    can_review = f.Boolean(required=True)
    reviewed = f.Boolean(required=True)
    round = f.Integer(required=True)
    deadline = f.DateTime(allow_none=True, required=True)


class MinutesSchema(ma.Schema):
    meeting_id = f.Integer(required=True)
    exists = f.Boolean(required=True)
    status = _labelled(MinutesStatus, allow_none=True, required=True)
    version = f.Integer(allow_none=True, required=True)
    published_version = f.Integer(allow_none=True, required=True)
    published_at = f.DateTime(allow_none=True, required=True)
    text = f.Dict(allow_none=True, required=True, metadata={"description": "節ごとの本文"})
    review = f.Nested(ReviewSchema, allow_none=True, required=True)


class CommentIn(ma.Schema):
    text = f.String(required=True, validate=v.Length(min=1, max=4000))
    agenda_item_id = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=1, max=2**31 - 1))


class CommentSchema(ma.Schema):
    id = f.Integer(required=True)
    text = f.String(required=True)
    at = f.DateTime(required=True)


class TaskSchema(ma.Schema):
    kind = _labelled(TaskKind, required=True)
    title = f.String(required=True)
    url = f.String(required=True)
    deadline = f.DateTime(allow_none=True, required=True)
    overdue = f.Boolean(required=True)


class TaskListSchema(ma.Schema):
    items = f.List(f.Nested(TaskSchema), required=True)


class TokenInfoSchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    scope = _labelled(TokenScope, required=True)
    expires_at = f.DateTime(required=True)
