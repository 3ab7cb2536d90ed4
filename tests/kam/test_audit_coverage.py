"""What the change log and the access log cover: every business model's creates, updates and
deletes (or a stated reason why a model is not in it), users, roles, teams and grants, the
changes services make with conditional updates, and sign-ins, failed sign-ins and sign-outs."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

import accounts.audit
import interactions.audit
import kam.audit
import privacy.audit
import risk.audit
from interactions.services.interactions import follow_up_complete, follow_up_reopen
from kam.models import AccessLog, User
from kam.roles import Role
from risk.choices import Severity
from risk.models import Alert
from risk.services.alerts import alert_acknowledge
from tests.conftest import Cast
from tests.factories import TeamFactory, UserFactory
from tests.interactions.factories import FollowUpFactory, InteractionFactory
from tests.risk.support import make_rule

pytestmark = pytest.mark.django_db

OUR_APPS = ("kam", "accounts", "esg", "interactions", "privacy", "risk", "dashboard", "demo")
NOT_AUDITED = {
    **kam.audit.NOT_AUDITED,
    **accounts.audit.NOT_AUDITED,
    **interactions.audit.NOT_AUDITED,
    **risk.audit.NOT_AUDITED,
    **privacy.audit.NOT_AUDITED,
    "dashboard.AccountQuarterSnapshot": "figures computed from audited records",
}


def _entries(obj: object, action: int | None = None) -> list[LogEntry]:
    entries = LogEntry.objects.get_for_object(obj).order_by("pk")
    if action is not None:
        entries = entries.filter(action=action)
    return list(entries)


def test_every_model_is_in_the_change_log_or_says_why_not() -> None:
    unaccounted = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        label = model._meta.label
        if auditlog.contains(model) == (label in NOT_AUDITED):
            unaccounted.append(label)
    assert not unaccounted, "register these in their app's audit.py, or say why not there"
    guardian = [m for m in apps.get_models() if m._meta.app_label == "guardian"]
    for registered in (Group, User, *guardian):
        assert auditlog.contains(registered), registered


def test_follow_ups_are_logged_created_changed_done_and_deleted(cast: Cast) -> None:
    follow_up = FollowUpFactory.create(
        interaction=InteractionFactory.create(account=cast.account), owner=cast.owner
    )
    follow_up.description = "Send the revised term sheet"
    follow_up.save()
    assert follow_up_complete(follow_up=follow_up, user=cast.owner)
    assert follow_up_reopen(follow_up=follow_up, user=cast.owner)
    pk = follow_up.pk
    follow_up.delete()
    entries = LogEntry.objects.filter(content_type__model="followup", object_id=pk).order_by("pk")
    assert [e.action for e in entries] == [0, 1, 1, 1, 2]
    done, reopened = entries[2], entries[3]
    assert set(done.changes_dict) == {"done_at"} and done.changes_dict["done_at"][0] == "None"
    assert reopened.changes_dict["done_at"][1] == "None"
    assert all(e.additional_data == {"account_id": cast.account.pk} for e in entries)


def test_interaction_participants_and_confidential_notes(cast: Cast) -> None:
    interaction = InteractionFactory.create(account=cast.account, summary="Secret pricing")
    interaction.internal_participants.add(cast.teammate)
    interaction.summary = "Even more secret pricing"
    interaction.save()
    entries = _entries(interaction)
    m2m = [e for e in entries if "internal_participants" in (e.changes_dict or {})]
    assert m2m and m2m[0].changes_dict["internal_participants"]["operation"] == "add"
    text = " ".join(str(e.changes) for e in entries)
    assert "secret" not in text.lower()
    update = entries[-1]
    assert update.changes_dict["summary"] == ["********", "********"]


def test_an_alert_acknowledged_by_a_conditional_update_is_logged_with_its_actor(
    cast: Cast,
) -> None:
    rule = make_rule("esg_event", name="ESG")
    alert = Alert.objects.create(
        account=cast.account,
        rule=rule,
        severity=Severity.HIGH,
        title="Protest",
        owner=cast.owner,
        ack_deadline=timezone.now() + dt.timedelta(days=1),
    )
    from auditlog.context import set_actor

    with set_actor(cast.owner):
        alert_acknowledge(alert=alert, user=cast.owner)
    update = _entries(alert, LogEntry.Action.UPDATE)[-1]
    assert update.actor == cast.owner
    assert update.changes_dict["state"] == ["open", "acknowledged"]
    assert update.changes_dict["acknowledged_by"] == ["None", str(cast.owner.pk)]


def test_users_roles_and_teams_are_logged_without_secrets(cast: Cast) -> None:
    user = UserFactory.create(username="rm.new")
    user.set_password("a much better password")
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    user.groups.add(Group.objects.get(name=Role.RM))
    user.groups.remove(Group.objects.get(name=Role.RM))
    team = TeamFactory.create(name="Infrastructure")
    team.lead = cast.lead
    team.save()
    entries = _entries(user)
    assert entries[0].action == LogEntry.Action.CREATE
    serialised = " ".join(str(e.changes) for e in entries)
    assert "pbkdf2" not in serialised and "md5" not in serialised and "last_login" not in serialised
    assert any(e.changes_dict.get("password") == ["********", "********"] for e in entries)
    roles = [e.changes_dict["groups"] for e in entries if "groups" in e.changes_dict]
    assert [r["operation"] for r in roles] == ["add", "delete"]
    assert roles[0]["objects"] == [Role.RM]
    assert _entries(team, LogEntry.Action.UPDATE)[0].changes_dict["lead"][1] == str(cast.lead.pk)


def test_object_grants_to_groups_are_logged(cast: Cast) -> None:
    group = Group.objects.create(name="Syndicate desk")
    assign_perm("accounts.view_account", group, cast.account)
    remove_perm("accounts.view_account", group, cast.account)
    grants = LogEntry.objects.filter(content_type__model="accountgroupobjectpermission")
    assert [e.action for e in grants.order_by("pk")] == [0, 2]


def test_signing_in_failing_and_signing_out_are_in_the_access_log(client, cast: Cast) -> None:
    cast.owner.set_password("correct horse battery")
    cast.owner.save()
    login = reverse("login")
    client.post(login, {"username": "rm.wang", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    client.post(login, {"username": "nobody", "password": "wrong"})
    response = client.post(login, {"username": "rm.wang", "password": "correct horse battery"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    rows = list(AccessLog.objects.order_by("pk").values_list("action", "user_id", "object_repr"))
    assert rows == [
        ("login_failed", cast.owner.pk, "rm.wang"),
        ("login_failed", None, "nobody"),
        ("login", cast.owner.pk, "rm.wang"),
        ("logout", cast.owner.pk, "rm.wang"),
    ]
    assert (
        AccessLog.objects.filter(action="login_failed").order_by("pk")[0].ip_address
        == "203.0.113.7"
    )
    assert "wrong" not in str(list(AccessLog.objects.values_list("detail", flat=True)))
