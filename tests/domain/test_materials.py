"""資料番号 (liaison.domain.materials): 資料1, 資料2-1 … by agenda order until 招集, frozen at 招集."""
from sqlalchemy import select

from liaison.domain import materials
from liaison.domain import meetings as rules
from liaison.extensions import db
from liaison.models import Attachment, Meeting, User

from .test_attachments import PDF, upload


def _setup(factory, status="draft", agenda=3):
    meeting = factory.meeting("planning", status=status, agenda=agenda)
    return meeting.id


def _numbers(meeting):
    documents = rules.meeting_attachments(meeting)
    labels = materials.labels_of(meeting.agenda_items, documents)
    return {document.original_name: labels[document.id] for document in documents}


def _attach(meeting, actor, name, position=None):
    item = next((i for i in meeting.agenda_items if i.position == position), None) if position else None
    return rules.add_attachment(meeting, upload(name, PDF), actor=actor, agenda_item=item)


def _staff():
    return db.session.scalar(select(User).where(User.email == "factory-secretariat@example.jp"))


def test_numbers_follow_the_agenda_until_convened(factory, ctx):
    meeting = db.session.get(Meeting, _setup(factory))
    staff = _staff()
    _attach(meeting, staff, "a.pdf", 1)
    _attach(meeting, staff, "b1.pdf", 2)
    _attach(meeting, staff, "b2.pdf", 2)
    _attach(meeting, staff, "ref.pdf")
    assert _numbers(meeting) == {"a.pdf": "資料1", "b1.pdf": "資料2-1", "b2.pdf": "資料2-2", "ref.pdf": "参考資料1"}
    # a draft's agenda reordered: the numbers follow (item 2 moves up)
    second = next(i for i in meeting.agenda_items if i.position == 2)
    rules.move_agenda_item(second, actor=staff, direction="up")
    assert _numbers(meeting) == {"a.pdf": "資料2", "b1.pdf": "資料1-1", "b2.pdf": "資料1-2", "ref.pdf": "参考資料1"}
    assert all(document.material_number is None for document in rules.meeting_attachments(meeting))


def test_convening_freezes_the_numbers_and_later_ones_take_the_next_free_number(factory, ctx):
    meeting = db.session.get(Meeting, _setup(factory, agenda=4))
    staff = _staff()
    _attach(meeting, staff, "a.pdf", 1)
    _attach(meeting, staff, "b.pdf", 2)
    _attach(meeting, staff, "ref.pdf")
    rules.convene(meeting, actor=staff, now=meeting.starts_at.replace(year=meeting.starts_at.year - 1))
    stored = {d.original_name: d.material_number for d in rules.meeting_attachments(meeting)}
    assert stored == {"a.pdf": "1", "b.pdf": "2", "ref.pdf": "R1"}
    # after 招集 the agenda is reordered: the members' notice keeps its numbers
    second = next(i for i in meeting.agenda_items if i.position == 2)
    rules.move_agenda_item(second, actor=staff, direction="up")
    assert _numbers(meeting)["b.pdf"] == "資料2" and _numbers(meeting)["a.pdf"] == "資料1"
    # a 資料 added later: the next of its item, the item's own number if free, else after the highest
    _attach(meeting, staff, "b-extra.pdf", 1)  # item "議事2", now at position 1
    _attach(meeting, staff, "c.pdf", 3)
    _attach(meeting, staff, "ref2.pdf")
    third_first = next(i for i in meeting.agenda_items if i.position == 4)
    rules.move_agenda_item(third_first, actor=staff, direction="up")  # item at 4 moves to 3
    _attach(meeting, staff, "d.pdf", 3)  # 議事4, now third: 資料3 is taken, so after the highest (資料4)
    _attach(meeting, staff, "c2.pdf", 4)  # 議事3, now fourth: the next of its own
    numbers = _numbers(meeting)
    assert numbers["b-extra.pdf"] == "資料2-2" and numbers["c.pdf"] == "資料3"
    assert numbers["ref2.pdf"] == "参考資料2" and numbers["d.pdf"] == "資料4" and numbers["c2.pdf"] == "資料3-2"
    _attach(meeting, staff, "a2.pdf", 2)  # "議事1" is now at position 2
    assert _numbers(meeting)["a2.pdf"] == "資料1-2"


def test_order_of_the_list():
    numbers = ["R2", "2-2", "10", "1", "2-1", "R1"]
    assert sorted(numbers, key=materials.sort_key) == ["1", "2-1", "2-2", "10", "R1", "R2"]
    assert materials.label_of("") == ""
