"""The group models' rules (one parent chain, no circles, connected pairs stored once), the
capital base that applies, the change log, the admin pages, and a clean migration state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from groups.models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership
from tests.conftest import Cast
from tests.factories import AccountFactory

from .support import capital, connect, group

pytestmark = pytest.mark.django_db


def test_migrations_match_the_models() -> None:
    out = StringIO()
    call_command("makemigrations", "client_groups", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_parent_must_be_in_the_same_group_and_never_a_circle() -> None:
    top, a, b = (AccountFactory.create() for _ in range(3))
    made = group(top, a)
    GroupMembership.objects.create(group=made, account=b, parent=a, ownership_pct=Decimal("70"))
    elsewhere = AccountFactory.create()
    group(elsewhere)

    outside_parent = GroupMembership.objects.get(account=b)
    outside_parent.parent = elsewhere
    with pytest.raises(ValidationError, match="same group"):
        outside_parent.full_clean()

    circle = GroupMembership.objects.get(account=a)
    circle.parent = b  # b is owned by a
    with pytest.raises(ValidationError, match="circle"):
        circle.full_clean()

    no_parent = GroupMembership(group=made, account=AccountFactory.create())
    with pytest.raises(ValidationError, match="direct parent"):
        no_parent.full_clean()


def test_a_connection_is_stored_once_lower_id_first() -> None:
    a, b = AccountFactory.create(), AccountFactory.create()
    link = connect(b, a)
    assert (link.account_id, link.other_id) == (a.pk, b.pk)
    with pytest.raises(ValidationError):
        ConnectedParty(account=a, other=a, reason="other").full_clean()


def test_the_latest_capital_base_applies_and_tier1_cannot_exceed_net() -> None:
    assert CapitalBase.current() is None
    capital("100", "120", as_of=dt.date(2025, 12, 31))
    latest = capital("110", "130", as_of=dt.date(2026, 6, 30))
    assert CapitalBase.current() == latest
    wrong = CapitalBase(as_of=dt.date(2026, 9, 30), tier1_net_capital=200, net_capital=100)
    with pytest.raises(ValidationError, match="cannot exceed"):
        wrong.full_clean()


def test_every_group_model_is_in_the_change_log() -> None:
    top, sub, other = (AccountFactory.create() for _ in range(3))
    made = group(top, sub)
    link = connect(sub, other)
    base = capital("100", "120")
    made.note = "Restructured in 2026"
    made.save()
    for obj in (made, GroupMembership.objects.get(account=sub), link, base):
        assert LogEntry.objects.get_for_object(obj).exists(), obj
    entry = LogEntry.objects.get_for_object(made).filter(action=LogEntry.Action.UPDATE).get()
    assert "note" in entry.changes_dict


def test_the_admin_lists_and_edits_groups(client, cast: Cast) -> None:
    top, sub = AccountFactory.create(), AccountFactory.create()
    made = group(top, sub, name="Admin Group")
    capital("100", "120")
    client.force_login(cast.admin)
    for name in ("clientgroup", "groupmembership", "connectedparty", "capitalbase"):
        assert client.get(reverse(f"admin:client_groups_{name}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:client_groups_clientgroup_change", args=[made.pk])).status_code
        == 200
    )
    # A group added in the admin without members gets its top as a member.
    new_top = AccountFactory.create()
    response = client.post(
        reverse("admin:client_groups_clientgroup_add"),
        {
            "name_en": "Fresh Group",
            "name_zh": "",
            "parent": new_top.pk,
            "note": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = ClientGroup.objects.get(name_en="Fresh Group")
    assert GroupMembership.objects.get(account=new_top).group == fresh
