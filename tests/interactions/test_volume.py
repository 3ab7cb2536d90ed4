"""The volume generator's interactions and reviews (the portable path; PostgreSQL uses COPY)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import F

from interactions.models import (
    AccountContactStats,
    AccountSponsor,
    FollowUp,
    Interaction,
    StrategicReview,
)
from interactions.selectors.reviews import review_required_accounts

pytestmark = pytest.mark.django_db


def test_generate_volume_adds_interactions_and_reviews() -> None:
    call_command(
        "generate_volume", accounts=60, interactions=3000, contacts_per_account=2, verbosity=0
    )
    assert Interaction.objects.count() == 3000
    through = Interaction.contacts.through
    # Every contact participant belongs to the interaction's own account.
    assert not through.objects.exclude(contact__account=F("interaction__account")).exists()
    assert Interaction.internal_participants.through.objects.count() == 3000
    assert FollowUp.objects.exists()
    stats = sum(AccountContactStats.objects.values_list("interaction_count", flat=True))
    assert stats == 3000
    required = review_required_accounts().count()
    assert AccountSponsor.objects.count() == required
    if required:
        assert StrategicReview.objects.filter(status="held", executives__isnull=False).exists()
    # Additive and consistent: a second run adds more and the stats follow.
    call_command("generate_volume", accounts=1, interactions=500, verbosity=0)
    assert sum(AccountContactStats.objects.values_list("interaction_count", flat=True)) == 3500
