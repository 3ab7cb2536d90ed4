"""Manual tier overrides: a written reason, the team lead's approval (maker–checker), who may
decide (403 for an RM or a reader, 404 for those who cannot see the account), history of
every change, revocation, lapse when the model reaches the override, and the database
constraints behind the rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.choices import OverrideStatus, TierChangeCause
from accounts.models import Account, AccountMembership, AccountScore, TierChange, TierOverride
from accounts.tiering.services import (
    tier_override_approve,
    tier_override_propose,
    tier_override_reject,
    tier_override_revoke,
    tier_override_withdraw,
    tiering_recompute_account,
)
from kam.models import Notification
from kam.roles import Role
from tests.accounts.tiering_helpers import make_model
from tests.conftest import Cast
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Awarded two new concessions; pipeline not yet in the data."


def _scored(cast: Cast, esg: str = "A", exposure: int = 600_000_000) -> Account:
    """The cast's account scored Key by the test model (72 points) unless told otherwise."""
    make_model()
    Account.objects.filter(pk=cast.account.pk).update(esg_rating=esg)
    ProjectFactory.create(
        account=cast.account,
        total_cost=Decimal(exposure) * 2,
        commitment=Decimal(exposure),
        outstanding=Decimal(exposure),
    )
    tiering_recompute_account(account_id=cast.account.pk)
    cast.account.refresh_from_db()
    return cast.account


def _propose(cast: Cast, tier: str = "strategic") -> TierOverride:
    return tier_override_propose(
        account=cast.account, user=cast.owner, requested_tier=tier, reason=REASON
    )


# ---------------------------------------------------------------- services


def test_a_proposal_changes_nothing_until_the_lead_approves(cast: Cast) -> None:
    account = _scored(cast)
    assert account.tier == "key"
    override = _propose(cast)
    account.refresh_from_db()
    assert account.tier == "key" and override.status == OverrideStatus.PENDING
    assert Notification.objects.filter(user=cast.lead).exists()

    tier_override_approve(override=override, user=cast.lead, note="Agreed.")
    account.refresh_from_db()
    override.refresh_from_db()
    assert account.tier == "strategic"
    assert override.status == OverrideStatus.APPROVED and override.base_tier == "key"
    change = TierChange.objects.filter(account=account).latest("changed_at")
    assert (change.old_tier, change.new_tier) == ("key", "strategic")
    assert change.cause == TierChangeCause.OVERRIDE_APPROVED
    assert change.changed_by == cast.lead and change.override == override
    assert change.score == Decimal("72.00")
    assert Notification.objects.filter(user=cast.owner, key__endswith=":approved").exists()


def test_a_proposal_needs_a_written_reason(cast: Cast) -> None:
    for reason in ("", "   ", "too short"):
        with pytest.raises(ValidationError) as error:
            tier_override_propose(
                account=cast.account, user=cast.owner, requested_tier="key", reason=reason
            )
        assert "reason" in error.value.message_dict
    assert not TierOverride.objects.exists()


def test_a_proposal_must_change_the_tier_and_only_one_waits_at_a_time(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        tier_override_propose(
            account=cast.account, user=cast.owner, requested_tier="standard", reason=REASON
        )
    assert "requested_tier" in error.value.message_dict
    _propose(cast)
    with pytest.raises(ValidationError):
        _propose(cast, "core")
    assert TierOverride.objects.count() == 1


def test_readers_cannot_propose(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        tier_override_propose(
            account=cast.account, user=cast.executive, requested_tier="key", reason=REASON
        )


def test_the_proposer_cannot_approve_their_own_proposal(cast: Cast) -> None:
    _scored(cast)
    override = tier_override_propose(
        account=cast.account, user=cast.lead, requested_tier="strategic", reason=REASON
    )
    with pytest.raises(ValidationError, match="someone else"):
        tier_override_approve(override=override, user=cast.lead)
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING


def test_a_leads_own_proposal_goes_to_an_executive(cast: Cast) -> None:
    _scored(cast)
    override = tier_override_propose(
        account=cast.account, user=cast.lead, requested_tier="strategic", reason=REASON
    )
    with pytest.raises(PermissionDenied):
        tier_override_approve(override=override, user=cast.owner)
    tier_override_approve(override=override, user=cast.executive)
    cast.account.refresh_from_db()
    assert cast.account.tier == "strategic"


@pytest.mark.parametrize("who", ["owner", "teammate", "other_lead", "executive", "risk", "admin"])
def test_only_the_account_teams_lead_decides(cast: Cast, who: str) -> None:
    _scored(cast)
    override = tier_override_propose(
        account=cast.account, user=cast.teammate, requested_tier="strategic", reason=REASON
    )
    user = getattr(cast, who)
    for decide in (
        lambda: tier_override_approve(override=override, user=user),
        lambda: tier_override_reject(override=override, user=user, note="no"),
    ):
        with pytest.raises((PermissionDenied, ValidationError)):
            decide()
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING


def test_rejection_needs_a_note_and_changes_nothing(cast: Cast) -> None:
    account = _scored(cast)
    override = _propose(cast)
    with pytest.raises(ValidationError):
        tier_override_reject(override=override, user=cast.lead, note=" ")
    tier_override_reject(override=override, user=cast.lead, note="One deal is not a strategy.")
    override.refresh_from_db()
    account.refresh_from_db()
    assert override.status == OverrideStatus.REJECTED and account.tier == "key"
    with pytest.raises(ValidationError, match="already been decided"):
        tier_override_approve(override=override, user=cast.lead)


def test_withdraw_is_for_the_proposer_only(cast: Cast) -> None:
    override = _propose(cast, "key")
    with pytest.raises(PermissionDenied):
        tier_override_withdraw(override=override, user=cast.teammate)
    tier_override_withdraw(override=override, user=cast.owner)
    override.refresh_from_db()
    assert override.status == OverrideStatus.WITHDRAWN


def test_approval_is_refused_when_the_model_already_gives_the_tier(cast: Cast) -> None:
    _scored(cast, esg="BB", exposure=0)  # 12 points: standard
    override = _propose(cast, "key")
    make_model(strategic="90", key="10", core="5")  # now the model says Key
    tiering_recompute_account(account_id=cast.account.pk)
    with pytest.raises(ValidationError, match="no override is needed"):
        tier_override_approve(override=override, user=cast.lead)


def test_revoking_returns_the_account_to_the_model_tier(cast: Cast) -> None:
    _scored(cast)
    override = _propose(cast)
    tier_override_approve(override=override, user=cast.lead)
    with pytest.raises(ValidationError):
        tier_override_revoke(override=override, user=cast.owner, note="")
    with pytest.raises(PermissionDenied):
        tier_override_revoke(override=override, user=cast.executive, note="no longer needed")
    tier_override_revoke(override=override, user=cast.owner, note="Mandate lost to a rival.")
    cast.account.refresh_from_db()
    override.refresh_from_db()
    assert cast.account.tier == "key" and override.status == OverrideStatus.REVOKED
    causes = list(TierChange.objects.filter(account=cast.account).values_list("cause", flat=True))
    assert causes[:2] == [TierChangeCause.OVERRIDE_REVOKED, TierChangeCause.OVERRIDE_APPROVED]


def test_an_override_holds_through_recomputes_until_the_model_reaches_it(cast: Cast) -> None:
    _scored(cast)  # Key by the model
    override = _propose(cast)  # → Strategic
    tier_override_approve(override=override, user=cast.lead)
    history = TierChange.objects.filter(account=cast.account).count()

    tiering_recompute_account(account_id=cast.account.pk)  # model still Key: override holds
    cast.account.refresh_from_db()
    assert cast.account.tier == "strategic"
    assert TierChange.objects.filter(account=cast.account).count() == history

    Account.objects.filter(pk=cast.account.pk).update(esg_rating="CCC")  # model → Core
    tiering_recompute_account(account_id=cast.account.pk)
    cast.account.refresh_from_db()
    override.refresh_from_db()
    assert cast.account.tier == "strategic" and override.status == OverrideStatus.APPROVED

    Account.objects.filter(pk=cast.account.pk).update(esg_rating="AAA")
    ProjectFactory.create(
        account=cast.account,
        total_cost=Decimal(2_000_000_000),
        commitment=Decimal(1_000_000_000),
        outstanding=Decimal(1_000_000_000),
    )
    tiering_recompute_account(account_id=cast.account.pk)  # model → Strategic: lapses
    override.refresh_from_db()
    cast.account.refresh_from_db()
    assert override.status == OverrideStatus.LAPSED and override.ended_at is not None
    assert cast.account.tier == "strategic"
    assert AccountScore.objects.get(account=cast.account).model_tier == "strategic"

    Account.objects.filter(pk=cast.account.pk).update(esg_rating="CCC")
    tiering_recompute_account(account_id=cast.account.pk)  # the model rules again
    cast.account.refresh_from_db()
    assert cast.account.tier == "key"
    last = TierChange.objects.filter(account=cast.account).first()
    assert last is not None and last.cause == TierChangeCause.MODEL


def test_a_lapse_that_changes_the_tier_is_recorded_as_a_lapse(cast: Cast) -> None:
    _scored(cast)  # Key
    override = _propose(cast, "core")  # hold it down to Core
    tier_override_approve(override=override, user=cast.lead)
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="CCC")
    ProjectFactory.create(account=cast.account, total_cost=1, commitment=1, outstanding=0)
    TierChange.objects.all().delete()
    # Model drops to Standard (past Core): the override lapses and the account follows.
    from accounts.models import Facility

    Facility.objects.filter(borrower=cast.account).update(drawn=0, undrawn=0)
    tiering_recompute_account(account_id=cast.account.pk)
    change = TierChange.objects.get(account=cast.account)
    assert (change.old_tier, change.new_tier) == ("core", "standard")
    assert change.cause == TierChangeCause.OVERRIDE_LAPSED and change.override_id == override.pk


def test_a_new_approval_supersedes_the_override_in_force(cast: Cast) -> None:
    _scored(cast)
    first = _propose(cast, "strategic")
    tier_override_approve(override=first, user=cast.lead)
    second = _propose(cast, "core")
    tier_override_approve(override=second, user=cast.lead)
    first.refresh_from_db()
    assert first.status == OverrideStatus.SUPERSEDED
    cast.account.refresh_from_db()
    assert cast.account.tier == "core"


def test_the_database_refuses_self_approval_and_two_open_proposals(cast: Cast) -> None:
    override = _propose(cast, "key")
    with pytest.raises(IntegrityError), transaction.atomic():
        TierOverride.objects.filter(pk=override.pk).update(decided_by=cast.owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        TierOverride.objects.create(
            account=cast.account,
            requested_tier="core",
            reason=REASON,
            proposed_by=cast.teammate,
            tier_at_proposal="standard",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TierOverride.objects.filter(pk=override.pk).update(reason="")


# ---------------------------------------------------------------- views


def _post(client, user, name: str, override: TierOverride, **data: str):
    client.force_login(user)
    return client.post(reverse(f"accounts:{name}", args=[override.pk]), data)


def test_propose_view_validates_and_creates(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:override_propose", args=[cast.account.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"requested_tier": "key", "reason": "short"})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert not TierOverride.objects.exists()
    response = client.post(url, {"requested_tier": "key", "reason": REASON})
    override = TierOverride.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:override_detail", args=[override.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("teammate", 200), ("lead", 200), ("executive", 403), ("outsider", 404)],
)
def test_propose_view_per_role(client, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("accounts:override_propose", args=[cast.account.pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"requested_tier": "key", "reason": REASON})
    assert response.status_code == (302 if status == 200 else status)
    assert TierOverride.objects.exists() is (status == 200)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead", 302),
        ("owner", 403),  # an RM on the account team
        ("teammate", 403),
        ("executive", 403),  # sees the account, may not decide
        ("other_lead", 404),  # another team's lead: the account does not exist for them
        ("outsider", 404),
    ],
)
def test_approve_view_per_role(client, cast: Cast, who: str, status: int) -> None:
    _scored(cast)
    proposer = UserFactory.create(roles=[Role.RM], team=cast.team)
    AccountMembership.objects.create(account=cast.account, user=proposer)
    override = tier_override_propose(
        account=cast.account, user=proposer, requested_tier="strategic", reason=REASON
    )
    response = _post(
        client, getattr(cast, who), "override_approve", override, **{"approve-note": ""}
    )
    assert response.status_code == status
    override.refresh_from_db()
    assert (override.status == OverrideStatus.APPROVED) is (status == 302)


def test_another_teams_lead_who_can_see_the_account_still_gets_403(client, cast: Cast) -> None:
    _scored(cast)
    AccountMembership.objects.create(account=cast.account, user=cast.other_lead)
    override = _propose(cast)
    response = _post(client, cast.other_lead, "override_approve", override)
    assert response.status_code == 403
    response = _post(client, cast.other_lead, "override_reject", override, **{"reject-note": "x"})
    assert response.status_code == 403


def test_self_approval_in_the_view_is_refused_with_a_message(client, cast: Cast) -> None:
    _scored(cast)
    override = tier_override_propose(
        account=cast.account, user=cast.lead, requested_tier="strategic", reason=REASON
    )
    response = _post(client, cast.lead, "override_approve", override)
    assert response.status_code == 200
    assert "someone else must approve" in response.content.decode()
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING


def test_reject_view_requires_a_note(client, cast: Cast) -> None:
    override = _propose(cast, "key")
    response = _post(client, cast.lead, "override_reject", override, **{"reject-note": ""})
    assert response.status_code == 200 and response.context["reject_form"].errors
    response = _post(client, cast.lead, "override_reject", override, **{"reject-note": "Not now."})
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.status == OverrideStatus.REJECTED


def test_revoke_and_withdraw_views(client, cast: Cast) -> None:
    _scored(cast)
    pending = _propose(cast, "core")
    assert _post(client, cast.teammate, "override_withdraw", pending).status_code == 403
    assert _post(client, cast.owner, "override_withdraw", pending).status_code == 302
    override = _propose(cast)
    tier_override_approve(override=override, user=cast.lead)
    assert (
        _post(
            client, cast.executive, "override_revoke", override, **{"revoke-note": "x"}
        ).status_code
        == 403
    )
    response = _post(
        client, cast.owner, "override_revoke", override, **{"revoke-note": "Mandate lost."}
    )
    assert response.status_code == 302
    cast.account.refresh_from_db()
    assert cast.account.tier == "key"


def test_get_is_not_allowed_on_decisions(client, cast: Cast) -> None:
    override = _propose(cast, "key")
    client.force_login(cast.lead)
    assert client.get(reverse("accounts:override_approve", args=[override.pk])).status_code == 405


def test_queue_lists_what_the_user_decides_and_proposed(client, cast: Cast) -> None:
    override = _propose(cast, "key")
    client.force_login(cast.lead)
    response = client.get(reverse("accounts:override_queue"))
    assert response.status_code == 200
    assert [o.pk for o in response.context["to_decide"]] == [override.pk]
    client.force_login(cast.owner)
    response = client.get(reverse("accounts:override_queue"))
    assert list(response.context["to_decide"]) == []
    assert [o.pk for o in response.context["mine"].object_list] == [override.pk]
    for who in (cast.other_lead, cast.outsider, cast.executive):
        client.force_login(who)
        assert client.get(reverse("accounts:override_queue")).context["to_decide"] == []


def test_executives_queue_holds_proposals_of_leads(client, cast: Cast) -> None:
    override = tier_override_propose(
        account=cast.account, user=cast.lead, requested_tier="key", reason=REASON
    )
    client.force_login(cast.executive)
    assert [o.pk for o in client.get(reverse("accounts:override_queue")).context["to_decide"]] == [
        override.pk
    ]
    client.force_login(cast.lead)
    assert client.get(reverse("accounts:override_queue")).context["to_decide"] == []


def test_override_detail_per_role(client, cast: Cast) -> None:
    override = _propose(cast, "key")
    url = reverse("accounts:override_detail", args=[override.pk])
    for who, status in (
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("executive", 200),
        ("outsider", 404),
    ):
        client.force_login(getattr(cast, who))
        response = client.get(url)
        assert response.status_code == status, who
        if who == "lead":
            assert response.context["can_decide"]
        if who == "owner":
            assert not response.context["can_decide"] and response.context["can_withdraw"]


def test_rm_without_role_on_another_team_gets_404_on_overrides(client, cast: Cast) -> None:
    override = _propose(cast, "key")
    stranger = UserFactory.create(roles=[Role.RM])
    client.force_login(stranger)
    assert client.get(reverse("accounts:override_detail", args=[override.pk])).status_code == 404
    assert _post(client, stranger, "override_approve", override).status_code == 404
