"""All models, imported here so Alembic and the app see the whole schema."""
from .accounts import AccountToken, TokenPurpose
from .api_tokens import ApiToken, TokenScope
from .audit import AuditEvent
from .bodies import Body, BodyKind, PlanPolicy
from .committees import ROLE_ORDER, Committee, CommitteeKind, Membership, Role
from .meetings import (
    AgendaItem, AgendaKind, AgendaOutcome, Attachment, Attendance, AttendanceResponse, Meeting, MeetingFormat, MeetingStatus,
    SpeakerRequest,
)
from .notifications import (
    Delivery, Notification, NotificationKind, NotificationPreference, NotificationState, SchedulerLease,
)
from .pages import PageVersion
from .proposals import Proposal, ProposalComment, ProposalRevision, ProposalStatus
from .minutes import (
    FrozenMinutesError, Minutes, MinutesComment, MinutesReview, MinutesSigner, MinutesStatus, MinutesVersion,
)
from .users import User
from .votes import Ballot, Choice, ClosedVoteError, Majority, Vote, VoteMethod, VoteOutcome, VoteSeat, VoteState

__all__ = [
    "AccountToken",
    "TokenPurpose",
    "ApiToken",
    "TokenScope",
    "AgendaItem",
    "AgendaKind",
    "Attachment",
    "Attendance",
    "AttendanceResponse",
    "Meeting",
    "MeetingFormat",
    "MeetingStatus",
    "SpeakerRequest",
    "AuditEvent",
    "Body",
    "BodyKind",
    "Committee",
    "CommitteeKind",
    "Membership",
    "PlanPolicy",
    "ROLE_ORDER",
    "Role",
    "User",
    "FrozenMinutesError",
    "Minutes",
    "MinutesSigner",
    "MinutesComment",
    "MinutesReview",
    "MinutesStatus",
    "MinutesVersion",
    "AgendaOutcome",
    "Ballot",
    "Choice",
    "ClosedVoteError",
    "Majority",
    "Vote",
    "VoteMethod",
    "VoteOutcome",
    "VoteSeat",
    "VoteState",
    "Delivery",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "NotificationState",
    "SchedulerLease",
    "PageVersion",
    "Proposal",
    "ProposalComment",
    "ProposalRevision",
    "ProposalStatus",
]
