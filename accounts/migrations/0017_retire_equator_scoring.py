"""The Equator Principles category no longer scores a client (issue 15): it sets the depth of a
project's E&S due diligence, not the client's value.

Scoring models are versioned and a published version never changes, so the version in use is
not edited: a new version is published without the retired criterion, its weight moved to the
green share (or, in a model without one, to the heaviest criterion) so the weights still add
up to 100. The old version stays, superseded, with every score and tier change that points at
it: history is kept. Drafts are still drafts and are edited in place the same way. The scores
move to the new version at the next recompute (the nightly run, or publishing in the admin).

The exposure input's label changes with its meaning: the obligor's exposure from the
facilities it borrows under, or its client group's when larger."""

from decimal import Decimal
from typing import Any

from django.db import migrations, models
from django.utils import timezone

RETIRED = "equator_worst"
WEIGHT_TO = "green_share"


def _move_weight(criteria: Any, model: Any) -> None:
    rows = list(criteria.filter(scoring_model=model).order_by("position", "pk"))
    retired = [c for c in rows if c.input == RETIRED]
    if not retired:
        return
    weight = sum((c.weight for c in retired), Decimal(0))
    others = [c for c in rows if c.input != RETIRED]
    if others:
        target = next(
            (c for c in others if c.input == WEIGHT_TO), max(others, key=lambda c: c.weight)
        )
        target.weight += weight
        target.save(update_fields=["weight"])
    criteria.filter(pk__in=[c.pk for c in retired]).delete()


def forwards(apps: Any, schema_editor: Any) -> None:
    ScoringModel = apps.get_model("accounts", "ScoringModel")
    Criterion = apps.get_model("accounts", "Criterion")
    ScoreBand = apps.get_model("accounts", "ScoreBand")
    ChoicePoints = apps.get_model("accounts", "ChoicePoints")
    using = Criterion.objects.filter(input=RETIRED)

    for draft in ScoringModel.objects.filter(status="draft", pk__in=using.values("scoring_model")):
        _move_weight(Criterion.objects, draft)

    published = ScoringModel.objects.filter(
        status="published", pk__in=using.values("scoring_model")
    ).first()
    if published is None:
        return
    successor = ScoringModel.objects.create(
        name=published.name,
        description=(
            published.description
            + "\n\nThe Equator Principles category no longer scores the client "
            "(it sets the E&S due diligence); its weight moved to the green share."
        ).strip(),
        strategic_min=published.strategic_min,
        key_min=published.key_min,
        core_min=published.core_min,
        based_on=published,
        created_by=None,
        status="draft",
    )
    for criterion in Criterion.objects.filter(scoring_model=published).order_by("position", "pk"):
        copy = Criterion.objects.create(
            scoring_model=successor,
            input=criterion.input,
            weight=criterion.weight,
            missing_policy=criterion.missing_policy,
            neutral_points=criterion.neutral_points,
            position=criterion.position,
        )
        ScoreBand.objects.bulk_create(
            ScoreBand(criterion=copy, lower_bound=b.lower_bound, points=b.points)
            for b in ScoreBand.objects.filter(criterion=criterion)
        )
        ChoicePoints.objects.bulk_create(
            ChoicePoints(criterion=copy, value=c.value, points=c.points)
            for c in ChoicePoints.objects.filter(criterion=criterion)
        )
    _move_weight(Criterion.objects, successor)
    version = (ScoringModel.objects.aggregate(v=models.Max("version"))["v"] or 0) + 1
    ScoringModel.objects.filter(pk=published.pk).update(status="superseded")
    ScoringModel.objects.filter(pk=successor.pk).update(
        status="published", version=version, published_at=timezone.now(), published_by=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_project_amounts_live_in_facilities"),
    ]

    operations = [
        migrations.AlterField(
            model_name="criterion",
            name="input",
            field=models.CharField(
                choices=[
                    ("relationship_revenue", "Relationship revenue"),
                    ("wallet_size", "Client wallet"),
                    ("share_of_wallet", "Share of wallet"),
                    ("exposure", "Exposure (obligor or its group, the larger)"),
                    ("growth_potential", "Growth potential"),
                    ("strategic_fit", "Strategic fit"),
                    ("relationship_depth", "Relationship depth"),
                    ("credit_rating", "Internal credit rating"),
                    ("esg_rating", "ESG rating"),
                    ("green_share", "Green share of exposure"),
                    ("equator_worst", "Worst Equator Principles category"),
                ],
                max_length=40,
                verbose_name="input",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
