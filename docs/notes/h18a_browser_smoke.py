"""A two-browser smoke run of the live pages (h18a): SQLite, the werkzeug server, headless Chromium.

The console clicks 次へ, opens a vote, closes it; the member's tablet follows without reload and votes.
Run: python docs/notes/h18a_browser_smoke.py (writes /tmp/x/smoke). Not a test: the 3-browser journey is issue 18's.
"""
import sys, threading, time, pathlib
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from datetime import timedelta
from flask_migrate import upgrade
from werkzeug.serving import make_server
from sqlalchemy import select
from tests.conftest import make_app, PASSWORD
from tests.factories import Factory
from liaison.extensions import db
from liaison.seed import seed_reference_data
from liaison.dates import TOKYO, utcnow
from liaison.domain import meetings as meeting_rules, sitting
from liaison.models import Meeting, Membership, User, AgendaKind

tmp = pathlib.Path("/tmp/x/smoke"); tmp.mkdir(parents=True, exist_ok=True); (tmp / "db.sqlite").unlink(missing_ok=True)
app = make_app(f"sqlite:///{tmp}/db.sqlite", tmp, TESTING=False, LIVE_STREAM_SECONDS=30)
with app.app_context():
    upgrade(); seed_reference_data(); db.session.commit()
f = Factory(app)
staff = f.secretariat()
chair, vice, a, b = f.seated("council", 4)
with app.app_context():
    now = utcnow().astimezone(TOKYO)
    start = now + timedelta(minutes=1)
    meeting = db.session.get(Meeting, f.meeting("council", status="convened", starts_at=start, agenda=3).id)
    actor = db.session.get(User, staff.id)
    meeting_rules.open_session(meeting, actor=actor)
    for u in (chair, vice, a):
        seat = db.session.scalar(select(Membership).where(Membership.user_id == u.id))
        sitting.check_in_seat(meeting, seat, actor=db.session.get(User, u.id), mode="present")
    db.session.commit()
    mid = meeting.id
    titles = [i.title for i in meeting.agenda_items]
    kinds = [i.kind for i in meeting.agenda_items]
server = make_server("127.0.0.1", 5077, app, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = "http://127.0.0.1:5077"
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium")
    def login(email):
        ctx = browser.new_context(); page = ctx.new_page()
        page.goto(base + "/login"); page.fill("input[name=email]", email); page.fill("input[name=password]", PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state()
        return page
    errors = []
    member = login(a.email); member.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    member.goto(f"{base}/council/meetings/{mid}/live")
    console = login(staff.email)
    console.goto(f"{base}/council/meetings/{mid}/console")
    time.sleep(1)
    t0 = time.monotonic()
    console.click("button:has-text('次へ')")
    member.wait_for_selector(f".current-title:has-text('{titles[0]}')", timeout=5000)
    print("member saw the item after", round(time.monotonic() - t0, 2), "s, url", member.url)
    steps = 0
    while kinds[steps] is AgendaKind.REPORT:
        console.click("button:has-text('次へ')"); steps += 1
        member.wait_for_selector(f".current-title:has-text('{titles[steps]}')", timeout=5000)
    console.click("button:has-text('表決を開始')")
    member.wait_for_selector("button:has-text('賛成')", timeout=5000)
    member.click("button:has-text('賛成')")
    console.wait_for_selector("text=投票済み 1", timeout=5000)
    console.once("dialog", lambda d: d.accept())
    console.click("button:has-text('表決を締め切る')")
    t0 = time.monotonic()
    member.wait_for_selector("text=→ 可決", timeout=5000)
    print("member saw the result after", round(time.monotonic() - t0, 2), "s")
    print("JS errors:", errors)
    browser.close()
server.shutdown()
