import sys, re
from bench.scale import Scale, generate
from liaison.extensions import db
from liaison.pages import cache as page_cache
from tests.web.test_query_budget import PASSWORD, _ids

def test_prof(app, client, login):
    extension = app.extensions[page_cache.EXTENSION]
    extension["store"], app.config["PAGE_CACHE"] = page_cache.LocalStore(32 << 20), True
    with app.app_context():
        generate(Scale.small()); db.session.commit()
    params, emails = _ids(app, app.test_client())
    c = app.test_client(); login(c, emails["member"], PASSWORD)
    for _ in range(3): c.get("/council/meetings/")
    funcs = {}
    def prof(frame, event, arg):
        if event == "call":
            k = frame.f_code.co_filename.split("site-packages/")[-1] + ":" + frame.f_code.co_name
            funcs[k] = funcs.get(k, 0) + 1
    sys.setprofile(prof); r = c.get("/council/meetings/"); sys.setprofile(None)
    print("TOTAL", sum(funcs.values()))
    by_mod = {}
    for k, v in funcs.items():
        m = k.split(":")[0]; by_mod[m] = by_mod.get(m, 0) + v
    for k, v in sorted(by_mod.items(), key=lambda kv: -kv[1])[:25]:
        print("M", v, k)
