"""Minutes (議事録), who may do what: the secretariat manages, the committee's seats review, the chair (or the
vice chair) approves, everyone logged in reads the published version; and which version each one reads.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..labels import meeting_name
from ..models import Meeting, Membership, Minutes, MinutesReview, MinutesStatus, MinutesVersion, Role
from . import access
from . import meetings as meeting_rules


# ---------------------------------------------------------------------------------------- permissions

def can_manage(user) -> bool:
    """The secretariat (and administrators) draft, edit, open review and publish."""
    return access.is_staff(user)


def _committee_member(user, minutes: Minutes) -> bool:
    meeting = minutes.meeting
    return (
        access.membership_in(user, meeting.committee, meeting.fiscal_year) is not None
        or access.membership_in(user, meeting.committee) is not None
    )


def reviewer_seat(user, minutes: Minutes) -> Membership | None:
    """The user's voting seat among the meeting's seats (those who review its minutes)."""
    if not getattr(user, "is_authenticated", False):
        return None
    meeting = minutes.meeting
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    return seat if seat is not None and seat.has_vote else None


def published_version(minutes: Minutes | None) -> MinutesVersion | None:
    if minutes is None or minutes.published_version is None:
        return None
    return next((v for v in minutes.versions if v.number == minutes.published_version), None)


def latest_version(minutes: Minutes) -> MinutesVersion:
    return minutes.versions[-1]


def latest_approved_version(minutes: Minutes) -> MinutesVersion | None:
    return next((v for v in reversed(minutes.versions) if v.approved_at is not None), None)


def visible_version(user, minutes: Minutes) -> MinutesVersion | None:
    """The version this user reads on the minutes page (None: nothing for them yet)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if can_manage(user):
        return latest_version(minutes)
    if minutes.status is not MinutesStatus.DRAFT and _committee_member(user, minutes):
        return latest_version(minutes)
    return published_version(minutes)


def has_reviewed(minutes: Minutes, user_id: int) -> bool:
    """The user's seat gave 異議なし on the version now under review (the latest one)."""
    latest = (select(MinutesVersion.id).where(MinutesVersion.minutes_id == minutes.id)
              .order_by(MinutesVersion.number.desc()).limit(1).scalar_subquery())
    return db.session.scalar(
        select(MinutesReview.id).join(Membership, Membership.id == MinutesReview.membership_id)
        .where(MinutesReview.version_id == latest, Membership.user_id == user_id).limit(1)
    ) is not None


def can_see(user, meeting: Meeting, minutes: Minutes | None) -> bool:
    """The minutes pages of a meeting: who may see the meeting, and anyone with a version to read
    (the published one for the whole union; last year's members for the meetings they sat in)."""
    if meeting_rules.can_view(user, meeting):
        return True
    return minutes is not None and visible_version(user, minutes) is not None


def can_view_versions(user, minutes: Minutes) -> bool:
    """Version history and diffs: the secretariat, and the committee once review has been opened."""
    return can_manage(user) or (minutes.review_opened_at is not None and _committee_member(user, minutes))


def can_read_version(user, minutes: Minutes, version: MinutesVersion) -> bool:
    """The published version: everyone logged in. Members: approved versions, and the whole history
    while the minutes are out of the secretariat's draft. The secretariat: everything."""
    if can_manage(user):
        return True
    if version.number == minutes.published_version:
        return bool(getattr(user, "is_authenticated", False))
    if not can_view_versions(user, minutes):
        return False
    return version.approved_at is not None or minutes.status is not MinutesStatus.DRAFT


def can_review(user, minutes: Minutes) -> bool:
    return minutes.status is MinutesStatus.IN_REVIEW and reviewer_seat(user, minutes) is not None


def can_approve(user, minutes: Minutes) -> bool:
    """The chair (議長・部会長) approves; the vice chair stands in. Of the meeting's year or the current one."""
    if minutes.status is not MinutesStatus.IN_REVIEW:
        return False
    return _chair_seat(user, minutes) is not None


def _chair_seat(user, minutes: Minutes) -> Membership | None:
    meeting = minutes.meeting
    for fiscal_year in (meeting.fiscal_year, None):
        seat = access.membership_in(user, meeting.committee, fiscal_year)
        if seat is not None and seat.role in (Role.CHAIR, Role.VICE_CHAIR):
            return seat
    return None


def can_publish(user, minutes: Minutes) -> bool:
    return can_manage(user) and minutes.status is MinutesStatus.APPROVED



def _label(minutes: Minutes) -> str:
    return _("%(name)s 議事録", name=meeting_name(minutes.meeting))

