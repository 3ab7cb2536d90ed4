"""Recomputing scores: set-based per chunk, history only when the tier changes, idempotent,
FX-converted exposure, runs and chunks, triggers after commit, and a bounded number of queries
per chunk whatever its size."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.choices import PartyRole, RecomputeTrigger, ScoringModelStatus, TierChangeCause
from accounts.models import (
    Account,
    AccountScore,
    Facility,
    FxRate,
    Project,
    ProjectParty,
    TierChange,
    TieringChunk,
    TieringRun,
)
from accounts.tiering import services as tiering_services
from accounts.tiering.engine import Band, CriterionSpec, ModelSpec
from accounts.tiering.services import (
    scoring_model_spec,
    tiering_chunk_process,
    tiering_recompute,
    tiering_recompute_account,
    tiering_run_start,
)
from kam import queue
from tests.accounts.tiering_helpers import make_model
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

pytestmark = pytest.mark.django_db

BN = Decimal(1_000_000_000)


def _project(
    account: Account, exposure: Decimal, currency: str = "CNY", **kwargs: object
) -> Project:
    """A project the account leads and borrows under: one facility fully drawn, so its
    exposure (drawn + undrawn) is ``exposure``."""
    return ProjectFactory.create(
        account=account,
        currency=currency,
        total_cost=exposure * 3,
        commitment=exposure,
        outstanding=exposure,
        **kwargs,
    )


def _facility(
    project: Project, borrower: Account, exposure: Decimal, currency: str = "CNY"
) -> Facility:
    """A facility of ``project`` borrowed by ``borrower`` (a party of the project)."""
    ProjectParty.objects.get_or_create(project=project, account=borrower, role=PartyRole.BORROWER)
    return Facility.objects.create(
        project=project,
        borrower=borrower,
        name="Term loan B",
        currency=currency,
        commitment=exposure,
        drawn=exposure,
    )


def test_recompute_scores_an_account_and_records_the_tier_change(cast: Cast) -> None:
    model = make_model()
    account = cast.account
    Account.objects.filter(pk=account.pk).update(esg_rating="AAA")
    _project(account, BN)

    result = tiering_recompute_account(account_id=account.pk)

    assert result.accounts == 1 and result.tier_changes == 1
    score = AccountScore.objects.get(account=account)
    assert score.score == Decimal("100.00") and score.model_tier == "strategic"
    assert score.scoring_model == model
    assert [line["input"] for line in score.breakdown["lines"]] == ["exposure", "esg_rating"]
    assert score.breakdown["lines"][0]["value"] == "1000000000.00"
    account.refresh_from_db()
    assert account.tier == "strategic"
    change = TierChange.objects.get(account=account)
    assert (change.old_tier, change.new_tier, change.cause) == ("standard", "strategic", "model")
    assert change.score == Decimal("100.00") and change.scoring_model == model
    assert change.changed_by is None


def test_recompute_twice_writes_history_once(cast: Cast) -> None:
    make_model()
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="A")
    _project(cast.account, Decimal(600_000_000))
    tiering_recompute_account(account_id=cast.account.pk)
    again = tiering_recompute_account(account_id=cast.account.pk)
    assert again.tier_changes == 0
    assert TierChange.objects.filter(account=cast.account).count() == 1
    assert AccountScore.objects.get(account=cast.account).score == Decimal("72.00")


def test_unchanged_tier_writes_no_history_but_refreshes_the_score(cast: Cast) -> None:
    make_model()
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="BB")
    tiering_recompute_account(account_id=cast.account.pk)  # 12 → standard, as it was
    assert not TierChange.objects.exists()
    assert AccountScore.objects.get(account=cast.account).score == Decimal("12.00")


def test_fx_conversion_decides_the_band(cast: Cast) -> None:
    make_model()
    FxRate.objects.filter(currency="USD").update(rate_to_cny=Decimal("7.2"))
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="CCC")
    # USD 70m × 7.2 = CNY 504m → the 500m band (80 points), never "70m" (0 points).
    _project(cast.account, Decimal(70_000_000), currency="USD")
    tiering_recompute_account(account_id=cast.account.pk)
    score = AccountScore.objects.get(account=cast.account)
    assert score.breakdown["lines"][0]["value"] == "504000000.00"
    assert score.score == Decimal("48.00")


def test_missing_fx_rate_makes_exposure_missing_not_wrong(cast: Cast) -> None:
    make_model()
    FxRate.objects.filter(currency="EUR").delete()
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="AAA")
    _project(cast.account, BN)
    _project(cast.account, Decimal(50_000_000), currency="EUR")
    tiering_recompute_account(account_id=cast.account.pk)
    score = AccountScore.objects.get(account=cast.account)
    assert score.breakdown["lines"][0]["status"] == "missing_zero"
    assert score.breakdown["notes"] == ["no_fx_rate:EUR"]
    assert score.score == Decimal("40.00")


def test_exposure_is_the_borrowers_not_the_lead_accounts_nor_a_contractors(cast: Cast) -> None:
    """A project led by one account, financed by a loan to its project company (SPV), built
    by an EPC contractor: the SPV owes the exposure; the lead and the contractor owe nothing."""
    model = make_model()
    lead, spv, epc = (
        cast.account,
        AccountFactory.create(owner=cast.owner),
        AccountFactory.create(owner=cast.owner),
    )
    project = ProjectFactory.create(account=lead, role=PartyRole.SPONSOR, commitment=0)
    ProjectParty.objects.create(project=project, account=epc, role=PartyRole.EPC)
    _facility(project, spv, BN)
    spec = scoring_model_spec(scoring_model=model)
    tiering_recompute(spec=spec, account_ids=[lead.pk, spv.pk, epc.pk])
    scores = {s.account_id: s.breakdown["lines"][0]["value"] for s in AccountScore.objects.all()}
    assert scores == {lead.pk: "0.00", spv.pk: "1000000000.00", epc.pk: "0.00"}


def test_undrawn_commitment_counts_as_exposure(cast: Cast) -> None:
    make_model()
    project = ProjectFactory.create(account=cast.account, commitment=0)
    Facility.objects.create(
        project=project,
        borrower=cast.account,
        name="Revolver",
        kind="revolving",
        commitment=Decimal(600_000_000),
        drawn=Decimal(100_000_000),
        undrawn=Decimal(500_000_000),
    )
    tiering_recompute_account(account_id=cast.account.pk)
    line = AccountScore.objects.get(account=cast.account).breakdown["lines"][0]
    assert line["value"] == "600000000.00"


def test_green_share_reads_the_green_taxonomy_of_the_borrowed_facilities(cast: Cast) -> None:
    model = make_model()
    spec = ModelSpec(
        criteria=(
            CriterionSpec(
                input="green_share",
                weight=Decimal(100),
                bands=(Band(Decimal(0), Decimal(0)), Band(Decimal(25), Decimal(100))),
            ),
        ),
        strategic_min=Decimal(80),
        key_min=Decimal(60),
        core_min=Decimal(40),
        id=model.pk,
    )
    _project(cast.account, Decimal(300), green_category="clean_energy")
    _project(cast.account, Decimal(700))
    # Led by the account but lent to someone else: not in its share at all.
    other = ProjectFactory.create(account=cast.account, commitment=0, green_category="ecology")
    _facility(other, AccountFactory.create(owner=cast.owner), Decimal(5000))
    tiering_recompute(spec=spec, account_ids=[cast.account.pk])
    line = AccountScore.objects.get(account=cast.account).breakdown["lines"][0]
    assert (line["value"], line["points"]) == ("30.00", "100")


def test_a_group_members_size_is_the_groups_exposure_when_larger(cast: Cast) -> None:
    from groups.models import ClientGroup, GroupMembership

    model = make_model()
    parent, subsidiary = cast.account, AccountFactory.create(owner=cast.owner)
    outsider = AccountFactory.create(owner=cast.owner)
    group = ClientGroup.objects.create(name_en="Sunrise Group", parent=parent)
    GroupMembership.objects.create(group=group, account=parent)
    GroupMembership.objects.create(
        group=group, account=subsidiary, parent=parent, ownership_pct=Decimal(60)
    )
    _project(parent, Decimal(100_000_000))
    _project(subsidiary, Decimal(450_000_000))
    _project(outsider, Decimal(450_000_000))
    ids = [parent.pk, subsidiary.pk, outsider.pk]
    # One chunk with the parent only: the subsidiary outside the chunk still counts.
    tiering_recompute_account(account_id=parent.pk)
    tiering_recompute(spec=scoring_model_spec(scoring_model=model), account_ids=ids[1:])
    scores = {s.account_id: s.breakdown for s in AccountScore.objects.all()}
    assert scores[parent.pk]["lines"][0]["value"] == "550000000.00"
    assert scores[parent.pk]["notes"] == ["group_exposure"]
    assert scores[subsidiary.pk]["lines"][0]["value"] == "550000000.00"
    assert scores[outsider.pk]["lines"][0]["value"] == "450000000.00"
    assert scores[outsider.pk]["notes"] == []


def test_no_published_model_means_nothing_to_do(cast: Cast) -> None:
    assert tiering_recompute_account(account_id=cast.account.pk).skipped
    assert tiering_run_start(trigger=RecomputeTrigger.MANUAL) == (None, [])
    assert not AccountScore.objects.exists()


def test_a_run_splits_the_book_into_chunks_and_finishes_once_all_are_done(cast: Cast) -> None:
    make_model()
    AccountFactory.create_batch(6, owner=cast.owner, esg_rating="AAA")
    run, chunk_ids = tiering_run_start(trigger=RecomputeTrigger.MANUAL, size=3)
    assert run is not None and run.chunk_count == 3 and len(chunk_ids) == 3
    first, *rest = chunk_ids
    assert tiering_chunk_process(chunk_id=first).accounts == 3
    run.refresh_from_db()
    assert run.finished_at is None
    for chunk_id in rest:
        tiering_chunk_process(chunk_id=chunk_id)
    run.refresh_from_db()
    assert run.finished_at is not None
    assert AccountScore.objects.count() == 7
    assert sum(TieringChunk.objects.filter(run=run).values_list("accounts", flat=True)) == 7
    # A redelivered chunk is skipped: nothing counted twice.
    assert tiering_chunk_process(chunk_id=first).skipped
    assert sum(TieringChunk.objects.filter(run=run).values_list("accounts", flat=True)) == 7


def test_a_keyed_run_happens_once_and_requeues_only_unfinished_chunks(cast: Cast) -> None:
    make_model()
    AccountFactory.create_batch(3, owner=cast.owner)
    run, chunk_ids = tiering_run_start(trigger=RecomputeTrigger.NIGHTLY, key="nightly:x", size=2)
    tiering_chunk_process(chunk_id=chunk_ids[0])
    again, pending = tiering_run_start(trigger=RecomputeTrigger.NIGHTLY, key="nightly:x", size=2)
    assert again == run
    assert pending == chunk_ids[1:]
    assert TieringRun.objects.count() == 1


def test_chunks_of_a_superseded_model_skip_their_accounts(cast: Cast) -> None:
    make_model()
    run, chunk_ids = tiering_run_start(trigger=RecomputeTrigger.MANUAL)
    newer = make_model(strategic="90")
    assert run is not None and newer.status == ScoringModelStatus.PUBLISHED
    assert tiering_chunk_process(chunk_id=chunk_ids[0]).skipped
    run.refresh_from_db()
    assert run.finished_at is not None
    assert not AccountScore.objects.exists()


@pytest.mark.parametrize("size", [5, 60])
def test_queries_per_chunk_do_not_grow_with_the_chunk(cast: Cast, size: int) -> None:
    model = make_model()
    # A published version is read once per worker process (it never changes), not per chunk.
    scoring_model_spec(scoring_model=model)
    for account in AccountFactory.create_batch(size, owner=cast.owner, esg_rating="AA"):
        _project(account, Decimal(700_000_000))
        _project(account, Decimal(10_000_000), currency="USD", green_category="clean_energy")
    run, chunk_ids = tiering_run_start(trigger=RecomputeTrigger.MANUAL, size=1000)
    with CaptureQueriesContext(connection) as queries:
        result = tiering_chunk_process(chunk_id=chunk_ids[0])
    assert result.accounts == size + 1
    # chunk, lock+read accounts, exposure, groups, (group exposure), overrides, FX, upsert
    # scores, ≤4 tier updates, history, run lock, chunk claim, unfinished check, run finish.
    # SQLite splits big inserts.
    limit = 18 if connection.vendor == "postgresql" else 18 + size // 50
    assert len(queries) <= limit, [q["sql"][:80] for q in queries.captured_queries]


def test_editing_an_account_or_project_queues_a_rescore_after_commit(
    cast: Cast, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(
        queue.current_app,
        "send_task",
        lambda name, args: queued.append((name, args[0])),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.account_update(account=cast.account, esg_rating="AA")
    rescore = (tiering_services.TASK_RECOMPUTE_ACCOUNT, cast.account.pk)
    assert queued == [rescore]
    with django_capture_on_commit_callbacks(execute=True):
        project = Project(
            account=cast.account,
            name="Wind farm",
            sector="renewables",
            region="cn_east",
            total_cost=Decimal(100),
        )
        services.project_save(project=project)
    assert queued == [rescore, rescore]


def test_publishing_queues_a_recompute_of_every_account_after_commit(
    django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(
        queue.current_app,
        "send_task",
        lambda name, args: queued.append((name, args)),
    )
    draft = make_model(publish=False)
    with django_capture_on_commit_callbacks(execute=True):
        tiering_services.scoring_model_publish(scoring_model=draft, user=None)
    assert queued == [(tiering_services.TASK_RECOMPUTE_ALL, (RecomputeTrigger.PUBLISH,))]


def test_the_services_queue_by_the_registered_task_names() -> None:
    """The services queue by name (they never import the tasks): the names are the ones
    registered, unchanged, found by the worker's autodiscovery, and beat's nightly entry
    names one of them."""
    from django.conf import settings

    from accounts.tiering import tasks
    from kam.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    for name in (
        "accounts.tiering.recompute_account",
        "accounts.tiering.recompute_all",
        "accounts.tiering.recompute_chunk",
    ):
        assert name in app.tasks
    assert tasks.tiering_recompute_account.name == tiering_services.TASK_RECOMPUTE_ACCOUNT
    assert tasks.tiering_recompute_all.name == tiering_services.TASK_RECOMPUTE_ALL
    assert tasks.tiering_recompute_chunk.name == tiering_services.TASK_RECOMPUTE_CHUNK
    nightly = settings.CELERY_BEAT_SCHEDULE["accounts-tiering-nightly"]["task"]
    assert nightly == tiering_services.TASK_RECOMPUTE_ALL


def test_a_broker_outage_does_not_break_the_edit(
    cast: Cast, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(queue.current_app, "send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_update(account=cast.account, esg_rating="AA")
    cast.account.refresh_from_db()
    assert cast.account.esg_rating == "AA"


def test_the_edit_form_never_writes_a_stale_tier(cast: Cast) -> None:
    stale = Account.objects.get(pk=cast.account.pk)
    Account.objects.filter(pk=cast.account.pk).update(tier="key")  # a recompute meanwhile
    services.account_update(account=stale, notes="met the CFO")
    cast.account.refresh_from_db()
    assert cast.account.tier == "key"
    assert cast.account.notes == "met the CFO"


def test_history_records_the_cause(cast: Cast) -> None:
    make_model()
    Account.objects.filter(pk=cast.account.pk).update(esg_rating="AAA")
    _project(cast.account, BN)
    tiering_recompute_account(account_id=cast.account.pk)
    assert TierChange.objects.get().get_cause_display() == TierChangeCause.MODEL.label
