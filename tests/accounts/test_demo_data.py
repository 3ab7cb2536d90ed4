"""The demo book (seed_demo) and the volume generator (generate_volume)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from stdnum.cn import uscc

from accounts.choices import ContactChannel, Tier
from accounts.models import (
    Account,
    AccountMembership,
    Contact,
    Facility,
    FacilityClassificationChange,
    Project,
    ProjectParty,
)
from demo.accounts import ACCOUNTS, USERS, build_demo_book, make_uscc, org_code_check_char
from demo.accounts_volume import (
    EXEC_USERNAME,
    generate_volume,
    next_volume_index,
    rm_username,
    volume_uscc,
)
from groups.models import ClientGroup, ConnectedParty, GroupMembership
from kam.models import Team, User
from kam.roles import Role

TODAY = date(2026, 11, 28)


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "projects": Project.objects.count(),
        "memberships": AccountMembership.objects.count(),
        "parties": ProjectParty.objects.count(),
        "facilities": Facility.objects.count(),
        "classification_changes": FacilityClassificationChange.objects.count(),
        "groups": ClientGroup.objects.count(),
        "group_members": GroupMembership.objects.count(),
        "connections": ConnectedParty.objects.count(),
        "log": LogEntry.objects.count(),
    }


def _raw(sql: str, params: Sequence[int | str]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# ---------------------------------------------------------------- credit codes


def test_org_code_check_character_follows_gb_11714() -> None:
    # The organisation code of a published licence: 60003734-1 (weights 3,7,9,10,5,8,4,2).
    assert org_code_check_char("60003734") == "1"


def test_generated_credit_codes_are_valid() -> None:
    code = make_uscc(division="110108", org_body="12345678")
    assert uscc.is_valid(code)
    assert all(uscc.is_valid(volume_uscc(i)) for i in (0, 1, 30, 31, 10_000, 887_000_000))
    assert len({volume_uscc(i) for i in range(5000)}) == 5000


# ---------------------------------------------------------------- demo book


def test_demo_book_is_the_same_every_time_and_well_formed() -> None:
    first = build_demo_book(today=TODAY)
    assert first == build_demo_book(today=TODAY)
    # The 60 relationship accounts lead the projects; project companies (SPVs) and the
    # counterparties (contractors, operators, off-takers, lenders, insurers, engineers,
    # regional investors) follow.
    relationship = first[: len(ACCOUNTS)]
    assert len(ACCOUNTS) == 60
    assert [spec.legal_name_en for spec in relationship] == [row[1] for row in ACCOUNTS]
    assert len(first) > 150
    tiers = Counter(spec.tier for spec in relationship)
    assert tiers == {Tier.STRATEGIC: 8, Tier.KEY: 14, Tier.CORE: 20, Tier.STANDARD: 18}
    assert len({spec.key for spec in first}) == len(first), "the English name is the key"
    codes = [spec.uscc for spec in first if spec.uscc]
    assert len(codes) == len(set(codes))
    assert all(uscc.is_valid(code) for code in codes)
    assert any(spec.uscc is None for spec in first), "foreign sponsors carry no credit code"
    for spec in first:
        assert 2 <= len(spec.contacts) <= 6
        assert len({c.name for c in spec.contacts}) == len(spec.contacts)
        assert len({p.name for p in spec.projects}) == len(spec.projects)
        for project in spec.projects:
            assert project.outstanding <= project.commitment <= project.total_cost
    for spec in relationship:
        assert 1 <= len(spec.projects) <= 4
    assert not any(spec.projects for spec in first[len(ACCOUNTS) :])


@pytest.mark.django_db
def test_seed_demo_creates_the_book_and_the_role_logins() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)

    accounts = len(build_demo_book(today=date.today()))  # noqa: DTZ011 - the loader's day
    assert Account.objects.count() == accounts
    assert Contact.objects.count() >= 2 * accounts
    assert Project.objects.count() >= 60
    assert ProjectParty.objects.count() >= 5 * Project.objects.count()
    assert Facility.objects.exists() and ClientGroup.objects.exists()
    assert AccountMembership.objects.exists()
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert check_password("kam-demo-2026", user.password)
        if spec.role:
            assert user.has_role(spec.role)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.has_role(Role.ADMIN)
    rms = {u.username for u in User.objects.filter(groups__name=Role.RM)}
    assert {"rm.wang", "rm.li", "rm.zhang", "rm.chen"} <= rms
    energy_lead = Team.objects.get(name="Energy & Power").lead
    infrastructure_lead = Team.objects.get(name="Infrastructure").lead
    assert energy_lead is not None and energy_lead.username == "lead.zhao"
    assert infrastructure_lead is not None and infrastructure_lead.username == "lead.huang"
    # Every RM owns part of the book, and every account follows its owner's team.
    owners = Counter(Account.objects.values_list("owner__username", flat=True))
    assert set(owners) == {"rm.wang", "rm.li", "rm.zhang", "rm.chen"}
    assert not Account.objects.exclude(team=F("owner__team")).exists()
    # Created through save(), so the audit trail has the creation of each account.
    assert LogEntry.objects.filter(action=LogEntry.Action.CREATE).count() >= accounts
    for contact in Contact.objects.all():
        assert set(contact.channel_preferences) <= set(ContactChannel.values)
    assert f"{accounts} accounts" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    call_command("seed_demo", stdout=StringIO())
    rm = User.objects.get(username="rm.wang")
    rm.set_password("changed-by-the-user")
    rm.save()  # in the change log (masked) before the counts
    before = _counts()

    monkeypatch.setenv("DEMO_PASSWORD", "another-password")
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _counts() == before
    rm.refresh_from_db()
    assert rm.check_password("changed-by-the-user"), "an existing password is never reset"
    assert "nothing to do" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_an_existing_book_alone() -> None:
    call_command("seed_demo", stdout=StringIO())
    full = _counts()
    # A relationship account that heads no group and owes nothing can be deleted.
    victim = (
        Account.objects.filter(
            legal_name_en__in=[row[1] for row in ACCOUNTS],
            group_membership__isnull=True,
            borrowed_facilities__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    assert victim is not None
    victim.delete()
    before = _counts()

    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert _counts() == before

    # Without --if-empty the missing account comes back, and nothing else is duplicated.
    call_command("seed_demo", stdout=StringIO())
    assert Account.objects.count() == full["accounts"]
    assert Account.objects.filter(legal_name_en=victim.legal_name_en).count() == 1
    assert ProjectParty.objects.count() == full["parties"]
    assert Facility.objects.count() == full["facilities"]


# ---------------------------------------------------------------- volume


@pytest.mark.django_db
def test_generate_volume_makes_the_rows_asked_for() -> None:
    out = StringIO()
    call_command(
        "generate_volume",
        "--accounts=20",
        "--contacts-per-account=3",
        "--projects-per-account=2",
        "--accounts-per-rm=5",
        stdout=out,
    )

    assert Account.objects.count() == 20
    assert Contact.objects.count() == 60
    assert Project.objects.count() == 40
    assert "20 accounts" in out.getvalue()
    codes = list(Account.objects.values_list("uscc", flat=True))
    assert len(set(codes)) == 20
    assert all(code is not None and uscc.is_valid(code) for code in codes)
    assert ProjectParty.objects.count() == 40 * 5
    assert Facility.objects.count() == 40
    for facility in Facility.objects.select_related("project"):
        assert facility.commitment <= facility.project.total_cost
        assert facility.undrawn <= facility.commitment


@pytest.mark.django_db
def test_generate_volume_spreads_accounts_over_rms_and_teams() -> None:
    result = generate_volume(accounts=25, accounts_per_rm=5, password="pw", membership_share=1.0)

    owners = Counter(Account.objects.values_list("owner__username", flat=True))
    assert owners == {rm_username(n): 5 for n in range(1, 6)}
    for account in Account.objects.select_related("owner"):
        assert account.owner.has_role(Role.RM)
        assert account.team_id == account.owner.team_id
        assert account.team is not None and account.team.lead is not None
    assert User.objects.get(username=EXEC_USERNAME).has_role(Role.EXECUTIVE)
    assert check_password("pw", User.objects.get(username=rm_username(1)).password)
    # Co-RMs come from the owner's own team.
    assert result.memberships == AccountMembership.objects.count() > 0
    for membership in AccountMembership.objects.select_related("user", "account__owner"):
        assert membership.user.team_id == membership.account.owner.team_id
        assert membership.user_id != membership.account.owner_id


@pytest.mark.django_db
def test_generate_volume_keeps_personal_data_encrypted() -> None:
    generate_volume(accounts=2, contacts_per_account=2, projects_per_account=0, password="pw")
    contact = Contact.objects.order_by("pk").first()
    assert contact is not None and contact.phone.isdigit() and "@" in contact.email

    [(raw_phone, raw_email, phone_index)] = _raw(
        "SELECT phone, email, phone_index FROM accounts_contact WHERE id = %s", [contact.pk]
    )
    assert contact.phone not in str(raw_phone)
    assert contact.email not in str(raw_email)
    assert phone_index, "the blind index is computed on bulk insert too"
    assert Contact.objects.with_phone(contact.phone).get() == contact
    assert Contact.objects.with_email(contact.email.upper()).get() == contact


@pytest.mark.django_db
def test_generate_volume_runs_are_additive_and_never_collide() -> None:
    generate_volume(accounts=7, accounts_per_rm=5, password="pw", seed=1)
    assert next_volume_index() == 7
    generate_volume(accounts=7, accounts_per_rm=5, password="pw", seed=1)
    generate_volume(accounts=3, accounts_per_rm=5, password="pw", seed=2)

    assert Account.objects.count() == 17
    assert Account.objects.values("uscc").distinct().count() == 17
    owners = Counter(Account.objects.values_list("owner__username", flat=True))
    assert max(owners.values()) == 5
    assert User.objects.filter(username=EXEC_USERNAME).count() == 1
