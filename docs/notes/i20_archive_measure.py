"""Figures for branch i20-archive: the fiscal-year archive and the official documents, measured on the demo.

Run from the worktree: python docs/notes/i20_archive_measure.py
A fresh SQLite database in a temporary directory is migrated and seeded with the demo through the CLI;
then each committee's archive of the demo's fiscal years is written, and the notice PDF/.docx timed.
"""
from __future__ import annotations

import hashlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="i20-archive-"))
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{work / 'demo.sqlite3'}", PYTHONPATH=str(ROOT),
               SECRET_KEY="x" * 40)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from liaison import archive, create_app
    from liaison.extensions import db
    from liaison.models import Committee, Meeting, MeetingStatus
    from liaison.notify import documents

    app = create_app()
    with app.app_context():
        years = sorted(set(db.session.scalars(select(Meeting.fiscal_year))))
        print(f"demo fiscal years: {years}")
        for committee in db.session.scalars(select(Committee).order_by(Committee.position)):
            for year in years:
                path = work / archive.archive_name(committee, year)
                tracemalloc.start()
                started = time.perf_counter()
                with open(path, "wb") as out:
                    entries = archive.write_archive(committee, year, out)
                seconds = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                with zipfile.ZipFile(path) as zipped:
                    ok = all(hashlib.sha256(zipped.read(e.name)).hexdigest() == e.sha256 for e in entries)
                    largest = max((e.size for e in entries), default=0)
                print(f"{committee.slug:22} FY{year}: {len(entries):3d} files, zip {path.stat().st_size / 1024:8.1f} KiB, "
                      f"{seconds:6.2f} s, python peak {peak / 1024 / 1024:6.1f} MiB, largest entry {largest / 1024:7.1f} KiB, "
                      f"manifest hashes match: {ok}")
            db.session.rollback()
        meeting = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONVENED)).first()
        for name, make in (("notice.pdf", lambda: documents.notice_pdf(meeting)),
                           ("notice PDF/A", lambda: documents.notice_pdf(meeting, variant=documents.PDF_A)),
                           ("notice.docx", lambda: documents.notice_docx(meeting))):
            started = time.perf_counter()
            data = make()
            print(f"{name:12}: {len(data) / 1024:7.1f} KiB in {time.perf_counter() - started:5.2f} s")
        numbered = db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.document_number.is_not(None)))
        print(f"meetings with a 文書番号 after seed --demo: {numbered}")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
