"""Access is decided per request from the database: a user's roles and the ids of their book
are read at most once per user object (Django builds one per request, as it does for a
user's permissions) and never kept between requests. Also the ``__in_ids`` lookup the one
door filters by, and the choice labels built once per field and language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts import selectors
from accounts.models import Account
from accounts.rights import Right
from kam.models import User
from tests.conftest import Cast
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_visible_ids_are_read_once_per_user_object(cast: Cast) -> None:
    user = User.objects.get(pk=cast.teammate.pk)
    with CaptureQueriesContext(connection) as first:
        assert list(selectors.account_list_for_user(user=user)) == [cast.account]
    with CaptureQueriesContext(connection) as second:
        assert list(selectors.account_list_for_user(user=user)) == [cast.account]
    assert len(first.captured_queries) == 3  # the user's roles, the ids, then the accounts
    assert len(second.captured_queries) == 1  # the accounts only


def test_a_change_of_access_shows_on_the_next_user_object(cast: Cast) -> None:
    other = AccountFactory.create(owner=cast.outsider)
    user = User.objects.get(pk=cast.teammate.pk)
    assert other not in selectors.account_list_for_user(user=user)
    MembershipFactory.create(account=other, user=cast.teammate)
    fresh = User.objects.get(pk=cast.teammate.pk)  # the next request's user
    assert other in selectors.account_list_for_user(user=fresh)
    assert selectors.account_can(user=fresh, account=other, right=Right.EDIT_ACCOUNT)
    selectors.forget_access(user)  # or the same object, once told to forget
    assert other in selectors.account_list_for_user(user=user)


def test_an_update_behind_every_signal_shows_on_the_next_request(client, cast: Cast) -> None:
    url = reverse("accounts:detail", args=[cast.account.pk])
    client.force_login(cast.owner)
    assert client.get(url).status_code == 200
    Account.objects.filter(pk=cast.account.pk).update(owner=cast.outsider)
    with connection.cursor() as cursor:  # and no account team left to reach it by
        cursor.execute("DELETE FROM accounts_accountmembership WHERE user_id = %s", [cast.owner.pk])
    assert client.get(url).status_code == 404


def test_a_large_book_stays_a_subquery(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "VISIBLE_IDS_INLINE_MAX", 2)
    mine = AccountFactory.create_batch(3, owner=cast.teammate)
    user = User.objects.get(pk=cast.teammate.pk)
    visible = selectors.account_list_for_user(user=user)
    assert "UNION" in str(visible.query).upper()
    assert set(visible) == {*mine, cast.account}
    assert selectors.account_can(user=user, account=cast.account, right=Right.EDIT_ACCOUNT)
    assert not selectors.account_can(
        user=user, account=AccountFactory.create(owner=cast.outsider), right=Right.EDIT_ACCOUNT
    )


def test_in_ids_lookup(cast: Cast) -> None:
    accounts = AccountFactory.create_batch(3, owner=cast.owner)
    wanted = [accounts[0].pk, accounts[2].pk]
    assert set(Account.objects.filter(pk__in_ids=wanted)) == {accounts[0], accounts[2]}
    assert set(Account.objects.filter(pk__in_ids=[str(wanted[0])])) == {accounts[0]}
    assert not Account.objects.filter(pk__in_ids=[]).exists()
    assert Account.objects.exclude(pk__in_ids=[]).count() == Account.objects.count()


def test_another_rm_gets_a_404_through_the_ids_in_hand(client, cast: Cast) -> None:
    client.force_login(cast.outsider)
    assert client.get(reverse("accounts:detail", args=[cast.account.pk])).status_code == 404
    client.force_login(cast.teammate)
    assert client.get(reverse("accounts:detail", args=[cast.account.pk])).status_code == 200


def test_choice_labels_follow_the_active_language(cast: Cast) -> None:
    account = cast.account
    account.tier = "strategic"
    assert account.get_tier_display() == "Strategic"
    with translation.override("zh-hans"):
        assert account.get_tier_display() == "战略客户"
    assert account.get_tier_display() == "Strategic"
    account.tier = "not-a-tier"
    assert account.get_tier_display() == "not-a-tier"
