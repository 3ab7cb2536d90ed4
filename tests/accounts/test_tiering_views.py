"""Tiering and account-plan pages per role (owner, teammate, lead, reader, outsider), the
score breakdown on the account page, list filters on score, the RM home's plan actions, CSP
cleanliness, and query budgets with small and large data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import PlanActionStatus
from accounts.models import (
    Account,
    AccountPlan,
    PlanAction,
    PlanServiceItem,
    PlanWalletLine,
    TierChange,
)
from accounts.tiering.selectors import home_tiering
from accounts.tiering.services import (
    tier_override_approve,
    tier_override_propose,
    tiering_recompute_account,
)
from kam.models import User
from tests.accounts.tiering_helpers import make_model
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory
from tests.test_templates import _assert_csp_clean

pytestmark = pytest.mark.django_db

REASON = "Awarded two new concessions; pipeline not yet in the data."
ROLES = [("owner", 200), ("teammate", 200), ("lead", 200), ("executive", 200), ("outsider", 404)]


def _score(account: Account, esg: str = "A") -> None:
    Account.objects.filter(pk=account.pk).update(esg_rating=esg)
    ProjectFactory.create(
        account=account,
        total_cost=Decimal(1_200_000_000),
        commitment=Decimal(600_000_000),
        outstanding=Decimal(600_000_000),
    )
    tiering_recompute_account(account_id=account.pk)


def _plan(account: Account, owner: User, actions: int = 2) -> AccountPlan:
    plan = AccountPlan.objects.create(account=account, objectives="Become lead arranger.")
    PlanWalletLine.objects.create(
        plan=plan, product_line="project_loans", potential=Decimal(100), current=Decimal(25)
    )
    PlanServiceItem.objects.create(plan=plan, product_line="hedging", name="Hedging desk")
    today = timezone.localdate()
    for i in range(actions):
        PlanAction.objects.create(
            plan=plan, title=f"Action {i}", owner=owner, due_date=today + timedelta(days=i - 1)
        )
    return plan


# ---------------------------------------------------------------- account page


def test_account_page_shows_the_breakdown_as_meters(client, cast: Cast) -> None:
    make_model()
    _score(cast.account)
    client.force_login(cast.owner)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    _assert_csp_clean(body)
    assert "72.0" in body  # the score
    assert body.count('<meter class="score-meter"') == 2
    assert 'value="80.00"' in body and 'value="60.00"' in body  # exposure 600m → 80; ESG A → 60
    assert "CNY 600.0 m" in body
    assert "Tier history" in body and reverse("accounts:tiering", args=[cast.account.pk]) in body
    assert reverse("accounts:override_propose", args=[cast.account.pk]) in body


def test_account_page_offers_no_proposal_to_readers(client, cast: Cast) -> None:
    make_model()
    _score(cast.account)
    client.force_login(cast.executive)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert reverse("accounts:override_propose", args=[cast.account.pk]) not in body
    assert "72.0" in body


def test_account_page_says_when_a_required_plan_is_missing(client, cast: Cast) -> None:
    make_model()
    _score(cast.account)  # Key: requires a plan
    client.force_login(cast.owner)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert "need an account plan" in body
    _plan(cast.account, cast.owner)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert "need an account plan" not in body
    assert reverse("accounts:plan", args=[cast.account.pk]) in body


@pytest.mark.parametrize(("who", "status"), ROLES)
def test_tiering_page_per_role(client, cast: Cast, who: str, status: int) -> None:
    make_model()
    _score(cast.account)
    client.force_login(getattr(cast, who))
    response = client.get(reverse("accounts:tiering", args=[cast.account.pk]))
    assert response.status_code == status
    if status == 200:
        _assert_csp_clean(response.content.decode())
        assert len(response.context["history"].object_list) == 1


# ---------------------------------------------------------------- plans


@pytest.mark.parametrize(("who", "status"), ROLES)
def test_plan_page_per_role(client, cast: Cast, who: str, status: int) -> None:
    _plan(cast.account, cast.owner)
    client.force_login(getattr(cast, who))
    response = client.get(reverse("accounts:plan", args=[cast.account.pk]))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        _assert_csp_clean(body)
        assert "Become lead arranger." in body
        assert "75" in body  # whitespace 100 − 25
        assert response.context["can_edit"] is (who != "executive")


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("teammate", 200), ("lead", 200), ("executive", 403), ("outsider", 404)],
)
def test_plan_edit_per_role(client, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("accounts:plan_edit", args=[cast.account.pk])
    assert client.get(url).status_code == status
    response = client.post(url, _plan_post())
    assert response.status_code == (302 if status == 200 else status)
    assert AccountPlan.objects.filter(account=cast.account).exists() is (status == 200)


def _plan_post(**extra: str) -> dict[str, str]:
    data = {
        "status": "active",
        "objectives": "Win the green bond mandate.",
        "strategy": "",
        "next_review": "",
        "wallet-TOTAL_FORMS": "2",
        "wallet-INITIAL_FORMS": "0",
        "wallet-MIN_NUM_FORMS": "0",
        "wallet-MAX_NUM_FORMS": "20",
        "wallet-0-product_line": "bonds",
        "wallet-0-potential": "8000000",
        "wallet-0-current": "1000000",
        "wallet-1-product_line": "",
        "wallet-1-potential": "0",
        "wallet-1-current": "0",
        "services-TOTAL_FORMS": "1",
        "services-INITIAL_FORMS": "0",
        "services-MIN_NUM_FORMS": "0",
        "services-MAX_NUM_FORMS": "30",
        "services-0-product_line": "green_finance",
        "services-0-name": "Green bond framework",
        "services-0-terms": "Second-party opinion support",
        "services-0-status": "proposed",
    }
    data.update(extra)
    return data


def test_plan_edit_saves_wallet_and_bundle(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.post(reverse("accounts:plan_edit", args=[cast.account.pk]), _plan_post())
    plan = AccountPlan.objects.get(account=cast.account)
    line = plan.wallet_lines.get()
    assert (line.product_line, line.whitespace) == ("bonds", Decimal(7_000_000))
    assert plan.services.get().name == "Green bond framework"
    assert plan.updated_by == cast.owner


def test_plan_edit_refuses_revenue_above_the_wallet_and_saves_nothing(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:plan_edit", args=[cast.account.pk]),
        _plan_post(**{"wallet-0-current": "9000000"}),
    )
    assert response.status_code == 200
    assert response.context["wallet"].forms[0].errors["current"]
    assert not AccountPlan.objects.exists()


def test_plan_edit_refuses_a_product_line_twice(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:plan_edit", args=[cast.account.pk]),
        _plan_post(**{"wallet-1-product_line": "bonds", "wallet-1-potential": "5"}),
    )
    assert response.status_code == 200
    assert "listed twice" in response.content.decode()
    assert not AccountPlan.objects.exists()


def test_plan_objectives_are_required(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:plan_edit", args=[cast.account.pk]), _plan_post(objectives="")
    )
    assert response.status_code == 200 and response.context["form"].errors["objectives"]


def test_action_owner_must_be_on_the_account_team(client, cast: Cast) -> None:
    _plan(cast.account, cast.owner, actions=0)
    client.force_login(cast.owner)
    url = reverse("accounts:plan_action_create", args=[cast.account.pk])
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = client.post(
        url, {"title": "Call the CFO", "owner": cast.outsider.pk, "due_date": due}
    )
    assert response.status_code == 200 and response.context["form"].errors["owner"]
    response = client.post(
        url, {"title": "Call the CFO", "owner": cast.teammate.pk, "due_date": due}
    )
    assert response.status_code == 302
    assert PlanAction.objects.get().owner == cast.teammate


def test_action_can_be_marked_done_by_its_owner_once(client, cast: Cast) -> None:
    plan = _plan(cast.account, cast.teammate, actions=1)
    action = plan.actions.get()
    url = reverse("accounts:plan_action_status", args=[cast.account.pk, action.pk])
    client.force_login(cast.executive)
    assert client.post(url, {"status": "done"}).status_code == 403
    client.force_login(cast.outsider)
    assert client.post(url, {"status": "done"}).status_code == 404
    client.force_login(cast.teammate)
    assert client.post(url, {"status": "done", "next": "home"})["Location"] == reverse("home")
    action.refresh_from_db()
    first_done = action.done_at
    assert action.status == PlanActionStatus.DONE and first_done is not None
    client.post(url, {"status": "done"})
    action.refresh_from_db()
    assert action.done_at == first_done


# ---------------------------------------------------------------- home and list


def test_home_lists_my_plan_actions_due(client, cast: Cast) -> None:
    plan = _plan(cast.account, cast.owner, actions=2)
    PlanAction.objects.create(
        plan=plan,
        title="Far away",
        owner=cast.owner,
        due_date=timezone.localdate() + timedelta(days=60),
    )
    PlanAction.objects.create(
        plan=plan,
        title="Done already",
        owner=cast.owner,
        due_date=timezone.localdate(),
        status=PlanActionStatus.DONE,
        done_at=timezone.now(),
    )
    client.force_login(cast.owner)
    response = client.get(reverse("home"))
    body = response.content.decode()
    _assert_csp_clean(body)
    titles = [a.title for a in response.context["tiering_home"].actions]
    assert titles == ["Action 0", "Action 1"]  # overdue first; not the far or done ones
    assert "Overdue" in body
    client.force_login(cast.teammate)
    assert client.get(reverse("home")).context["tiering_home"].actions == []


def test_home_tells_the_lead_about_overrides_to_decide(client, cast: Cast) -> None:
    tier_override_propose(
        account=cast.account, user=cast.owner, requested_tier="key", reason=REASON
    )
    client.force_login(cast.lead)
    response = client.get(reverse("home"))
    assert response.context["tiering_home"].overrides_to_decide == 1
    assert reverse("accounts:override_queue") in response.content.decode()


def test_account_list_filters_and_sorts_by_score(client, cast: Cast) -> None:
    make_model()
    _score(cast.account, esg="AAA")  # 48 + 40 = 88
    low = AccountFactory.create(owner=cast.owner, esg_rating="BB")
    tiering_recompute_account(account_id=low.pk)  # 12
    client.force_login(cast.owner)
    url = reverse("accounts:list")
    page = client.get(url, {"score_min": "50"}).context["page"]
    assert [row["pk"] for row in page.object_list] == [cast.account.pk]
    page = client.get(url, {"score_max": "20"}).context["page"]
    assert [row["pk"] for row in page.object_list] == [low.pk]
    page = client.get(url, {"o": "-score"}).context["page"]
    assert [row["pk"] for row in page.object_list] == [cast.account.pk, low.pk]
    response = client.get(url, {"score_min": "abc"})
    assert response.status_code == 200 and response.context["filter_errors"]
    assert "Enter a number." in response.content.decode()
    assert client.get(url, {"score_min": "120"}).context["filter_errors"]
    body = client.get(url).content.decode()
    assert "88.0" in body


def test_account_list_filters_missing_plans(client, cast: Cast) -> None:
    Account.objects.filter(pk=cast.account.pk).update(tier="key")
    other = AccountFactory.create(owner=cast.owner, tier="key")
    _plan(other, cast.owner, actions=0)
    AccountFactory.create(owner=cast.owner, tier="standard")
    client.force_login(cast.owner)
    page = client.get(reverse("accounts:list"), {"plan": "missing"}).context["page"]
    assert [row["pk"] for row in page.object_list] == [cast.account.pk]


def test_pages_render_in_chinese_without_inline_script_or_style(client, cast: Cast) -> None:
    make_model()
    _score(cast.account)
    _plan(cast.account, cast.owner)
    override = tier_override_propose(
        account=cast.account, user=cast.owner, requested_tier="strategic", reason=REASON
    )
    pk = cast.account.pk
    urls = [
        reverse("accounts:tiering", args=[pk]),
        reverse("accounts:override_propose", args=[pk]),
        reverse("accounts:override_detail", args=[override.pk]),
        reverse("accounts:override_queue"),
        reverse("accounts:plan", args=[pk]),
        reverse("accounts:plan_edit", args=[pk]),
        reverse("accounts:plan_action_create", args=[pk]),
        reverse("accounts:detail", args=[pk]),
        reverse("home"),
    ]
    for user in (cast.owner, cast.lead):
        client.force_login(user)
        for url in urls:
            for language in ("en", "zh-hans"):
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                assert response.status_code == 200, url
                _assert_csp_clean(response.content.decode())


# ---------------------------------------------------------------- query budgets


@pytest.mark.parametrize("rows", [3, 120])
def test_tiering_page_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    make_model()
    _score(cast.account)
    TierChange.objects.bulk_create(
        TierChange(
            account=cast.account,
            changed_at=timezone.now() - timedelta(days=i),
            old_tier="core",
            new_tier="key",
            cause="model",
        )
        for i in range(rows)
    )
    override = tier_override_propose(
        account=cast.account, user=cast.owner, requested_tier="strategic", reason=REASON
    )
    tier_override_approve(override=override, user=cast.lead)
    client.force_login(cast.teammate)
    # Read per request from the database: the session, the user, their roles and book.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("accounts:tiering", args=[cast.account.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 60])
def test_plan_page_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    _plan(cast.account, cast.teammate, actions=rows)
    client.force_login(cast.owner)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:plan", args=[cast.account.pk]))
    assert len(response.context["actions"]) == rows
    with django_assert_max_num_queries(14):
        assert client.get(reverse("accounts:plan_edit", args=[cast.account.pk])).status_code == 200


@pytest.mark.parametrize("rows", [3, 60])
def test_override_pages_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    accounts = AccountFactory.create_batch(rows, owner=cast.owner)
    overrides = [
        tier_override_propose(account=a, user=cast.owner, requested_tier="key", reason=REASON)
        for a in accounts
    ]
    client.force_login(cast.lead)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:override_queue"))
    assert len(response.context["to_decide"]) == rows
    with django_assert_max_num_queries(10):
        assert (
            client.get(reverse("accounts:override_detail", args=[overrides[0].pk])).status_code
            == 200
        )


@pytest.mark.parametrize("rows", [3, 60])
def test_home_tiering_section_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    for account in AccountFactory.create_batch(rows, owner=cast.owner, tier="key"):
        _plan(account, cast.owner, actions=2)
        tier_override_propose(
            account=account, user=cast.owner, requested_tier="core", reason=REASON
        )
    AccountFactory.create_batch(rows, owner=cast.owner, tier="key")  # plans missing
    # + 1: the ids of the accounts the user may see, read once per user object (request);
    # + 1: the tier policies.
    for user, budget in ((cast.owner, 4), (cast.lead, 5)):
        user = type(user).objects.get(pk=user.pk)
        user.role_names  # noqa: B018  (read once per request by the middleware and the page)
        with django_assert_max_num_queries(budget):
            section = home_tiering(user=user)
        if user == cast.owner:
            assert len(section.actions) == min(2 * rows, 10)
            assert section.more is (2 * rows > 10)
            assert section.plans_missing == rows
        else:
            assert section.overrides_to_decide == rows
