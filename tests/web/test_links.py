"""External links come from the routes under BASE_URL: without a request, with a path prefix, whatever Host a request used."""
import pytest

from liaison import urls
from liaison.calendar import feeds, tokens
from liaison.extensions import db
from liaison.models import Meeting, User
from liaison.notify import content

PREFIXED = "https://kaigi.example.jp/liaison"


@pytest.fixture()
def meeting_id(factory):
    return factory.meeting("planning", status="convened", agenda=1).id


def test_mails_feeds_and_the_notice_link_under_base_url_without_a_request(app, factory, meeting_id, monkeypatch):
    member = factory.member(committee="planning", body="川越市", email="links@example.jp")
    monkeypatch.setitem(app.config, "BASE_URL", PREFIXED)
    page = f"{PREFIXED}/planning/meetings/{meeting_id}"
    with app.app_context():  # the scheduler's situation: an app, no request
        meeting = db.session.get(Meeting, meeting_id)
        assert urls.meeting_url(meeting) == page
        assert f"\n    {page}\n" in content.convocation_text(meeting)
        assert f"詳細: {page}" in content.meeting_summary(meeting)
        assert f"URL:{page}" in feeds.meeting_ics(meeting, PREFIXED).decode().replace("\r\n ", "")
        assert tokens.feed_url(db.session.get(User, member.id)).startswith(f"{PREFIXED}/calendar/")
        # Notification.link keeps the path below BASE_URL; the mail completes it.
        assert content.meeting_path(meeting) == f"/planning/meetings/{meeting_id}"


def test_a_request_under_another_host_still_links_to_base_url(client, login, factory, meeting_id):
    login(client, factory.secretariat(email="links-staff@example.jp").email)
    session = client.get_cookie("session")
    client.set_cookie("session", session.value, domain="10.0.0.5")  # the browser logged in at that address
    response = client.get(f"/planning/meetings/{meeting_id}/notice", headers={"Host": "10.0.0.5:8000"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"http://liaison.test/planning/meetings/{meeting_id}" in text and "10.0.0.5" not in text
    ics = client.get(f"/planning/meetings/{meeting_id}.ics", headers={"Host": "10.0.0.5:8000"})
    assert ics.status_code == 200 and b"10.0.0.5" not in ics.data
