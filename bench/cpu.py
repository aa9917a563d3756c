"""Server CPU per page, in process (issue 22): `python bench/cpu.py --database-url URL --samples dataset.json`.

For each HTML page of the benchmark (bench/run.py's targets, as the same member), through the app's test
client against the given database (the scale data set of `flask seed --scale`):

- CPU ms per request: the median of `--rounds` (≥ 200) requests timed with `time.process_time`, which a
  shared machine disturbs far less than wall time; the bare route is measured the same way;
- where it goes: cProfile over `--profile-rounds` requests, own time summed by module (the ORM, the
  database driver, Jinja with the compiled templates and markupsafe, translation: babel, flask_babel,
  gettext and liaison/i18n.py), as shares of the profiled total, and the Python calls per request;
- the HTML size.

With the page cache (liaison/pages/cache.py) each page is measured twice: `cached` (the steady state:
every request after the first of a version) and `uncached` (PAGE_CACHE off: what a change costs).
`bench/run` runs this and writes the table into BENCHMARKS.md; `--json` writes the report.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import secrets
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = ("dashboard", "meeting list", "meeting page", "proposal list", "proposal page", "vote result",
         "minutes page")
CATEGORIES = (
    ("orm", ("/sqlalchemy/",)),
    ("driver", ("/psycopg/", "/psycopg_binary/", "/psycopg_pool/", "sqlite3")),
    ("jinja", ("/jinja2/", "/markupsafe/", "/templates/")),
    ("translation", ("/babel/", "/flask_babel/", "/gettext.py", "/liaison/i18n.py")),
)


def page_paths(samples: dict) -> dict[str, str]:
    committee = samples["committee"]
    query = urllib.parse.urlencode({"q": "研修", "status": "adopted", "fy": samples["fiscal_year"] - 1})
    return {
        "bare route": "/_bench/bare",
        "dashboard": "/",
        "meeting list": f"/{committee}/meetings/",
        "meeting page": f"/{committee}/meetings/{samples['meeting_id']}",
        "proposal list": f"/{committee}/proposals/?{query}",
        "proposal page": f"/{committee}/proposals/{samples['proposal_id']}",
        "vote result": f"/{committee}/votes/{samples['vote_id']}",
        "minutes page": f"/{committee}/meetings/{samples['minutes_meeting_id']}/minutes",
    }


def category(filename: str) -> str:
    for name, needles in CATEGORIES:
        if any(needle in filename for needle in needles):
            return name
    return "other"


def make_app(database_url: str, cache: bool):
    os.environ.update(DATABASE_URL=database_url, LIAISON_ENV="production",
                      SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48))
    from bench.wsgi import create_app

    return create_app({"PAGE_CACHE": cache})


def logged_in_client(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code not in (302, 303):
        raise SystemExit(f"login as {email} failed: {response.status_code}")
    return client


def measure(client, path: str, rounds: int, profile_rounds: int) -> dict:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    html = response.get_data()
    for _ in range(10):
        client.get(path)
    times = []
    for _ in range(rounds):
        started = time.process_time()
        client.get(path)
        times.append((time.process_time() - started) * 1000)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(profile_rounds):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    own = {name: 0.0 for name, _ in CATEGORIES}
    own["other"] = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        own[category(filename)] += tottime
    total = sum(own.values()) or 1.0
    times.sort()
    return {
        "path": path, "bytes": len(html), "cpu_ms": statistics.median(times),
        "cpu_p90_ms": times[int(len(times) * 0.9)], "calls": stats.total_calls // profile_rounds,
        "share": {name: value / total for name, value in own.items()},
    }


def run(database_url: str, samples: dict, rounds: int, profile_rounds: int, modes: tuple[str, ...]) -> dict:
    report = {"rounds": rounds, "profile_rounds": profile_rounds, "database": database_url.split("://")[0],
              "modes": {}}
    paths = page_paths(samples)
    for mode in modes:
        app = make_app(database_url, cache=(mode == "cached"))
        client = logged_in_client(app, samples["member_email"], samples["password"])
        rows = {}
        for name, path in paths.items():
            rows[name] = measure(client, path, rounds, profile_rounds)
            row = rows[name]
            print(f"[cpu {mode}] {name:<14} {row['cpu_ms']:6.2f} ms  {row['calls']:>7} calls  "
                  f"{row['bytes'] / 1024:6.1f} KiB  " + "  ".join(f"{k} {v:.0%}" for k, v in row["share"].items()),
                  flush=True)
        report["modes"][mode] = rows
        with app.app_context():
            from liaison.extensions import db

            db.engine.dispose()
    return report


def table(report: dict) -> list[str]:
    """The Markdown table BENCHMARKS.md shows (bench/run.py calls this)."""
    modes = report.get("modes", {})
    if not modes:
        return [f"Not measured: {report}"]
    cached, uncached = modes.get("cached"), modes.get("uncached")
    main = uncached or cached
    lines = [f"Median `time.process_time` of {report['rounds']} requests per page in process (the Flask test client, "
             f"{report['database']}, the member of bench/run's pages); shares of the own time under cProfile "
             f"({report['profile_rounds']} requests), Python calls per request from the same profile.", "",
             "| page | CPU ms uncached | CPU ms cached | ORM | driver | Jinja | translation | other | calls | HTML KiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in main.items():
        share = row["share"]
        hit = cached.get(name) if cached else None
        lines.append(
            f"| {name} | {uncached[name]['cpu_ms']:.2f} | " if uncached else f"| {name} | – | ")
        lines[-1] += (f"{hit['cpu_ms']:.2f} | " if hit else "– | ") + " | ".join(
            f"{share[k]:.0%}" for k in ("orm", "driver", "jinja", "translation", "other")) + \
            f" | {row['calls']:,} | {row['bytes'] / 1024:.1f} |"
    if cached:
        lines += ["", "Shares and calls are those of the uncached render; with the cache, per request: " + ", ".join(
            f"{name} {row['calls']:,} calls" for name, row in cached.items()) + "."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--samples", type=Path, required=True, help="the JSON of `flask seed --scale --json`")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile-rounds", type=int, default=30)
    parser.add_argument("--modes", default="uncached,cached", help="uncached, cached or both (comma-separated)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    samples = json.loads(args.samples.read_text(encoding="utf-8"))
    samples = samples.get("samples", samples)
    report = run(args.database_url, samples, args.rounds, args.profile_rounds, tuple(args.modes.split(",")))
    print("\n".join(table(report)))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
