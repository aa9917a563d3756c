"""/api/v1 my tasks (やること)."""
from __future__ import annotations


from ..dates import current_fiscal_year, utcnow
from ..domain import access
from ..domain import meetings as meeting_rules
from ..domain import proposal_queries
from ..domain import tasks as task_rules
from ..domain import votes as vote_rules
from . import core
from . import schemas as s
from .views import blp


# ------------------------------------------------------------------------------------- my tasks

@blp.get("/tasks")
@blp.response(200, s.TaskListSchema)
def tasks():
    """My tasks (やること), as the dashboard lists them."""
    user = core.user()
    memberships = access.active_memberships(user, current_fiscal_year())
    _next, owed = meeting_rules.my_upcoming(user, memberships)
    found = task_rules.my_tasks(
        user, memberships=memberships, owed_answers=owed, pending_votes=vote_rules.pending_written_votes(user),
        proposals_to_review=proposal_queries.awaiting_review(user),
    )
    now = utcnow()
    return {"items": [
        {"kind": {"value": t.kind.value, "label": task_rules.kind_label(t.kind)}, "title": t.title, "url": t.url,
         "deadline": core.when(t.deadline), "overdue": t.deadline is not None and t.deadline < now}
        for t in found
    ]}
