"""Issue 18, 「この資料を全員に表示」 on the web: the console presents a 資料 and turns its pages (CSRF-checked posts),
a member may not, a bad page or another meeting's 資料 is refused, live.json (and the screen's key) carry
`presenting`, the screen reads the presented PDF with its key, and the tablet and the screen render the viewer."""
from liaison.extensions import db
from liaison.models import Attachment, Meeting
from liaison.seed.demo_today import material_pdf

from .test_sitting import as_user, day  # noqa: F401 (the fixture: a 部会 meeting today, in session)

JSON = {"Accept": "application/json"}


def add_material(app, meeting_id: int, name: str = "資料4.pdf", *, pdf: bool = True) -> int:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        content = material_pdf(4) if pdf else b"notes"  # today's demo 資料4: three pages
        row = Attachment(meeting_id=meeting.id, agenda_item_id=meeting.current_item_id, original_name=name,
                         stored_name=f"web-present-{meeting.id}-{name}", size=len(content), sha256="1" * 64,
                         content_type="application/pdf" if pdf else "text/plain", content=content)
        db.session.add(row)
        db.session.commit()
        return row.id


def test_the_console_presents_and_turns_pages_a_member_may_not(app, client, login, day, factory):
    base, meeting_id = day["base"], day["meeting"]
    pdf = add_material(app, meeting_id)
    text = add_material(app, meeting_id, "メモ.txt", pdf=False)
    with app.app_context():
        other = factory.meeting("planning", status="convened", agenda=1).id
    foreign = add_material(app, other, "他の会議.pdf")
    as_user(client, login, day["a"])
    assert client.form(f"{base}/console/present", {"attachment_id": pdf, "page": 1}, headers=JSON).status_code == 403
    assert client.get(f"{base}/live.json").json["presenting"] is None
    as_user(client, login, day["staff"])
    assert client.post(f"{base}/console/present", data={"attachment_id": pdf, "page": 1}).status_code == 400  # no CSRF
    before = client.get(f"{base}/live.json").json["version"]
    for attachment, page, status in ((pdf, 0, 409), (pdf, 4, 409), (pdf, "x", 409), (text, 1, 409), (foreign, 1, 409),
                                     ("nothing", 1, 400), (10**8, 1, 404)):
        answer = client.form(f"{base}/console/present", {"attachment_id": attachment, "page": page}, headers=JSON)
        assert answer.status_code == status, (attachment, page, answer.get_data(as_text=True))
        if status == 409:
            assert answer.json["error"]  # a Japanese message for the console
    assert client.get(f"{base}/live.json").json["version"] == before
    shown = client.form(f"{base}/console/present", {"attachment_id": pdf, "page": 1}, headers=JSON)
    assert shown.status_code == 200 and shown.json["ok"]
    assert client.form(f"{base}/console/present", {"attachment_id": pdf, "page": 2}).status_code == 303  # without JS
    console = client.get(f"{base}/console").get_data(as_text=True)
    assert "全員に表示中" in console and "表示をやめる" in console and "前のページ" in console
    as_user(client, login, day["a"])
    state = client.get(f"{base}/live.json").json
    assert state["version"] == before + 2
    presenting = state["presenting"]
    assert presenting["attachment_id"] == pdf and presenting["page"] == 2 and presenting["title"] == "資料4.pdf"
    assert presenting["url"].endswith(f"/council/meetings/{meeting_id}/materials/{pdf}/view?page=2")
    tablet = client.get(f"{base}/live").get_data(as_text=True)
    assert 'data-pdf-viewer data-attachment-id="%d" data-page="2"' % pdf in tablet and "発表者に合わせる" in tablet
    assert client.get(f"{base}/screen/material").status_code == 200  # a member may read it too
    client.forget_token()
    client.form("/logout")
    screen_state = client.get(f"{base}/live.json?k={day['token']}").json
    assert screen_state["presenting"]["page"] == 2
    screen = client.get(f"{base}/screen?k={day['token']}").get_data(as_text=True)
    assert f"/screen/material?k={day['token']}" in screen and "発表者に合わせる" not in screen
    pdf_response = client.get(f"{base}/screen/material?k={day['token']}")
    assert pdf_response.status_code == 200 and pdf_response.data.startswith(b"%PDF-")
    assert client.get(f"{base}/screen/material?k=wrong").status_code == 403
    assert client.get(f"{base}/screen/material").status_code == 302  # no key, no login
    as_user(client, login, day["chair"])  # the presiding chair stops it
    assert client.form(f"{base}/console/present/stop", headers=JSON).status_code == 200
    assert client.form(f"{base}/console/present/stop", headers=JSON).status_code == 409  # already stopped
    assert client.get(f"{base}/live.json").json["presenting"] is None
    assert client.get(f"{base}/screen/material").status_code == 404  # nothing presented: nothing to read


def test_the_api_live_view_carries_presenting(app, client, day):
    from liaison.domain import api_tokens, sitting
    from liaison.models import User

    pdf = add_material(app, day["meeting"])
    with app.app_context():
        meeting = db.session.get(Meeting, day["meeting"])
        headers = {"Authorization": "Bearer " + api_tokens.create(db.session.get(User, day["a"].id), actor=None,
                                                                  name="test", write=False, days=30)[1]}
        db.session.commit()
    url = f"/api/v1/meetings/{day['meeting']}/live"
    assert client.get(url, headers=headers).json["presenting"] is None
    with app.app_context():
        meeting = db.session.get(Meeting, day["meeting"])
        sitting.show_material(meeting, db.session.get(Attachment, pdf), actor=db.session.get(User, day["staff"].id), page=3)
        db.session.commit()
    presenting = client.get(url, headers=headers).json["presenting"]
    assert presenting["attachment_id"] == pdf and presenting["page"] == 3 and presenting["title"] == "資料4.pdf"
    assert presenting["url"].endswith(f"/materials/{pdf}/view?page=3")
