"""Query budget: every page runs the same small number of queries on a small and a 10× larger data set.

The data sets come from the benchmark's generator (bench/scale.py): `Scale.small()` and
`Scale.small().times(10)` (ten times the meetings, agenda items, proposals and seats). Each page is
requested as the user who sees the most on it. A new GET route must be added to PAGES (or, with a
reason, to NOT_PAGES), so no page escapes the budget.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from liaison.calendar.tokens import feed_token
from liaison.dates import current_fiscal_year, utcnow
from liaison.domain import accounts, live
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Attachment, Committee, Meeting, MeetingStatus, Minutes, MinutesStatus, Proposal, ProposalComment, ProposalStatus, Role,
    Membership, TokenPurpose, User, Vote,
)
from bench.scale import Scale, generate

from ..conftest import _clean

BUDGET = 10
PASSWORD = "liaison-demo"

# Routes that are not pages: files served as stored, and the static assets.
NOT_PAGES = {
    "static": "static files, no database",
    "admin.index": "a redirect to /admin/users",
    "health.readyz": "a monitoring probe answering 503 while the outbox is stuck (a fixed 3 queries: "
                     "tests/web/test_sender_status.py)",
    "committees.fiscal_year_archive": "a ZIP of a whole fiscal year (PDF/A of every notice and minutes): its queries "
                                      "grow with the year's meetings; tested in tests/web/test_official_documents.py",
    "meetings.download": "an uploaded file streamed from disk (the data set has no files)",
    "proposals.download": "an uploaded file streamed from disk (the data set has no files)",
    "sitting.screen_material": "the presented 資料 streamed for the screen (the data set presents none; "
                               "tests/web/test_sitting_materials.py)",
    "api_pages.unknown": "the JSON API's 404 problem for a path it does not have",
    # The JSON API authenticates by token, never by the log-in cookie: its own budget, same data sets and rule,
    # in tests/api/test_api_query_budget.py (which also checks that every API GET is listed there).
    **{f"api.{name}": "JSON API: budget in tests/api/test_api_query_budget.py" for name in (
        "me", "committees", "seats", "upcoming", "committee_meetings", "meeting", "live", "vote", "proposals",
        "proposal", "minutes", "tasks")},
    "sitting.events": "a Server-Sent Events stream (one small read per new version, no connection held while waiting; "
                      "tests/web/test_sitting.py)",
}

# endpoint: (who, path template). Templates are filled from ids() below.
PAGES = {
    "auth.login": (None, "/login"),
    "health.healthz": (None, "/healthz"),
    "calendar.feed": (None, "/calendar/{token}.ics"),
    "dashboard.index": ("member", "/"),
    "auth.account": ("member", "/account"),
    "auth.forgot_password": (None, "/password/forgot"),
    "auth.set_password": (None, "/password/set/{reset_link}"),
    "auth.confirm_email": ("member", "/account/email/{email_link}"),
    "notifications.index": ("member", "/notifications/"),
    "notifications.settings": ("member", "/notifications/settings"),
    "committees.show": ("secretariat", "/council/"),
    "calendar_committee.committee_feed": ("member", "/council/calendar.ics"),
    "calendar_committee.meeting_ics": ("member", "/council/meetings/{held}.ics"),
    "meetings.index": ("secretariat", "/council/meetings/"),
    "meetings.new": ("secretariat", "/council/meetings/new"),
    "meetings.show": ("secretariat", "/council/meetings/{held}"),
    "meetings.notice": ("member", "/council/meetings/{convened}/notice"),
    "meetings.notice_pdf": ("member", "/council/meetings/{convened}/notice.pdf"),
    "meetings.notice_docx": ("member", "/council/meetings/{convened}/notice.docx"),
    "meetings.attendance": ("secretariat", "/council/meetings/{held}/attendance"),
    "meetings.edit": ("secretariat", "/council/meetings/{draft}/edit"),
    "meetings.add_item": ("secretariat", "/council/meetings/{draft}/agenda/new"),
    "meetings.edit_item": ("secretariat", "/council/meetings/{draft}/agenda/{draft_item}/edit"),
    "meetings.cancel": ("secretariat", "/council/meetings/{convened}/cancel"),
    "meetings.postpone": ("secretariat", "/council/meetings/{convened}/postpone"),
    "meeting_reminders.meeting_reminders": ("secretariat", "/council/meetings/{convened}/reminders"),
    "votes.panel": ("secretariat", "/council/meetings/{held}/items/{voted_item}/vote"),
    "votes.index": ("secretariat", "/council/votes/"),
    "votes.show": ("member", "/council/votes/{vote}"),
    "votes.ballots_csv": ("secretariat", "/council/votes/{vote}/ballots.csv"),
    "votes.decisions_csv": ("secretariat", "/council/votes/decisions.csv"),
    "votes.quorum": ("admin", "/council/votes/quorum"),
    "meetings.document_prefix": ("admin", "/council/meetings/document-prefix"),
    "meetings.view_material": ("member", "/council/meetings/{held}/materials/{material}/view"),
    "minutes.show": ("member", "/council/meetings/{published}/minutes"),
    "minutes.edit": ("secretariat", "/council/meetings/{draft_minutes}/minutes/edit"),
    "minutes.versions": ("secretariat", "/council/meetings/{published}/minutes/versions"),
    "minutes.version": ("secretariat", "/council/meetings/{published}/minutes/versions/1"),
    "minutes.diff": ("secretariat", "/council/meetings/{published}/minutes/diff"),
    "minutes.docx": ("member", "/council/meetings/{published}/minutes.docx"),
    "minutes.pdf": ("member", "/council/meetings/{published}/minutes.pdf"),
    "minutes.pdfa": ("member", "/council/meetings/{published}/minutes-pdfa.pdf"),
    "minutes_archive.index": ("member", "/minutes/?q=研修"),
    "proposals.index": ("member", "/council/proposals/?q=研修&status=adopted"),
    "proposals.new": ("member", "/council/proposals/new"),
    "proposals.show": ("member", "/council/proposals/{proposal}"),
    "proposals.revisions": ("member", "/council/proposals/{proposal}/revisions"),
    "proposals.edit": ("author", "/council/proposals/{draft_proposal}/edit"),
    "proposals.edit_comment": ("commenter", "/council/proposals/{proposal}/comments/{comment}/edit"),
    "reports.plan": ("secretariat", "/reports/plan"),
    "reports.plan_csv": ("secretariat", "/reports/plan.csv"),
    "admin.users": ("admin", "/admin/users"),
    "admin.new_user": ("admin", "/admin/users/new"),
    "admin.edit_user": ("admin", "/admin/users/{member_id}"),
    "admin.memberships": ("admin", "/admin/memberships?committee=council"),
    "admin.handover": ("admin", "/admin/handover"),
    "admin.rollover_page": ("admin", "/admin/rollover"),
    "admin.rollover_example": ("admin", "/admin/rollover/example.csv"),
    "admin.audit_log": ("admin", "/admin/audit"),
    "admin.audit_csv": ("admin", "/admin/audit.csv?committee=council&from=2024-04-01"),
    "notification_admin.outbox": ("admin", "/admin/notifications/?state=all"),
    "notification_admin.reminders": ("admin", "/admin/notifications/reminders"),
    "admin.public_settings": ("admin", "/admin/public"),
    "sitting.console": ("secretariat", "/council/meetings/{held}/console"),
    "sitting.live": ("member", "/council/meetings/{held}/live"),
    "sitting.live_json": ("member", "/council/meetings/{held}/live.json"),
    "sitting.screen": (None, "/council/meetings/{held}/screen?k={screen_key}"),
    # The public 会議録 pages (anonymous; _ids makes the council public).
    "public.index": (None, "/public/?q=研修&committee=council"),
    "public.committee": (None, "/public/council/?year={public_year}"),
    "public.minutes": (None, "/public/minutes/{public_minutes}"),
    "public.minutes_pdf": (None, "/public/minutes/{public_minutes}.pdf"),
    "public.feed": (None, "/public/feed.atom"),
    # The JSON API's description and its reference page (public, no query).
    "api-docs.openapi_json": (None, "/api/v1/openapi.json"),
    "api_pages.reference": (None, "/api/v1/"),
}
# A few pages seen by a second kind of user too (the member's and the secretariat's views differ).
SECOND_VIEWS = [
    ("secretariat", "/"),
    ("member", "/council/meetings/{held}"),
    ("member", "/council/meetings/{convened}"),
    ("secretariat", "/council/proposals/{proposal}"),
    ("secretariat", "/council/proposals/?fy={year}"),
    ("secretariat", "/council/meetings/{published}/minutes"),
]


def test_every_page_is_in_the_budget_list(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = endpoints - set(PAGES) - set(NOT_PAGES)
    assert not missing, f"add these pages to PAGES in {__name__}: {sorted(missing)}"
    assert not (set(PAGES) - endpoints), "PAGES names endpoints that no longer exist"


def _ids(app, client) -> tuple[dict, dict]:
    """Path parameters and the logins of the users who view the pages, from the generated data."""
    with app.app_context():
        council_meetings = select(Meeting).join(Meeting.committee).where(Meeting.committee.has(slug="council"))
        newest = Meeting.starts_at.desc()
        held = db.session.scalars(council_meetings.where(Meeting.status == MeetingStatus.HELD).order_by(newest)).all()
        largest = held[0]  # the generator gives the latest held meeting the longest agenda
        assert len(largest.agenda_items) == max(len(m.agenda_items) for m in held)
        convened = db.session.scalars(council_meetings.where(Meeting.status == MeetingStatus.CONVENED)
                                      .order_by(Meeting.starts_at)).first()
        draft = db.session.scalars(council_meetings.where(Meeting.status == MeetingStatus.DRAFT)
                                   .order_by(Meeting.starts_at)).first()
        vote = db.session.scalars(select(Vote).join(AgendaItem).where(AgendaItem.meeting_id == largest.id,
                                                                    Vote.secret.is_(False)).order_by(Vote.id)).first()
        # Last year's published minutes (whatever the date, both data sets have them, seen by the same member).
        minutes = {status: db.session.scalars(
            select(Minutes).join(Meeting).where(Meeting.committee.has(slug="council"), Minutes.status == status,
                                                Meeting.fiscal_year <= current_fiscal_year() - (status is MinutesStatus.PUBLISHED))
            .order_by(newest)).first() for status in (MinutesStatus.PUBLISHED, MinutesStatus.DRAFT)}
        proposal = db.session.scalars(select(Proposal).where(Proposal.committee.has(slug="council"),
                                                             Proposal.status == ProposalStatus.ADOPTED)
                                      .order_by(Proposal.id.desc())).first()
        draft_proposal = db.session.scalars(select(Proposal).where(Proposal.committee.has(slug="council"),
                                                                   Proposal.status == ProposalStatus.DRAFT,
                                                                   Proposal.fiscal_year == largest.fiscal_year)
                                            .order_by(Proposal.id)).first()
        member_seat = db.session.scalars(select(Membership).where(
            Membership.committee.has(slug="council"), Membership.fiscal_year == largest.fiscal_year,
            Membership.role == Role.MEMBER).order_by(Membership.id)).first()
        author_seat = db.session.scalars(select(Membership).where(
            Membership.committee_id == draft_proposal.committee_id, Membership.fiscal_year == largest.fiscal_year,
            Membership.body_id == draft_proposal.body_id, Membership.department == draft_proposal.department)).first()
        member = member_seat.user
        # A fresh comment by the member, editable for a while: the comment edit form needs one.
        comment = ProposalComment(proposal_id=proposal.id, author_id=member.id, text="確認しました。", created_at=utcnow())
        db.session.add(comment)
        # A 資料 (PDF) of the largest meeting's first item: the viewer page needs one (the data set has no files).
        material = Attachment(meeting_id=largest.id, agenda_item_id=largest.agenda_items[0].id, original_name="資料.pdf",
                              stored_name="budget-material", content_type="application/pdf", size=8, sha256="0" * 64,
                              content=b"%PDF-1.4")
        db.session.add(material)
        reset = accounts.issue(member, TokenPurpose.PASSWORD_RESET, actor=None)
        email_change = accounts.request_email_change(member, "new-address@example.jp")
        # The public pages show the council's published minutes (tests/web/test_public.py resets this flag).
        db.session.execute(update(Committee).where(Committee.slug == "council").values(public_minutes=True))
        db.session.commit()
        links = {"reset_link": accounts.link_secret(reset), "email_link": accounts.link_secret(email_change)}
        emails = {"member": member.email, "secretariat": "secretariat@example.jp", "admin": "admin@example.jp",
                  "author": author_seat.user.email, "commenter": member.email}
        params = {
            "held": largest.id, "convened": convened.id, "draft": draft.id,
            "draft_item": draft.agenda_items[0].id, "voted_item": vote.agenda_item_id, "vote": vote.id,
            "material": material.id,
            "published": minutes[MinutesStatus.PUBLISHED].meeting_id,
            "draft_minutes": minutes[MinutesStatus.DRAFT].meeting_id,
            "proposal": proposal.id, "draft_proposal": draft_proposal.id, "comment": comment.id,
            "member_id": member.id, "token": feed_token(member), "year": largest.fiscal_year,
            "public_minutes": minutes[MinutesStatus.PUBLISHED].id,
            "public_year": minutes[MinutesStatus.PUBLISHED].meeting.fiscal_year,
            "screen_key": live.screen_token(largest, app.config["SECRET_KEY"]),
            **links,
        }
        assert len(largest.agenda_items) >= 2 and convened.starts_at > utcnow() - timedelta(days=1)
    return params, emails


def _measure(app, client, login, count_queries) -> dict[str, list[str]]:
    """The SQL statements each page runs, by viewer and path template."""
    params, emails = _ids(app, client)
    views = [(who, path) for who, path in PAGES.values()] + SECOND_VIEWS
    counts, failures = {}, []
    current = "nobody"
    for who, template in sorted(views, key=lambda view: view[0] or ""):
        if who != current:
            client = app.test_client()  # a new browser for each user
            if who is not None:
                login(client, emails[who], PASSWORD)
            current = who
        path = template.format(**params)
        client.get(path)  # warm-up: per-process caches (policies, templates) are not the page's cost
        with count_queries() as counter:
            response = client.get(path)
        if response.status_code != 200:
            failures.append(f"{who} {path}: {response.status_code}")
        counts[f"{who or 'anonymous'} {template}"] = counter.statements
    assert not failures, failures
    return counts


def test_no_page_runs_more_queries_on_ten_times_the_data(app, client, login, count_queries):
    small_scale = Scale.small()
    with app.app_context():
        generate(small_scale)
        db.session.commit()
        small_meetings = db.session.query(Meeting).count()
    small = _measure(app, client, login, count_queries)
    _clean(app)
    with app.app_context():
        generate(small_scale.times(10))
        db.session.commit()
        assert db.session.query(Meeting).count() == 10 * small_meetings
        assert db.session.query(User).count() > 60
    large = _measure(app, client, login, count_queries)
    grown = {page: (len(small[page]), len(large[page]), _extra(small[page], large[page]))
             for page in small if len(large[page]) != len(small[page])}
    over = {page: len(statements) for page, statements in small.items() if len(statements) > BUDGET}
    assert not grown and not over, (
        f"query counts that change with the data (small, 10×, the statements added): {grown}; "
        f"pages over the budget of {BUDGET} queries: {over}"
    )


def _extra(small: list[str], large: list[str]) -> list[str]:
    """The statements of the large run beyond those of the small one (by text, in order)."""
    remaining = list(small)
    extra = []
    for statement in large:
        if statement in remaining:
            remaining.remove(statement)
        else:
            extra.append(" ".join(statement.split())[:300])
    return extra
