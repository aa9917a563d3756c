"""The 招集通知's 議題 strictly in the meeting's own agenda item order (issue 20 item 2): page, PDF, .docx, mail."""
import io

from docx import Document
from sqlalchemy import select

from liaison.extensions import db
from liaison.models import Meeting, Notification, NotificationKind

from .test_official_documents import pdf_text


def _in_order(text: str, titles: list[str]) -> bool:
    places = [text.find(title) for title in titles]
    return all(place >= 0 for place in places) and places == sorted(places)


def test_the_notice_lists_the_agenda_in_item_order_even_when_kinds_alternate(client, login, factory, app):
    staff = factory.secretariat(email="order-staff@example.jp")
    factory.member(body="川越市", email="order-member@example.jp")
    # The factory's kinds cycle 報告事項, 協議事項, 議決事項, 報告事項: grouping by kind alone would move 議事4 up.
    meeting = factory.meeting("planning", agenda=4)
    titles = [f"議事{n}" for n in range(1, 5)]
    login(client, staff.email)
    assert client.form(f"/planning/meetings/{meeting.id}/convene").status_code == 303

    page = client.get(f"/planning/meetings/{meeting.id}/notice").get_data(as_text=True)
    agenda = page[page.index("議題"):]
    assert _in_order(agenda, titles) and agenda.count("報告事項") == 2  # the kind's heading comes again
    assert _in_order(pdf_text(client.get(f"/planning/meetings/{meeting.id}/notice.pdf").get_data()), titles)
    paragraphs = [p.text for p in Document(io.BytesIO(client.get(f"/planning/meetings/{meeting.id}/notice.docx")
                                                      .get_data())).paragraphs]
    assert _in_order("\n".join(paragraphs), titles)
    with app.app_context():
        mail = db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.CONVOCATION,
                                                             Notification.object_id == meeting.id)).first()
        assert _in_order(mail.body[mail.body.index("議題"):], titles)


def test_a_reordered_agenda_is_noticed_in_its_new_order(client, login, factory, app):
    from liaison.domain import meetings as meeting_rules

    staff = factory.secretariat(email="order-staff2@example.jp")
    meeting = factory.meeting("planning", agenda=3)
    with app.app_context():
        row = db.session.get(Meeting, meeting.id)
        items = sorted(row.agenda_items, key=lambda item: item.position)
        for item, position in zip(items, (3, 1, 2)):  # 議事1 last
            item.position = position + 10
        db.session.flush()
        for item, position in zip(items, (3, 1, 2)):
            item.position = position
        db.session.commit()
        assert [i.title for i in meeting_rules.agenda_of(row)] == ["議事2", "議事3", "議事1"]
    login(client, staff.email)
    page = client.get(f"/planning/meetings/{meeting.id}/notice").get_data(as_text=True)
    assert _in_order(page[page.index("議題"):], ["議事2", "議事3", "議事1"])
