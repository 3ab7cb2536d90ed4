"""Pages issue a fixed number of queries whatever the size of the book."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

LIST_BUDGET = 10
DETAIL_BUDGET = 15 + 1 + 1 + 1  # 12 + the tiering panel: score and plan, tier history, overrides
# + 1 for the open service requests panel.
# + 1 for the risk panel (active alerts; their count only when more than shown).
# + 1 for the ids of the accounts the user may change (read once per request, then every
# query of the page filters by the list; accounts.selectors).
# + 5 for the relationship sections (interactions: tier policies, overdue cadence, follow-ups,
# upcoming reviews, unread notifications).
# + 2 for tiering (plan actions due, accounts missing a required plan).
# + 2 for the service requests section (my open requests: their counts, the soonest due).
# + 2 for the reviews missing this quarter (the tiers requiring one, my accounts missing one).
HOME_BUDGET = 10 + 5 + 2 + 2 + 2
# The account's client group, linked from the account page's header (groups.group_tags).
DETAIL_BUDGET += 1
FULL_DETAIL_QUERIES_GROUP = 1
# The projects the account is a party of, read by their own index (accounts.views).
DETAIL_BUDGET += 1


@pytest.mark.parametrize("rows", [5, 500])
@pytest.mark.parametrize("who", ["owner", "executive", "lead"])
def test_account_list_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int, who: str
) -> None:
    AccountFactory.create_batch(rows, owner=cast.owner)
    client.force_login(getattr(cast, who))
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("accounts:list"), {"tier": ["standard"], "o": "-updated"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(rows + 1, 25)


@pytest.mark.parametrize("rows", [5, 500])
def test_account_detail_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    ContactFactory.create_batch(rows, account=cast.account)
    ProjectFactory.create_batch(rows, account=cast.account)
    MembershipFactory.create_batch(3, account=cast.account)
    client.force_login(cast.teammate)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(reverse("accounts:detail", args=[cast.account.pk]))
    assert response.status_code == 200
    assert len(response.context["contacts"]) == rows


@pytest.mark.parametrize("rows", [5, 500])
def test_home_query_budget(client, django_assert_max_num_queries, cast: Cast, rows: int) -> None:
    AccountFactory.create_batch(rows, owner=cast.owner)
    client.force_login(cast.owner)
    with django_assert_max_num_queries(HOME_BUDGET):
        response = client.get(reverse("home"))
    assert response.status_code == 200


# Session, user, roles, book; the account with owner, team, score, model, plan and contact
# statistics; projects, contacts, team; alerts; tier policy; reviews; service requests and
# their assignees; tier history; overrides. Exact: one more is a column read row by row.
# + 2 for the account's exposure as borrower (its facilities summed per currency, and the FX
# rates for the CNY figure); its projects, led or as a party with its roles, stay one query.
FULL_DETAIL_QUERIES = 16 + 2
# + 1 for the risk panel's standing: the level its facilities' loan classification sets and its
# open watch-list entry, in one query (the entry itself is read only when there is one).
FULL_DETAIL_QUERIES += 1
# + 1: the projects the account is a party of are read by their own index first (one query
# with an OR across the parties' join read every project of a 100,000-account book).
FULL_DETAIL_QUERIES += 1


def test_account_detail_with_every_panel_full_stays_in_budget(
    client, django_assert_max_num_queries, cast: Cast
) -> None:
    """The page reads only some columns of what it shows (the owner, the alerts, the
    scoring model, the plan): a panel that touches a column left out would cost a query per
    row, which this page with every panel populated would show."""
    import datetime as dt

    from django.utils import timezone

    from accounts.models import AccountPlan
    from accounts.tiering.services import tiering_recompute_account
    from interactions.models import Channel
    from interactions.services.service import service_request_open
    from risk.choices import Severity
    from risk.models import Alert
    from tests.accounts.tiering_helpers import make_model
    from tests.dashboard.support import _rule

    make_model()
    tiering_recompute_account(account_id=cast.account.pk)
    AccountPlan.objects.create(account=cast.account, objectives="Become lead arranger.")
    for title in ("Covenant breach", "Rating downgrade"):
        Alert.objects.create(
            account=cast.account,
            rule=_rule(),
            source="manual",
            severity=Severity.HIGH,
            title=title,
            description="Seen in the Q3 compliance certificate.",
            opened_at=timezone.now() - dt.timedelta(days=2),
            ack_deadline=timezone.now() - dt.timedelta(days=1),
        )
    service_request_open(
        account=cast.account,
        channel=Channel.objects.filter(is_active=True).earliest("pk"),
        priority="high",
        subject="Drawdown notice",
        description="",
        opened_at=None,
        opened_by=cast.owner,
    )
    ContactFactory.create_batch(3, account=cast.account)
    ProjectFactory.create_batch(2, account=cast.account)
    client.force_login(cast.teammate)
    with django_assert_max_num_queries(FULL_DETAIL_QUERIES + FULL_DETAIL_QUERIES_GROUP):
        response = client.get(reverse("accounts:detail", args=[cast.account.pk]))
    body = response.content.decode()
    assert "Test model" in body and "Covenant breach" in body and "Drawdown notice" in body
    assert "Become lead arranger." not in body  # the plan's text is its own page's
