"""Default-deny: who sees, who changes, and what everyone else gets (404 / 403)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_get_for_user, account_list_for_user, forget_access
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

SEES = ["owner", "teammate", "lead", "executive", "risk", "compliance", "admin"]
WRITES = ["owner", "teammate", "lead", "admin"]
READ_ONLY = ["executive", "risk", "compliance"]
DENIED = ["outsider", "other_lead"]


@pytest.mark.parametrize("who", SEES + DENIED)
def test_list_selector_shows_the_account_only_to_those_who_may_see_it(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    visible = account_list_for_user(user=user)
    assert (cast.account in visible) is (who in SEES)


@pytest.mark.parametrize("who", SEES + DENIED)
def test_write_selector_is_narrower(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    writable = account_list_for_user(user=user, right=Right.EDIT_ACCOUNT)
    assert (cast.account in writable) is (who in WRITES)


def test_inactive_and_anonymous_users_see_nothing(cast: Cast) -> None:
    from django.contrib.auth.models import AnonymousUser

    cast.owner.is_active = False
    cast.owner.save()
    assert not account_list_for_user(user=cast.owner).exists()
    assert not account_list_for_user(user=AnonymousUser()).exists()  # type: ignore[arg-type]


def test_selector_does_not_duplicate_rows_for_many_grants(cast: Cast) -> None:
    group = Group.objects.create(name="Syndication desk")
    cast.owner.groups.add(group)
    assign_perm("accounts.view_account", group, cast.account)
    assign_perm("accounts.change_account", group, cast.account)
    assert list(account_list_for_user(user=cast.owner)) == [cast.account]


def test_guardian_group_grant_opens_an_account_to_that_group(cast: Cast) -> None:
    group = Group.objects.create(name="Co-lending desk")
    cast.outsider.groups.add(group)
    assert cast.account not in account_list_for_user(user=cast.outsider)
    assign_perm("accounts.view_account", group, cast.account)
    forget_access(cast.outsider)  # the next request's user reads their book afresh
    assert cast.account in account_list_for_user(user=cast.outsider)
    assert cast.account not in account_list_for_user(user=cast.outsider, right=Right.EDIT_ACCOUNT)
    assign_perm("accounts.change_account", group, cast.account)
    forget_access(cast.outsider)
    assert cast.account in account_list_for_user(user=cast.outsider, right=Right.EDIT_ACCOUNT)


def test_team_lead_sees_every_account_of_the_team_not_others(cast: Cast) -> None:
    other = AccountFactory.create(owner=cast.outsider)
    assert set(account_list_for_user(user=cast.lead)) == {cast.account}
    assert set(account_list_for_user(user=cast.other_lead)) == {other}


def test_get_for_user_raises_404_then_403() -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    account = AccountFactory.create()
    stranger = UserFactory.create(roles=["Relationship manager"])
    with pytest.raises(Http404):
        account_get_for_user(user=stranger, pk=account.pk)
    executive = UserFactory.create(roles=["Executive"])
    assert account_get_for_user(user=executive, pk=account.pk) == account
    with pytest.raises(PermissionDenied):
        account_get_for_user(user=executive, pk=account.pk, right=Right.EDIT_ACCOUNT)
    with pytest.raises(Http404):
        account_get_for_user(user=executive, pk="not-a-number")


# ---------------------------------------------------------------- views, per person


def _pages(cast: Cast) -> dict[str, str]:
    a = cast.account
    contact = ContactFactory.create(account=a)
    project = ProjectFactory.create(account=a)
    return {
        "detail": reverse("accounts:detail", args=[a.pk]),
        "edit": reverse("accounts:edit", args=[a.pk]),
        "contact_create": reverse("accounts:contact_create", args=[a.pk]),
        "contact_edit": reverse("accounts:contact_edit", args=[a.pk, contact.pk]),
        "project_create": reverse("accounts:project_create", args=[a.pk]),
        "project_edit": reverse("accounts:project_edit", args=[a.pk, project.pk]),
        "project_detail": reverse("accounts:project_detail", args=[a.pk, project.pk]),
        "party_create": reverse("accounts:party_create", args=[a.pk, project.pk]),
        "facility_create": reverse("accounts:facility_create", args=[a.pk, project.pk]),
    }


READ_PAGES = ["detail", "project_detail"]
WRITE_PAGES = [
    "edit",
    "contact_create",
    "contact_edit",
    "project_create",
    "project_edit",
    "party_create",
    "facility_create",
]


@pytest.mark.parametrize("who", SEES + DENIED)
def test_account_pages_answer_by_role(client, cast: Cast, who: str) -> None:
    pages = _pages(cast)
    client.force_login(getattr(cast, who))
    for name in READ_PAGES:
        expected = 200 if who in SEES else 404
        assert client.get(pages[name]).status_code == expected, name
    for name in WRITE_PAGES:
        expected = 200 if who in WRITES else 403 if who in READ_ONLY else 404
        assert client.get(pages[name]).status_code == expected, name
        assert client.post(pages[name], {}).status_code in (
            (200,) if who in WRITES else (expected,)
        ), name


@pytest.mark.parametrize("who", READ_ONLY + DENIED)
def test_a_post_from_someone_who_may_not_change_changes_nothing(
    client, cast: Cast, who: str
) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("accounts:edit", args=[cast.account.pk])
    response = client.post(
        url,
        {
            "legal_name_en": "Hijacked",
            "industry": "power",
            "region": "cn_east",
            "status": "active",
            "account_type": "sponsor",
            "owner": getattr(cast, who).pk,
        },
    )
    assert response.status_code == (403 if who in READ_ONLY else 404)
    cast.account.refresh_from_db()
    assert cast.account.legal_name_en == "Sunrise Power Holdings"


@pytest.mark.parametrize("who", SEES + DENIED)
def test_account_list_shows_only_visible_accounts(client, cast: Cast, who: str) -> None:
    AccountFactory.create(owner=cast.outsider, legal_name_en="Harbour Logistics Group")
    client.force_login(getattr(cast, who))
    body = client.get(reverse("accounts:list")).content.decode()
    assert ("Sunrise Power Holdings" in body) is (who in SEES)
    assert ("Harbour Logistics Group" in body) is (
        who in ("outsider", "other_lead", "executive", "risk", "compliance", "admin")
    )


@pytest.mark.parametrize("who", SEES + DENIED)
def test_search_by_credit_code_never_reveals_a_hidden_account(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    body = client.get(reverse("accounts:list"), {"q": cast.account.uscc}).content.decode()
    assert ("Sunrise Power Holdings" in body) is (who in SEES)


@pytest.mark.parametrize("who", ["executive", "risk", "compliance"])
def test_read_only_roles_cannot_create_accounts(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(reverse("accounts:create")).status_code == 403
    assert client.post(reverse("accounts:create"), {"legal_name_en": "X"}).status_code == 403
    assert Account.objects.count() == 1


def test_anonymous_users_are_sent_to_login(client, cast: Cast) -> None:
    for url in (
        reverse("home"),
        reverse("accounts:list"),
        reverse("accounts:detail", args=[cast.account.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
