"""The rights matrix (accounts.rights), cell by cell: what each way of reaching an account lets
a user do on it, read by the selectors and enforced by the views (403 without the right, 404
for an account the user does not reach). The table below is the README's "Rights on an
account", written out here so that a change of the matrix must change this test too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts.choices import MembershipRole
from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_get_for_user, account_rights
from kam.models import User
from kam.roles import Role
from tests.conftest import Cast
from tests.factories import ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ED, OW, CT, PI, PJ, RL, SV, TI, RK = (
    Right.EDIT_ACCOUNT,
    Right.CHANGE_OWNER,
    Right.EDIT_CONTACTS,
    Right.REVEAL_PII,
    Right.EDIT_PROJECTS,
    Right.RELATIONSHIP,
    Right.SERVICE,
    Right.TIERING,
    Right.RISK,
)

# Who (how they reach the account) → the rights they hold on it.
MATRIX: dict[str, set[Right]] = {
    "owner": {ED, CT, PI, PJ, RL, SV, TI, RK},
    "lead": {ED, OW, CT, PI, PJ, RL, SV, TI, RK},
    "co_rm": {ED, CT, PI, PJ, RL, SV, TI, RK},
    "analyst": {PJ, RL, RK},
    "esg": {PJ, RL, RK},
    "product": {RL, SV},
    "assistant": {CT, PI, RL, SV},
    "group_change": {ED, CT, PJ, RL, SV, TI, RK},
    "group_view": set(),
    "executive": set(),
    "risk": set(),
    "compliance": set(),
    "admin": {ED, OW, CT, PI, PJ, RL, SV, TI, RK},
}


def _member(role: str) -> Callable[[Cast], User]:
    def make(cast: Cast) -> User:
        user = UserFactory.create(username=f"team.{role}", roles=[])  # no portal role at all
        MembershipFactory.create(account=cast.account, user=user, role=role)
        return user

    return make


def _group(codenames: tuple[str, ...]) -> Callable[[Cast], User]:
    def make(cast: Cast) -> User:
        group = Group.objects.create(name=f"desk {'+'.join(codenames)}")
        for codename in codenames:
            assign_perm(f"accounts.{codename}", group, cast.account)
        user = UserFactory.create(username=f"desk.{codenames[-1]}", roles=[Role.RM])
        user.groups.add(group)
        return user

    return make


WHO: dict[str, Callable[[Cast], User]] = {
    "owner": lambda cast: cast.owner,
    "lead": lambda cast: cast.lead,
    "co_rm": lambda cast: cast.teammate,  # the cast's teammate is a co-RM on the account
    "analyst": _member(MembershipRole.ANALYST),
    "esg": _member(MembershipRole.ESG),
    "product": _member(MembershipRole.PRODUCT),
    "assistant": _member(MembershipRole.ASSISTANT),
    "group_change": _group(("view_account", "change_account")),
    "group_view": _group(("view_account",)),
    "executive": lambda cast: cast.executive,
    "risk": lambda cast: cast.risk,
    "compliance": lambda cast: cast.compliance,
    "admin": lambda cast: cast.admin,
}


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a request's user: nothing remembered


def _account(cast: Cast) -> Account:
    return Account.objects.select_related("owner", "team").get(pk=cast.account.pk)


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_way_of_reaching_an_account_holds_its_rights(cast: Cast, who: str) -> None:
    user = _fresh(WHO[who](cast))
    assert set(account_rights(user=user, account=_account(cast))) == MATRIX[who]


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_the_rights_are_the_same_for_a_book_too_large_to_list(
    cast: Cast, who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts import selectors

    monkeypatch.setattr(selectors, "VISIBLE_IDS_INLINE_MAX", 0)
    user = _fresh(WHO[who](cast))
    assert set(account_rights(user=user, account=_account(cast))) == MATRIX[who]


def test_ways_of_reaching_add_up(cast: Cast) -> None:
    """An analyst who also sits in a desk granted "change" holds both sets of rights."""
    user = _member(MembershipRole.ANALYST)(cast)
    group = Group.objects.create(name="Loans desk")
    assign_perm("accounts.change_account", group, cast.account)
    user.groups.add(group)
    assert set(account_rights(user=_fresh(user), account=_account(cast))) == (
        MATRIX["analyst"] | MATRIX["group_change"]
    )


def test_nobody_outside_the_account_holds_a_right_or_sees_it(cast: Cast) -> None:
    from django.http import Http404

    outsider = _fresh(cast.outsider)
    assert account_rights(user=outsider, account=_account(cast)) == frozenset()
    with pytest.raises(Http404):
        account_get_for_user(user=outsider, pk=cast.account.pk)
    for right in Right:
        with pytest.raises(Http404):
            account_get_for_user(user=outsider, pk=cast.account.pk, right=right)


def _get(path: str) -> Callable[[Client, Cast], int]:
    return lambda client, cast: client.get(path.format(pk=cast.account.pk)).status_code


def _reveal(client: Client, cast: Cast) -> int:
    contact = ContactFactory.create(account=cast.account, phone="13800138000")
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    return client.post(url).status_code


# A page that needs each right (all but the owner's change, which is a field of the edit form).
PAGES: dict[Right, Callable[[Client, Cast], int]] = {
    ED: _get("/accounts/{pk}/edit/"),
    CT: _get("/accounts/{pk}/contacts/new/"),
    PI: _reveal,
    PJ: _get("/accounts/{pk}/projects/new/"),
    RL: _get("/accounts/{pk}/interactions/new/"),
    SV: _get("/service/new/?account={pk}"),
    TI: _get("/accounts/{pk}/plan/edit/"),
    RK: _get("/risk/accounts/{pk}/alerts/new/"),
}


@pytest.mark.parametrize("right", list(PAGES), ids=str)
@pytest.mark.parametrize("who", sorted(MATRIX))
def test_the_pages_enforce_the_matrix(client: Client, cast: Cast, who: str, right: Right) -> None:
    client.force_login(WHO[who](cast))
    status = PAGES[right](client, cast)
    if right is RK and who == "risk":
        assert status == 200  # risk officers raise alerts on any account (risk's own rule)
    else:
        assert status == (200 if right in MATRIX[who] else 403)


def test_a_co_rm_cannot_take_the_account_from_its_owner(client: Client, cast: Cast) -> None:
    """Finding 1 of the security review: the co-RM's edit form offered only themselves as
    owner, so any save made them the owner and locked the real owner out."""
    url = reverse("accounts:edit", args=[cast.account.pk])
    client.force_login(cast.teammate)
    page = client.get(url).content.decode()
    assert 'name="owner"' not in page and 'name="legal_name_en"' in page
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["legal_name_en"] = "Sunrise Power Holdings (renamed)"
    data["owner"] = cast.teammate.pk  # tampered: the field is not on the form
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    account = Account.objects.get(pk=cast.account.pk)
    assert account.legal_name_en == "Sunrise Power Holdings (renamed)"
    assert account.owner_id == cast.owner.pk and account.team_id == cast.team.pk
    client.force_login(cast.owner)
    assert client.get(reverse("accounts:detail", args=[cast.account.pk])).status_code == 200


def test_the_team_lead_hands_an_account_to_another_rm(client: Client, cast: Cast) -> None:
    successor = UserFactory.create(username="rm.qian", team=cast.team, roles=[Role.RM])
    url = reverse("accounts:edit", args=[cast.account.pk])
    client.force_login(cast.lead)
    form = client.get(url).context["form"]
    owners = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert {"rm.wang", "rm.qian"} <= owners and "rm.zhang" not in owners  # not another team's
    data = {name: form[name].value() or "" for name in form.fields}
    data["owner"] = successor.pk
    assert client.post(url, data).status_code == 302
    assert Account.objects.get(pk=cast.account.pk).owner_id == successor.pk
