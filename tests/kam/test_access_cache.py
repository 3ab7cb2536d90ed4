"""Roles and the ids of a user's book are kept between requests (kam.access_cache), and any
change to who may see what takes effect on the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts import selectors
from accounts.models import Account, AccountMembership
from kam import access_cache
from kam.request_scope import request_scope
from kam.roles import Role
from tests.conftest import Cast
from tests.factories import AccountFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _detail(client: Client, account: Account) -> int:
    return client.get(reverse("accounts:detail", args=[account.pk])).status_code


def _access_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if "auth_group" in q["sql"] or "UNION" in q["sql"].upper()
    ]


def test_roles_and_book_are_read_once_then_kept_between_requests(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.teammate)
    url = reverse("accounts:list")
    assert len(_access_queries(client, url)) == 2  # the roles, the book's ids
    assert _access_queries(client, url) == []
    detail = reverse("accounts:detail", args=[cast.account.pk])
    assert len(_access_queries(client, detail)) == 1  # the ids of what they may change
    assert _access_queries(client, detail) == []


def test_a_new_owner_reaches_the_account_at_once_and_the_old_one_loses_it(cast: Cast) -> None:
    old, new = Client(), Client()
    old.force_login(cast.owner)
    new.force_login(cast.outsider)
    assert (_detail(old, cast.account), _detail(new, cast.account)) == (200, 404)
    account = Account.objects.get(pk=cast.account.pk)
    account.owner = cast.outsider
    account.save()
    assert (_detail(old, cast.account), _detail(new, cast.account)) == (404, 200)


def test_a_removed_membership_and_a_removed_role_take_effect_on_the_next_request(
    cast: Cast,
) -> None:
    teammate, executive = Client(), Client()
    teammate.force_login(cast.teammate)
    executive.force_login(cast.executive)
    assert (_detail(teammate, cast.account), _detail(executive, cast.account)) == (200, 200)
    AccountMembership.objects.get(account=cast.account, user=cast.teammate).delete()
    cast.executive.groups.remove(Group.objects.get(name=Role.EXECUTIVE))
    assert (_detail(teammate, cast.account), _detail(executive, cast.account)) == (404, 404)


def test_a_group_grant_and_a_new_team_lead_take_effect_on_the_next_request(cast: Cast) -> None:
    other = AccountFactory(owner=cast.owner, team=cast.team)
    outsider, new_lead = Client(), Client()
    outsider.force_login(cast.outsider)
    lead_user = UserFactory(username="lead.new", roles=[Role.TEAM_LEAD])
    new_lead.force_login(lead_user)
    assert (_detail(outsider, other), _detail(new_lead, other)) == (404, 404)
    group = Group.objects.create(name="Syndication desk")
    cast.outsider.groups.add(group)
    assign_perm("accounts.view_account", group, other)
    cast.team.lead = lead_user
    cast.team.save()
    assert (_detail(outsider, other), _detail(new_lead, other)) == (200, 200)


def test_a_renamed_owner_is_shown_in_the_kept_filter_sidebar(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:list")
    assert "Zebedee Quill" not in client.get(url).content.decode()
    cast.owner.first_name, cast.owner.last_name = "Zebedee", "Quill"
    cast.owner.save()
    assert "Zebedee Quill" in client.get(url).content.decode()


def test_saving_an_account_without_moving_it_keeps_what_is_kept(cast: Cast) -> None:
    before = access_cache.generation()
    account = Account.objects.get(pk=cast.account.pk)
    account.notes = "Met the CFO."
    account.save()
    account.tier = "strategic"
    account.save(update_fields=["tier"])
    assert access_cache.generation() == before
    account.team = TeamFactory(name="Water")
    account.save()
    assert access_cache.generation() != before


def test_the_generation_moves_again_when_the_change_commits(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """A reader that read the old rows while the writer's transaction was open must not keep
    them under the new generation: the generation moves once more after the commit."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        MembershipFactory(account=AccountFactory(owner=cast.owner), user=cast.outsider)
    during = access_cache.generation()
    for callback in callbacks:
        callback()
    assert access_cache.generation() != during


def test_a_lost_generation_never_brings_old_entries_back(cast: Cast) -> None:
    calls: list[int] = []
    assert access_cache.kept(cast.owner.pk, "probe", lambda: calls.append(1) or 1) == 1
    assert access_cache.kept(cast.owner.pk, "probe", lambda: calls.append(1) or 2) == 1
    cache.delete(access_cache.GENERATION_KEY)  # evicted
    assert access_cache.kept(cast.owner.pk, "probe", lambda: calls.append(1) or 3) == 3
    assert len(calls) == 2


@pytest.mark.usefixtures("redis_cache")
def test_the_access_cache_works_on_redis(cast: Cast) -> None:
    other = AccountFactory(owner=cast.outsider)
    with request_scope():
        assert other not in selectors.account_list_for_user(user=cast.teammate)
    with request_scope(), CaptureQueriesContext(connection) as captured:
        assert other not in selectors.account_list_for_user(user=cast.teammate)
    assert len(captured.captured_queries) == 1  # roles and ids from Redis
    MembershipFactory(account=other, user=cast.teammate)
    with request_scope():
        assert other in selectors.account_list_for_user(user=cast.teammate)
