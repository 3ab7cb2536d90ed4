"""risk 0004: every covenant's single threshold becomes its event-of-default level from the
start, with no row lost, and the way back restores the thresholds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ProjectFactory

BEFORE = ("risk", "0003_covenant_test_account")
AFTER = ("risk", "0004_covenant_levels_and_waivers")


def _migrate(target: tuple[str, str] | None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_covenant_threshold_as_its_default_level() -> None:
    executor = _migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state([BEFORE]).apps
        Covenant = old_apps.get_model("risk", "ProjectCovenant")
        Test = old_apps.get_model("risk", "CovenantTest")
        Metric = old_apps.get_model("risk", "CovenantMetric")
        metrics = list(Metric.objects.order_by("position"))
        thresholds: dict[int, Decimal] = {}
        for i in range(7):
            project = ProjectFactory.create()
            for j, metric in enumerate(metrics[: 1 + i % 3]):
                threshold = Decimal("1.0500") + Decimal(i) / 100 + Decimal(j)
                covenant = Covenant.objects.create(
                    project_id=project.pk, metric_id=metric.pk, threshold=threshold
                )
                thresholds[covenant.pk] = threshold
                Test.objects.create(
                    account_id=project.account_id,
                    project_id=project.pk,
                    metric_id=metric.pk,
                    period_end=dt.date(2026, 6, 30),
                    value=Decimal("1.2"),
                    threshold=threshold,
                    direction=metric.direction,
                )
        tests_before = sorted(Test.objects.values_list("pk", "threshold"))

        _migrate(AFTER)
        from risk.models import CovenantLevel, CovenantTest, ProjectCovenant

        assert set(ProjectCovenant.objects.values_list("pk", flat=True)) == set(thresholds)
        levels = list(
            CovenantLevel.objects.values_list("covenant_id", "kind", "valid_from", "threshold")
        )
        assert sorted(levels) == sorted(
            (pk, "default", None, threshold) for pk, threshold in thresholds.items()
        )
        assert sorted(CovenantTest.objects.values_list("pk", "threshold")) == tests_before
        assert not CovenantTest.objects.filter(lock_up_threshold__isnull=False).exists()

        # The way back puts each threshold back on its covenant.
        executor = _migrate(BEFORE)
        old_apps = executor.loader.project_state([BEFORE]).apps
        restored = dict(
            old_apps.get_model("risk", "ProjectCovenant").objects.values_list("pk", "threshold")
        )
        assert restored == thresholds
    finally:
        _migrate(None)


@pytest.mark.django_db(transaction=True)
def test_the_way_back_takes_the_earliest_default_level_when_none_is_from_the_start() -> None:
    """A covenant whose event-of-default level exists only from a date (and one with no
    default level at all) still gets a threshold back, so the column can be required."""
    executor = _migrate(AFTER)
    try:
        apps = executor.loader.project_state([AFTER]).apps
        Covenant = apps.get_model("risk", "ProjectCovenant")
        Level = apps.get_model("risk", "CovenantLevel")
        Metric = apps.get_model("risk", "CovenantMetric")
        dscr, llcr, *_rest = Metric.objects.order_by("position")
        project = ProjectFactory.create()
        dated = Covenant.objects.create(project_id=project.pk, metric_id=dscr.pk)
        Level.objects.create(covenant=dated, kind="lock_up", threshold=Decimal("1.30"))
        Level.objects.create(
            covenant=dated,
            kind="default",
            threshold=Decimal("1.15"),
            valid_from=dt.date(2027, 1, 1),
        )
        Level.objects.create(
            covenant=dated,
            kind="default",
            threshold=Decimal("1.10"),
            valid_from=dt.date(2026, 1, 1),
        )
        lock_up_only = Covenant.objects.create(project_id=project.pk, metric_id=llcr.pk)
        Level.objects.create(covenant=lock_up_only, kind="lock_up", threshold=Decimal("1.40"))

        executor = _migrate(BEFORE)
        old_apps = executor.loader.project_state([BEFORE]).apps
        restored = dict(
            old_apps.get_model("risk", "ProjectCovenant").objects.values_list("pk", "threshold")
        )
        assert restored == {dated.pk: Decimal("1.10"), lock_up_only.pk: Decimal("1.40")}
    finally:
        _migrate(None)
