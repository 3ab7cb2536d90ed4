"""What a page reads once per request (kam.request_scope), the ``__in_ids`` lookup the one
door filters by, and the choice labels built once per field and language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts import selectors
from accounts.models import Account
from kam.request_scope import remember, request_scope
from tests.conftest import Cast
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_remember_computes_once_per_scope_and_always_outside_one() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert remember("k", compute) == 1
    assert remember("k", compute) == 2  # no scope: every call computes
    with request_scope():
        assert remember("k", compute) == 3
        assert remember("k", compute) == 3
    with request_scope():
        assert remember("k", compute) == 4


def test_the_visible_ids_are_read_once_per_request(cast: Cast) -> None:
    with request_scope():
        with CaptureQueriesContext(connection) as first:
            assert list(selectors.account_list_for_user(user=cast.teammate)) == [cast.account]
        with CaptureQueriesContext(connection) as second:
            assert list(selectors.account_list_for_user(user=cast.teammate)) == [cast.account]
    assert len(first.captured_queries) == 3  # the user's roles, the ids, then the accounts
    assert len(second.captured_queries) == 1  # the accounts only


def test_a_change_of_access_in_the_same_request_is_seen(cast: Cast) -> None:
    other = AccountFactory(owner=cast.outsider)
    with request_scope():
        assert other not in selectors.account_list_for_user(user=cast.teammate)
        assert not selectors.account_is_writable(user=cast.teammate, account=other)
        MembershipFactory(account=other, user=cast.teammate)  # forgets what was remembered
        assert other in selectors.account_list_for_user(user=cast.teammate)
        assert selectors.account_is_writable(user=cast.teammate, account=other)


def test_a_large_book_stays_a_subquery(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "VISIBLE_IDS_INLINE_MAX", 2)
    mine = AccountFactory.create_batch(3, owner=cast.teammate)
    visible = selectors.account_list_for_user(user=cast.teammate)
    assert "UNION" in str(visible.query).upper()
    assert set(visible) == {*mine, cast.account}
    assert selectors.account_is_writable(user=cast.teammate, account=cast.account)
    assert not selectors.account_is_writable(
        user=cast.teammate, account=AccountFactory(owner=cast.outsider)
    )


def test_in_ids_lookup(cast: Cast) -> None:
    accounts = AccountFactory.create_batch(3, owner=cast.owner)
    wanted = [accounts[0].pk, accounts[2].pk]
    assert set(Account.objects.filter(pk__in_ids=wanted)) == {accounts[0], accounts[2]}
    assert set(Account.objects.filter(pk__in_ids=[str(wanted[0])])) == {accounts[0]}
    assert not Account.objects.filter(pk__in_ids=[]).exists()
    assert Account.objects.exclude(pk__in_ids=[]).count() == Account.objects.count()


def test_another_rm_still_gets_a_404_through_the_remembered_ids(client, cast: Cast) -> None:  # type: ignore[no-untyped-def]
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
