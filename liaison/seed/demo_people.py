"""The demo's people: the fixed logins (one shared password hash) and their seats, through the domain functions."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from ..domain import memberships as membership_rules
from ..domain import users as user_rules
from ..extensions import db
from ..models import Body, Committee, Membership, Role, User
from ..models.users import hash_password

DEMO_PASSWORD = "liaison-demo"

SURNAMES = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
    "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本"
).split()
GIVEN_NAMES = (
    "健一 裕子 誠 美穂 浩二 直美 隆 恵子 修 由美 大輔 真理子 和也 智子 勝 陽子 学 典子 剛 久美子 "
    "淳 明美 哲也 幸子 亮 理恵 聡 香織 拓也 純子"
).split()
PREFECTURAL_DEPARTMENTS = (
    "総務部", "企画財政部", "県民生活部", "環境部", "福祉部", "保健医療部", "産業労働部", "県土整備部",
)
# 企画運営部会: a handful of bodies (埼玉県 and larger cities, one town), by bodies.csv name.
PLANNING_BODIES = ("埼玉県", "さいたま市", "川越市", "熊谷市", "川口市", "所沢市", "越谷市", "伊奈町")
# 市町村職員広域研修部会: municipal bodies across the districts.
MUNICIPAL_TRAINING_BODIES = (
    "さいたま市", "川越市", "行田市", "秩父市", "飯能市", "加須市", "本庄市", "東松山市", "狭山市",
    "鴻巣市", "深谷市", "上尾市", "草加市", "戸田市", "朝霞市", "三芳町", "毛呂山町", "小川町",
    "寄居町", "宮代町", "杉戸町", "東秩父村",
)
# Bodies whose council seat changed hands at the last April handover (人事異動).
HANDED_OVER = ("さいたま市", "熊谷市", "春日部市", "戸田市", "小鹿野町")


def person_name(index: int) -> str:
    return f"{SURNAMES[index % len(SURNAMES)]} {GIVEN_NAMES[(index * 7) % len(GIVEN_NAMES)]}"


def _demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once per seed run and shared by every demo login (one scrypt hash takes ~0.15 s)."""
    if "demo_password_hash" not in g:
        g.demo_password_hash = hash_password(DEMO_PASSWORD)
    return g.demo_password_hash


def _user(email: str, name: str, **fields) -> User:
    user = user_rules.find_by_email(email)
    if user is None:
        user = user_rules.create_user(actor=None, email=email, name=name, password_hash=_demo_password_hash(), **fields)
    return user


def _seat(committee: Committee, fiscal_year: int, user: User, body: Body, role: Role, department: str = "") -> None:
    exists = db.session.scalar(
        select(Membership.id).where(
            Membership.committee_id == committee.id, Membership.fiscal_year == fiscal_year,
            Membership.user_id == user.id,
        )
    )
    if exists is None:
        membership_rules.appoint(
            actor=None, committee=committee, fiscal_year=fiscal_year, user=user, body=body, role=role,
            department=department,
        )
