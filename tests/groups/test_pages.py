"""The group list and page through the one door (another RM gets a 404), names without links
for accounts outside the user's book, the account page's link to its group, a query budget
that does not grow with the members, and the forms only administrators and risk officers use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.choices import FacilityKind, LoanClass, PartyRole, ProjectStage, Tier
from accounts.models import Account, ProjectParty
from groups.models import ClientGroup, ConnectedParty, GroupMembership
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory, UserFactory

from .support import capital, connect, facility, group

pytestmark = pytest.mark.django_db

# Session, user, roles, book; the group; members; facilities; parties; links and the other
# groups of linked accounts; rates; capital; the connected group (a step per link away) and
# its exposure.
GROUP_PAGE_BUDGET = 15


def _group_with_owner(cast: Cast) -> tuple[ClientGroup, Account, Account]:
    stranger = UserFactory.create()  # owns the rest of the group, outside the cast's books
    top = AccountFactory.create(owner=stranger, legal_name_en="Hidden Parent Holdings")
    sub = AccountFactory.create(owner=stranger, legal_name_en="Hidden Subsidiary Ltd")
    made = group(top, sub, cast.account, name="Sunrise Group")
    GroupMembership.objects.filter(account=cast.account).update(parent=sub, ownership_pct=60)
    return made, top, sub


def test_a_member_accounts_owner_sees_the_group_and_other_rms_get_404(client, cast: Cast) -> None:
    made, top, sub = _group_with_owner(cast)
    facility(cast.account, drawn="100", undrawn="20")
    facility(sub, drawn="50", kind=FacilityKind.GUARANTEE, classification=LoanClass.SUBSTANDARD)
    url = reverse("groups:detail", args=[made.pk])

    client.force_login(cast.owner)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    # Accounts outside the owner's book: named, never linked.
    assert "Hidden Parent Holdings" in body
    assert reverse("accounts:detail", args=[top.pk]) not in body
    assert reverse("accounts:detail", args=[cast.account.pk]) in body
    page = response.context
    assert [m.account_id for m in page["members"]] == [top.pk, sub.pk, cast.account.pk]
    assert [m.depth for m in page["members"]] == [0, 1, 2]
    assert page["members"][2].ownership_pct == Decimal("60.00")
    assert page["exposure"].total_cny == Decimal("170")
    assert [(row.code, row.exposure_cny) for row in page["classes"]] == [
        (LoanClass.NORMAL, Decimal("120")),
        (LoanClass.SUBSTANDARD, Decimal("50")),
    ]

    for who in (cast.teammate, cast.executive, cast.risk):  # the account team; readers of all
        client.force_login(who)
        assert client.get(url).status_code == 200
    client.force_login(cast.outsider)
    assert client.get(url).status_code == 404
    response = client.get(reverse("groups:list"))
    assert made not in [row["group"] for row in response.context["rows"]]


def test_members_outside_the_book_show_by_name_only_but_count_in_the_totals(
    client, cast: Cast
) -> None:
    """An RM who sees one member of the group: the others are named, without their exposure,
    facilities or projects; the group's totals include them, and the page says how many."""
    made, top, sub = _group_with_owner(cast)
    own = facility(cast.account, drawn="100", undrawn="20")
    own.project.name = "Own Solar Farm"
    own.project.save()
    theirs = facility(sub, drawn="50", kind=FacilityKind.GUARANTEE, classification=4)
    theirs.project.name = "Hidden Wind Farm"
    theirs.project.save()
    facility(sub, drawn="7", project=theirs.project)
    facility(top, drawn="3")
    url = reverse("groups:detail", args=[made.pk])

    client.force_login(cast.owner)
    response = client.get(url)
    body = response.content.decode()
    page = response.context
    by_id = {m.account_id: m for m in page["members"]}
    assert "Hidden Subsidiary Ltd" in body and "Hidden Parent Holdings" in body
    assert (by_id[sub.pk].exposure_cny, by_id[sub.pk].facilities) == (None, None)
    assert (by_id[top.pk].exposure_cny, by_id[top.pk].facilities) == (None, None)
    assert by_id[cast.account.pk].exposure_cny == Decimal("120")
    assert [f.pk for f in page["facilities"]] == [own.pk]
    assert "Hidden Wind Farm" not in body
    assert "Own Solar Farm" in body
    assert [p.name for p in page["projects"]] == ["Own Solar Farm"]
    # The totals still count every member.
    assert page["exposure"].total_cny == Decimal("180")
    assert [(row.code, row.facilities, row.exposure_cny) for row in page["classes"]] == [
        (LoanClass.NORMAL, 3, Decimal("130")),
        (LoanClass.DOUBTFUL, 1, Decimal("50")),
    ]
    assert (page["hidden"].accounts, page["hidden"].facilities) == (2, 3)
    assert 'id="hidden-in-totals"' in body
    assert "2 accounts, 3 facilities" in body

    # A reader of every account sees every member's figures and rows.
    client.force_login(cast.risk)
    response = client.get(url)
    assert len(response.context["facilities"]) == 4
    assert response.context["hidden"].facilities == 0
    assert "Hidden Wind Farm" in response.content.decode()
    assert 'id="hidden-in-totals"' not in response.content.decode()


def test_the_group_tier_is_the_highest_among_its_members(client, cast: Cast) -> None:
    made, top, sub = _group_with_owner(cast)
    Account.objects.filter(pk=top.pk).update(tier=Tier.KEY)
    Account.objects.filter(pk__in=[sub.pk, cast.account.pk]).update(tier=Tier.CORE)
    client.force_login(cast.owner)
    response = client.get(reverse("groups:detail", args=[made.pk]))
    assert [(tier, n) for tier, _label, n in response.context["tiers"]] == [
        (Tier.KEY, 1),
        (Tier.CORE, 2),
    ]
    response = client.get(reverse("groups:list"))
    [row] = response.context["rows"]
    assert row["tiers"][0][0] == Tier.KEY and row["members"] == 3


def test_the_account_page_links_its_group(client, cast: Cast) -> None:
    made, _top, _sub = _group_with_owner(cast)
    client.force_login(cast.owner)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert reverse("groups:detail", args=[made.pk]) in body
    assert "Sunrise Group" in body


def test_the_page_shows_connected_parties_and_concentration(client, cast: Cast) -> None:
    capital("1000", "5000")
    made, top, _sub = _group_with_owner(cast)
    outside = AccountFactory.create(owner=cast.owner, legal_name_en="Guarantor Co")
    facility(top, drawn="100")
    facility(outside, drawn="50")
    connect(outside, top, "guarantee")
    client.force_login(cast.owner)
    response = client.get(reverse("groups:detail", args=[made.pk]))
    [link] = response.context["connections"]
    assert (link.member, link.other, link.other_visible) == (
        "Hidden Parent Holdings",
        "Guarantor Co",
        True,
    )
    c = response.context["concentration"]
    assert (c.group_cny, c.group_share_pct) == (Decimal("100"), Decimal("10.00"))
    assert (c.connected_cny, c.connected_units, c.connected_accounts) == (Decimal("150"), 2, 4)


def test_the_projects_show_the_members_roles_lead_stage_and_exposure(client, cast: Cast) -> None:
    """Each project of a member in the user's book: the members involved with their roles, the
    lead account, the stage and the exposure of the listed facilities; the project opens from
    here only through a lead account in the user's book. Every name is escaped."""
    made, top, _sub = _group_with_owner(cast)
    Account.objects.filter(pk=cast.account.pk).update(legal_name_en="Acme <b>Power</b>")
    own = facility(cast.account, drawn="100", undrawn="20")
    ProjectParty.objects.create(project=own.project, account=cast.account, role=PartyRole.SPONSOR)
    theirs = ProjectFactory.create(
        account=top, name="Hidden-led Port", stage=ProjectStage.CONSTRUCTION, commitment=0
    )
    ProjectParty.objects.create(project=theirs, account=cast.account, role=PartyRole.EPC)

    client.force_login(cast.owner)
    response = client.get(reverse("groups:detail", args=[made.pk]))
    body = response.content.decode()
    rows = {p.name: p for p in response.context["projects"]}
    assert set(rows) == {own.project.name, "Hidden-led Port"}
    assert rows[own.project.name].parties == [("Acme <b>Power</b>", "Borrower, Sponsor")]
    assert rows[own.project.name].exposure_cny == Decimal("120")
    assert rows["Hidden-led Port"].parties == [("Acme <b>Power</b>", "EPC contractor")]
    assert rows["Hidden-led Port"].exposure_cny is None
    assert rows["Hidden-led Port"].lead_name == "Hidden Parent Holdings"
    assert reverse("accounts:project_detail", args=[cast.account.pk, own.project.pk]) in body
    assert reverse("accounts:project_detail", args=[top.pk, theirs.pk]) not in body
    assert reverse("accounts:detail", args=[top.pk]) not in body
    assert "Construction" in body and "120" in body
    assert "Acme <b>" not in body and "Acme &lt;b&gt;Power&lt;/b&gt;" in body

    client.force_login(cast.risk)  # reads every account: every project opens
    body = client.get(reverse("groups:detail", args=[made.pk])).content.decode()
    assert reverse("accounts:project_detail", args=[top.pk, theirs.pk]) in body


@pytest.mark.parametrize("members", [5, 50])
def test_the_group_page_costs_the_same_queries_whatever_the_members(
    client, django_assert_max_num_queries, cast: Cast, members: int
) -> None:
    capital("1000", "5000")
    top = AccountFactory.create(owner=cast.owner)
    others = AccountFactory.create_batch(members - 1)
    made = group(top, *others)
    for account in [top, *others]:
        shared = facility(account, drawn="10", undrawn="5")
        facility(account, drawn="3", kind=FacilityKind.GUARANTEE, project=shared.project)
    for a, b in zip(others[::2], AccountFactory.create_batch(len(others[::2])), strict=True):
        connect(a, b)
    client.force_login(cast.owner)
    with django_assert_max_num_queries(GROUP_PAGE_BUDGET):
        response = client.get(reverse("groups:detail", args=[made.pk]))
    assert response.status_code == 200
    assert len(response.context["members"]) == members
    # The owner's book holds the top only: its facilities are listed, the rest are counted.
    assert len(response.context["facilities"]) == 2
    hidden = response.context["hidden"]
    assert (hidden.accounts, hidden.facilities) == (members - 1, 2 * (members - 1))


def test_only_administrators_and_risk_officers_keep_groups(client, cast: Cast) -> None:
    made, _top, _sub = _group_with_owner(cast)
    for who in (cast.owner, cast.executive):
        client.force_login(who)
        assert client.get(reverse("groups:create")).status_code == 403
        assert client.get(reverse("groups:membership_create", args=[made.pk])).status_code == 403
    client.force_login(cast.outsider)  # not even told the group exists
    assert client.get(reverse("groups:edit", args=[made.pk])).status_code == 404

    client.force_login(cast.risk)
    top = AccountFactory.create()
    response = client.post(
        reverse("groups:create"), {"name_en": "Delta Group", "name_zh": "", "top": top.uscc}
    )
    new = ClientGroup.objects.get(name_en="Delta Group")
    assert response.status_code == 302
    assert GroupMembership.objects.get(account=top).group == new
    sub = AccountFactory.create()
    response = client.post(
        reverse("groups:membership_create", args=[new.pk]),
        {"member": str(sub.pk), "parent": top.pk, "ownership_pct": "51"},
    )
    assert response.status_code == 302
    assert GroupMembership.objects.get(account=sub).ownership_pct == Decimal("51.00")
    # An account already in another group is refused, with the reason.
    response = client.post(
        reverse("groups:membership_create", args=[new.pk]),
        {"member": cast.account.uscc, "parent": top.pk, "ownership_pct": "10"},
    )
    assert response.status_code == 200
    assert "already in the group" in response.content.decode()

    response = client.post(
        reverse("groups:connection_create", args=[new.pk]),
        {"member": sub.pk, "connected": str(cast.account.pk), "reason": "guarantee"},
    )
    assert response.status_code == 302
    link = ConnectedParty.objects.get()
    assert (link.account_id, link.other_id) == tuple(sorted((sub.pk, cast.account.pk)))

    # Every change is in the change log.
    assert LogEntry.objects.get_for_object(new).exists()
    assert LogEntry.objects.get_for_object(link).exists()

    membership = GroupMembership.objects.get(account=sub)
    client.post(reverse("groups:membership_remove", args=[new.pk, membership.pk]))
    assert not GroupMembership.objects.filter(account=sub).exists()
    top_membership = GroupMembership.objects.get(account=top)
    client.post(reverse("groups:membership_remove", args=[new.pk, top_membership.pk]))
    assert GroupMembership.objects.filter(account=top).exists()  # the top stays
