"""年度更新 (fiscal-year rollover): every committee's roster carried into the new year at once, the 人事異動 list applied.

The flow is plan → preview → apply. `plan` writes nothing: it lists every change (committee, seat, role,
old → new person) and every problem (unknown body, duplicate e-mail, a seat left without a holder). `apply`
runs the same plan again and, only when it has no problem, writes it in the caller's transaction with one
audit row; new successors get an invitation mail. Seats already filled in the new year are left alone, so
running it twice changes nothing the second time.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import fiscal_year_label
from ..extensions import db
from ..models import Body, Committee, Membership, Role, User
from . import access, audit, check, require
from . import accounts
from . import memberships as membership_rules
from . import users as user_rules

MAX_CSV_BYTES = 512 * 1024
# Accepted headings for each column (Excel users type them in Japanese; the example file uses the first).
COLUMNS = {
    "body": ("団体", "団体名", "団体番号", "構成団体", "body"),
    "name": ("氏名", "後任者氏名", "name"),
    "title": ("役職", "title"),
    "email": ("メールアドレス", "メール", "email"),
}
EXAMPLE_CSV = "団体,氏名,役職,メールアドレス\n川越市,山田 花子,職員課長,yamada-h@example.jp\n2,佐藤 一郎,人事課長,sato-i@example.jp\n"


@dataclass
class Transfer:
    """One line of the 人事異動 list: the successor of a body's section chief."""
    line: int  # 1-based row of the CSV (the heading is row 1), or the body's row on screen
    body_ref: str
    name: str
    title: str
    email: str
    body: Body | None = None


@dataclass
class Change:
    committee: Committee
    seat_label: str
    role: Role
    old_name: str
    new_name: str
    new_email: str
    carried: bool  # the same person continues


@dataclass
class Plan:
    to_year: int
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    already: int = 0  # seats already filled in the new year (left alone)
    new_users: list[Transfer] = field(default_factory=list)
    # internal: what apply writes
    _writes: list[tuple] = field(default_factory=list, repr=False)


# --- reading the list ----------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, else Shift_JIS as Excel writes it (cp932); UnicodeDecodeError otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if b"\x00" in data:  # UTF-16 ("Unicode text" from Excel) or a binary file such as .xlsx
        raise UnicodeDecodeError("csv", data[:1], 0, 1, "NUL byte: not UTF-8 or Shift_JIS text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def read_csv(data: bytes) -> tuple[list[Transfer], list[str]]:
    """The transfers of a CSV file and the problems found reading it (in Japanese, by row)."""
    if len(data) > MAX_CSV_BYTES:
        return [], [_("ファイルが大きすぎます(%(kb)dKBまで)。", kb=MAX_CSV_BYTES // 1024)]
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return [], [_("文字コードを読み取れません。UTF-8またはShift_JISのCSVファイルを指定してください。")]
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return [], [_("CSVファイルに行がありません。")]
    heading = [cell.strip() for cell in rows[0]]
    index = {}
    for key, names in COLUMNS.items():
        found = [i for i, cell in enumerate(heading) if cell in names]
        if found:
            index[key] = found[0]
    unknown = [cell for cell in heading if cell and not any(cell in names for names in COLUMNS.values())]
    missing = [COLUMNS[key][0] for key in ("body", "name", "email") if key not in index]
    problems = []
    if missing or unknown:
        if missing:
            problems.append(_("1行目: 必要な列 %(columns)s がありません。", columns="、".join(missing)))
        if unknown:
            problems.append(_("1行目: 不明な列 %(columns)s があります。", columns="、".join(unknown)))
        return [], problems
    transfers = []
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda key: row[index[key]].strip() if key in index and index[key] < len(row) else ""  # noqa: E731
        transfers.append(Transfer(number, cell("body"), cell("name"), cell("title"), user_rules.normalise_email(cell("email"))))
    return transfers, problems


# --- the plan ------------------------------------------------------------------------------------

def _resolve_bodies(transfers: list[Transfer], problems: list[str]) -> None:
    bodies = list(db.session.scalars(select(Body).order_by(Body.position)))
    by_name = {body.name: body for body in bodies}
    by_code = {str(body.position): body for body in bodies}
    for transfer in transfers:
        transfer.body = by_name.get(transfer.body_ref) or by_code.get(transfer.body_ref.lstrip("0") or "0")
        if transfer.body is None:
            problems.append(_("%(line)d行目: 構成団体「%(body)s」が見つかりません。", line=transfer.line, body=transfer.body_ref))


def _check_transfers(transfers: list[Transfer], problems: list[str]) -> None:
    seen_email: dict[str, int] = {}
    seen_body: dict[int, int] = {}
    for transfer in transfers:
        if not transfer.name:
            problems.append(_("%(line)d行目: 氏名がありません。", line=transfer.line))
        if not transfer.email or "@" not in transfer.email or len(transfer.email) > 254:
            problems.append(_("%(line)d行目: メールアドレス「%(email)s」が正しくありません。", line=transfer.line,
                              email=transfer.email))
        elif transfer.email in seen_email:
            problems.append(_("%(line)d行目: メールアドレス %(email)s が%(first)d行目と重複しています。",
                              line=transfer.line, email=transfer.email, first=seen_email[transfer.email]))
        else:
            seen_email[transfer.email] = transfer.line
        if transfer.body is not None:
            if transfer.body.id in seen_body:
                problems.append(_("%(line)d行目: %(body)sの後任者が%(first)d行目にもあります。", line=transfer.line,
                                  body=transfer.body.name, first=seen_body[transfer.body.id]))
            seen_body.setdefault(transfer.body.id, transfer.line)


def plan(to_year: int, transfers: list[Transfer], *, chairs: dict[int, dict[Role, int]] | None = None,
         read_problems: list[str] | None = None) -> Plan:
    """Every committee's seats of `to_year - 1`, carried into `to_year` with the transfers applied (writes nothing).

    `chairs` maps a committee id to {Role.CHAIR: body id, Role.VICE_CHAIR: body id} for the new year; a
    committee not in it keeps last year's chair and vice chair bodies.
    """
    chairs = chairs or {}
    result = Plan(to_year, problems=list(read_problems or []))
    _resolve_bodies(transfers, result.problems)
    _check_transfers(transfers, result.problems)
    successors = {t.body.id: t for t in transfers if t.body is not None}
    emails = [t.email for t in transfers if t.email]
    users_by_email = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    all_seats = list(db.session.scalars(
        select(Membership).options(joinedload(Membership.user), joinedload(Membership.body), joinedload(Membership.committee))
        .where(Membership.fiscal_year.in_([to_year - 1, to_year]), Membership.ended_at.is_(None))
        .order_by(Membership.committee_id, Membership.id)
    ))
    old = [m for m in all_seats if m.fiscal_year == to_year - 1]
    new = [m for m in all_seats if m.fiscal_year == to_year]
    filled = {(m.committee_id, m.body_id, m.department, m.role.has_vote) for m in new}
    taken = {(m.committee_id, m.user_id) for m in new}
    sat_last_year = {m.body_id for m in old}
    for transfer in transfers:
        if transfer.body is not None and transfer.body.id not in sat_last_year:
            result.problems.append(_("%(line)d行目: %(body)sは%(year)sにどの会議の議席もありません。", line=transfer.line,
                                     body=transfer.body.name, year=_fy(to_year - 1)))
    for seat in sorted(old, key=lambda m: (m.committee.position, m.body.position, m.department, m.id)):
        if (seat.committee_id, seat.body_id, seat.department, seat.role.has_vote) in filled:
            result.already += 1
            continue
        transfer = successors.get(seat.body_id) if not seat.department and seat.role.has_vote else None
        role = _new_role(seat, chairs.get(seat.committee_id))
        if transfer is not None:
            holder = users_by_email.get(transfer.email)
            if holder is not None and not holder.active:
                result.problems.append(_("%(line)d行目: %(email)s のアカウントは無効です。", line=transfer.line,
                                         email=transfer.email))
            new_name, new_email = (holder.name if holder else transfer.name), transfer.email
        else:
            holder = seat.user
            if not holder.active:
                result.problems.append(_("%(committee)s %(seat)s: 委員のアカウントが無効で、後任者の指定がありません(議席が空きます)。",
                                         committee=seat.committee.name, seat=seat.seat_label))
            new_name, new_email = holder.name, holder.email
        key = (seat.committee_id, holder.id if holder is not None else new_email)
        if key in taken:
            result.problems.append(_("%(committee)s: %(name)sさんに二つの議席を割り当てることはできません。",
                                     committee=seat.committee.name, name=new_name))
        taken.add(key)
        result.changes.append(Change(seat.committee, seat.seat_label, role, seat.user.name, new_name, new_email,
                                     carried=transfer is None or (holder is not None and holder.id == seat.user_id)))
        result._writes.append((seat, role, holder, transfer))
    for transfer in transfers:
        if transfer.email and transfer.email not in users_by_email:
            result.new_users.append(transfer)
    for committee_id, wanted in chairs.items():
        for role, body_id in wanted.items():
            if body_id and not any(s.committee_id == committee_id and s.body_id == body_id for s, *_ in result._writes):
                committee = next(c for c in access.all_committees() if c.id == committee_id)
                result.problems.append(_("%(committee)s: %(role)sに選んだ団体の議席が引き継ぐ議席にありません。",
                                         committee=committee.name, role=membership_rules.role_label(role, committee)))
    return result


def _fy(year: int) -> str:
    return fiscal_year_label(year)


def _new_role(seat: Membership, wanted: dict[Role, int] | None) -> Role:
    """Last year's role, unless the chairs were chosen for the committee: then chair/vice chair by body."""
    if not wanted or seat.department or not seat.role.has_vote:
        return seat.role
    for role in (Role.CHAIR, Role.VICE_CHAIR):
        if wanted.get(role) == seat.body_id:
            return role
    return Role.MEMBER if seat.role in (Role.CHAIR, Role.VICE_CHAIR) else seat.role


def apply(to_year: int, transfers: list[Transfer], *, actor, chairs: dict[int, dict[Role, int]] | None = None) -> Plan:
    """Write the plan (administrators only); refuses with the first problem when it has any."""
    require(actor is None or actor.is_admin, "only administrators run the rollover")
    result = plan(to_year, transfers, chairs=chairs)
    check(not result.problems, result.problems[0] if result.problems else "")
    created_users: dict[str, User] = {}
    for transfer in result.new_users:
        created_users[transfer.email] = accounts.create_invited_user(
            actor=actor, email=transfer.email, name=transfer.name, title=transfer.title, body=transfer.body)
    by_email = {u.email: u for u in db.session.scalars(
        select(User).where(User.email.in_([t.email for t in transfers if t.email] or [""])))}
    for seat, role, holder, transfer in result._writes:
        if holder is None:
            holder = created_users.get(transfer.email) or by_email[transfer.email]
        db.session.add(Membership(committee=seat.committee, fiscal_year=to_year, user=holder, body=seat.body,
                                  department=seat.department, role=role))
    db.session.flush()
    # One audit row per committee, as the per-committee handover writes: the committee's log shows its new roster.
    for committee in access.all_committees():
        writes = [(seat, transfer) for seat, _role, _holder, transfer in result._writes if seat.committee_id == committee.id]
        if writes:
            audit.record(actor, "committee.handover", committee, from_year=to_year - 1, to_year=to_year,
                         created=len(writes), via="rollover",
                         replaced=[{"seat": seat.seat_label, "user": transfer.email} for seat, transfer in writes
                                   if transfer is not None and transfer.email != seat.user.email],
                         invited=sorted(created_users))
    return result
