"""Every UI string has an English translation, with the same placeholders, and the .mo is up to date."""
import re
from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "liaison/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("liaison/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}, "templates/**.txt": {"extensions": "jinja2.ext.i18n"}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_is_translated_with_the_same_placeholders():
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="en")
    translations = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in _source_messages() if not translations.get(m))
    assert missing == [], "run `make translations` and translate these in messages.po"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for msgid, msgstr in translations.items():
        if msgstr:
            assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(msgstr)), msgid


def test_compiled_catalogue_is_up_to_date():
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="en")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    with open(MO, "rb") as handle:
        compiled = read_mo(handle)
    expected = read_mo(buffer)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in expected if m.id}
