"""Scoring models in Django admin: publishing validates with clear errors and makes a new
immutable version; a new draft copies a version; published versions and history are
read-only; scores keep pointing at the version that made them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from accounts.choices import ScoringModelStatus
from accounts.models import AccountScore, Criterion, ScoringModel
from accounts.tiering.services import (
    scoring_model_copy,
    scoring_model_publish,
    tiering_recompute_account,
)
from tests.accounts.tiering_helpers import make_model
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _action(client, action: str, model: ScoringModel):
    return client.post(
        reverse("admin:accounts_scoringmodel_changelist"),
        {"action": action, "_selected_action": [model.pk]},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(m.message) for m in get_messages(response.wsgi_request)]


def test_publishing_an_invalid_draft_lists_every_problem(client, cast: Cast) -> None:
    draft = make_model(publish=False, esg_weight="30", strategic="50", key="60")
    client.force_login(cast.admin)
    response = _action(client, "publish", draft)
    text = " ".join(_messages(response))
    assert "cannot be published" in text
    assert "add up to 90" in text
    assert "thresholds must rise strictly" in text
    draft.refresh_from_db()
    assert draft.status == ScoringModelStatus.DRAFT and draft.version is None
    # The change page says it too, before anyone tries.
    page = client.get(reverse("admin:accounts_scoringmodel_change", args=[draft.pk]))
    assert "add up to 90" in page.content.decode()


def test_publishing_makes_the_next_version_and_supersedes_the_last(client, cast: Cast) -> None:
    first = make_model()
    assert first.version == 1
    draft = make_model(publish=False, strategic="85")
    client.force_login(cast.admin)
    response = _action(client, "publish", draft)
    assert any("is published" in m for m in _messages(response))
    draft.refresh_from_db()
    first.refresh_from_db()
    assert (draft.version, draft.status) == (2, ScoringModelStatus.PUBLISHED)
    assert draft.published_by == cast.admin
    assert first.status == ScoringModelStatus.SUPERSEDED
    with pytest.raises(ValidationError):
        scoring_model_publish(scoring_model=draft, user=None)


def test_new_draft_from_a_version_copies_its_criteria(client, cast: Cast) -> None:
    source = make_model()
    client.force_login(cast.admin)
    response = _action(client, "new_draft", source)
    draft = ScoringModel.objects.get(status=ScoringModelStatus.DRAFT)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:accounts_scoringmodel_change", args=[draft.pk]
    )
    assert draft.based_on == source
    original = {(c.input, c.weight) for c in source.criteria.all()}
    assert {(c.input, c.weight) for c in draft.criteria.all()} == original
    assert draft.criteria.get(input="exposure").bands.count() == 4
    assert draft.criteria.get(input="esg_rating").choice_points.count() == 7


def test_published_versions_are_read_only_in_the_admin(client, cast: Cast) -> None:
    model = make_model()
    criterion = model.criteria.get(input="exposure")
    client.force_login(cast.admin)
    url = reverse("admin:accounts_scoringmodel_change", args=[model.pk])
    response = client.post(url, {"name": "Changed", "strategic_min": "1"})
    assert response.status_code == 403
    model.refresh_from_db()
    assert model.name == "Test model"
    url = reverse("admin:accounts_criterion_change", args=[criterion.pk])
    assert client.post(url, {"weight": "1"}).status_code == 403
    assert (
        client.post(reverse("admin:accounts_scoringmodel_delete", args=[model.pk])).status_code
        == 403
    )
    # A draft stays editable.
    draft = scoring_model_copy(source=model, user=cast.admin)
    page = client.get(reverse("admin:accounts_scoringmodel_change", args=[draft.pk]))
    assert page.status_code == 200 and 'name="name"' in page.content.decode()


def test_criteria_refuse_bad_points_with_field_errors(cast: Cast) -> None:
    draft = make_model(publish=False)
    criterion = Criterion(scoring_model=draft, input="growth_potential", weight=Decimal("10"))
    criterion.missing_policy = "neutral"
    with pytest.raises(ValidationError) as error:
        criterion.full_clean()
    assert "neutral_points" in error.value.message_dict
    from accounts.models import ChoicePoints

    saved = Criterion.objects.create(scoring_model=draft, input="growth_potential", weight=10)
    with pytest.raises(ValidationError) as error:
        ChoicePoints(criterion=saved, value="enormous", points=Decimal("50")).full_clean()
    assert "value" in error.value.message_dict
    with pytest.raises(ValidationError):
        ChoicePoints(criterion=saved, value="high", points=Decimal("120")).full_clean()


def test_scores_keep_their_version_which_cannot_be_deleted(cast: Cast) -> None:
    first = make_model()
    tiering_recompute_account(account_id=cast.account.pk)
    make_model(strategic="90")
    assert AccountScore.objects.get(account=cast.account).scoring_model == first
    with pytest.raises(ProtectedError):
        first.delete()


def test_history_and_overrides_are_read_only_in_the_admin(client, cast: Cast) -> None:
    client.force_login(cast.admin)
    for name in ("tierchange", "tieroverride", "accountscore"):
        assert client.get(reverse(f"admin:accounts_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:accounts_{name}_add")).status_code == 403
    assert client.get(reverse("admin:accounts_fxrate_changelist")).status_code == 200
    account_page = client.get(reverse("admin:accounts_account_change", args=[cast.account.pk]))
    assert 'name="tier"' not in account_page.content.decode()
