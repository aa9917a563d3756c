"""One load-or-404-and-check-or-403 per kind: a draft meeting is the secretariat's on every page that shows it."""
from __future__ import annotations

import pytest


@pytest.fixture()
def draft(factory):
    return factory.meeting("planning", status="draft")


@pytest.mark.parametrize("path, member, staff", [
    ("/planning/meetings/{id}", 403, 200),
    ("/planning/meetings/{id}/notice", 403, 200),
    ("/planning/meetings/{id}/minutes", 403, 200),
    ("/planning/meetings/{id}/reminders", 403, 200),
    ("/planning/meetings/{id}.ics", 404, 200),  # a draft is not announced: not even its existence
    ("/planning/meetings/999999", 404, 404),
    ("/planning/meetings/999999/minutes", 404, 404),
    ("/council/meetings/{id}", 403, 404),  # another committee's id is not found in this one
])
def test_a_draft_meeting_is_the_secretariats_everywhere(client, login, factory, draft, path, member, staff):
    people = [(factory.member(committee="planning", body="川越市").email, member),
              (factory.secretariat().email, staff)]
    url = path.format(id=draft.id)
    for email, expected in people:
        login(client, email)
        assert client.get(url).status_code == expected, (url, email)
        client.post("/logout", data={"csrf_token": client.csrf_token()})
        client.forget_token()
