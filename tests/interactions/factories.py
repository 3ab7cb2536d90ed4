"""Factories for interactions and strategic reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from interactions.models import Channel, FollowUp, Interaction, StrategicReview
from kam.quarters import Quarter
from tests.factories import AccountFactory, UserFactory


def channel(code: str) -> Channel:
    return Channel.objects.get(code=code)


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    """A raw row (no service): tests that need the stats kept call the service instead."""

    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    channel = factory.LazyFunction(lambda: channel("meeting"))
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    subject = factory.Sequence(lambda n: f"Meeting {n}")
    summary = "Discussed the refinancing."

    @classmethod
    def _create(cls, model_class: type[Interaction], *args: Any, **kwargs: Any) -> Interaction:
        # The notes go where the confidential flag says, as the services put them.
        summary, outcome = kwargs.pop("summary", ""), kwargs.pop("outcome", "")
        assert not args, "an interaction is built from keyword fields"
        interaction = model_class(**kwargs)
        interaction.set_notes(summary=summary, outcome=outcome)
        interaction.save()
        return interaction


class FollowUpFactory(factory.django.DjangoModelFactory[FollowUp]):
    class Meta:
        model = FollowUp

    interaction = factory.SubFactory(InteractionFactory)
    account = factory.LazyAttribute(lambda o: o.interaction.account)
    description = factory.Sequence(lambda n: f"Send term sheet {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=2))


class ReviewFactory(factory.django.DjangoModelFactory[StrategicReview]):
    class Meta:
        model = StrategicReview

    account = factory.SubFactory(AccountFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=5))
    status = StrategicReview.Status.SCHEDULED
    location = "Head office"
    year = factory.LazyAttribute(lambda o: Quarter.of(o.scheduled_at).year)
    quarter = factory.LazyAttribute(lambda o: Quarter.of(o.scheduled_at).quarter)
