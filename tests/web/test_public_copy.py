"""The public 会議録 pages read a masked copy kept at publication (issue 20: public pages at 10× scale):
nothing is masked per request, the search runs in SQL on the stored masked text, and the copy follows the
committee's masking settings (set by the administrator, or changed behind the app's back: then masked anew)."""
from types import SimpleNamespace

from sqlalchemy import select

from liaison.domain import minutes as minutes_rules
from liaison.domain import public as public_rules
from liaison.extensions import db
from liaison.models import Committee, Minutes, User

from .test_public import _private_again, _set_public, people, published  # noqa: F401 (fixtures)


def _version(minutes_id):
    return minutes_rules.published_version(db.session.get(Minutes, minutes_id))


def test_publication_keeps_a_masked_copy(app, published):
    with app.app_context():
        version = _version(published["published"])
        assert version.public_copy["settings"] == [True, False]
        assert "川越 太郎" not in version.public_text and "川越市委員" in version.public_text
        assert version.public_search_key.startswith(public_rules.MARK)
        # Not published yet: no copy.
        minutes = db.session.get(Minutes, published["approved"])
        assert all(v.public_copy is None for v in minutes.versions)
        # The migration's pure masking gives the same copy from plain rows.
        committee = version.minutes.meeting.committee
        plain = SimpleNamespace(name=committee.name, parent_id=committee.parent_id, public_mask_names=True,
                                public_keep_officers=False)
        values = {}
        approver = minutes_rules.approver_of(version)
        public_rules.fill_copy(values, public_rules.mask(plain, SimpleNamespace(
            facts=version.facts, texts=version.texts, approved_at=version.approved_at,
            approver_role=version.approver_role), approver.name))
        assert values["public_text"] == version.public_text and values["public_search_key"] == version.public_search_key


def test_the_pages_use_the_copy_and_the_search_runs_on_it(app, client, published):
    assert "川越市委員" in client.get("/public/?q=研修計画").get_data(as_text=True)
    assert "研修計画" not in client.get("/public/?q=川越 太郎").get_data(as_text=True).split("</form>")[-1]
    assert "研修計画" in client.get("/public/?q=ｄｘ推進").get_data(as_text=True)  # normalised: ｄｘ finds DX
    with app.app_context():
        version = _version(published["published"])
        version.public_copy = dict(version.public_copy, texts={"opening": "保存された写しの本文"})
        db.session.commit()
    page = client.get(f"/public/minutes/{published['published']}").get_data(as_text=True)
    assert "保存された写しの本文" in page  # read from the copy, not masked again


def test_the_administrators_setting_refreshes_the_copies(app, published, people):
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
        admin = db.session.get(User, people["admin"].id)
        public_rules.set_settings(committee, actor=admin, public=True, mask_names=False, keep_officers=False)
        db.session.commit()
        version = _version(published["published"])
        assert version.public_copy["settings"] == [False, False] and "川越 太郎" in version.public_text


def test_a_setting_changed_behind_the_apps_back_is_masked_anew(app, client, published):
    _set_public(app, "planning", public_mask_names=False)  # the stored copies are now stale
    page = client.get("/public/?q=川越 太郎").get_data(as_text=True).split("</form>")[-1]
    assert f"/public/minutes/{published['published']}" in page and "川越 太郎" in page
    assert "川越 太郎" in client.get(f"/public/minutes/{published['published']}").get_data(as_text=True)
