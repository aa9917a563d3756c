"""One label per enum value, in one module: every value has one, the pages, forms, calendar and mails agree."""
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from liaison import labels
from liaison.calendar import texts
from liaison.forms.meetings import MeetingForm
from liaison.models import AttendanceResponse, Choice, MeetingFormat, MeetingStatus, ProposalStatus, Role

ROOT = Path(__file__).resolve().parent.parent


def test_every_value_of_every_labelled_enum_has_a_label():
    for enum_type, table in labels.LABELS.items():
        assert list(table) == list(enum_type) or set(table) == set(enum_type), enum_type.__name__


@pytest.mark.parametrize("value, ja, en", [
    (MeetingFormat.HYBRID, "ハイブリッド(対面・オンライン)", "Hybrid (in person and online)"),
    (MeetingStatus.DRAFT, "下書き", "Draft"),
    (ProposalStatus.RETURNED, "差戻し", "Returned"),
    (Choice.ABSTAIN, "棄権", "Abstain"),
])
def test_a_label_follows_the_locale(app, value, ja, en):
    with app.test_request_context():
        with force_locale("ja"):
            assert labels.label(value) == ja
        with force_locale("en"):
            assert labels.label(value) == en
        with force_locale("ja"):  # the memo keeps one text per locale
            assert labels.label(value) == ja


def test_missing_values_read_as_the_design_says(app):
    with app.app_context():
        assert labels.label(None) == ""
        assert labels.response_label(None) == "未回答"
        assert labels.response_label(AttendanceResponse.PROXY) == "代理出席"
        assert labels.role_label(Role.CHAIR) == "議長・部会長"


def test_the_hybrid_format_reads_the_same_in_the_form_the_calendar_and_the_pages(app):
    """The calendar once said 「ハイブリッド」 where the pages said 「ハイブリッド(対面・オンライン)」."""
    with app.test_request_context():
        form_label = dict((choice.value, str(choice.label)) for choice in MeetingForm.format.kwargs["choices"])
        assert form_label[MeetingFormat.HYBRID.value] == labels.label(MeetingFormat.HYBRID)
        assert app.jinja_env.globals["label"](MeetingFormat.HYBRID) == labels.label(MeetingFormat.HYBRID)
        assert texts.label is labels.label  # the calendar's texts (calendar/texts.py)


def test_no_module_outside_labels_keeps_a_table_of_enum_labels():
    """Labels leave the domain, the forms and the calendar: a dict from enum members to texts lives in labels.py."""
    table = re.compile(r"\{\s*\n?\s*(MeetingStatus|MeetingFormat|AgendaKind|AttendanceResponse|ProposalStatus|VoteMethod"
                       r"|Majority|VoteState|VoteOutcome|AgendaOutcome|Choice|MinutesStatus|NotificationKind|Role"
                       r"|S)\.\w+\s*:\s*_l?\(")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "liaison").rglob("*.py")
                 if path.name != "labels.py" and "seed" not in path.parts and table.search(path.read_text())]
    assert offenders == []


def test_templates_compare_enums_not_their_strings():
    """`meeting.status == MeetingStatus.DRAFT`, never `meeting.status.value == 'draft'` (a renamed value breaks silently)."""
    raw = re.compile(r"\.value\s*(==|!=|in|not in)\s*[\(\['\"]")
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in (ROOT / "templates").rglob("*.*")
                 for number, line in enumerate(path.read_text().splitlines(), start=1) if raw.search(line)]
    assert offenders == []
