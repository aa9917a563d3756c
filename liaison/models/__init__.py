"""All models, imported here so Alembic and the app see the whole schema."""
from .audit import AuditEvent
from .bodies import Body, BodyKind, PlanPolicy
from .committees import ROLE_ORDER, Committee, CommitteeKind, Membership, Role
from .users import User

__all__ = [
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
]
