"""Shared fixtures. Every view test names the same cast: the account's owner RM, a teammate on
the account team, the owner's team lead, a read-only executive, and an outsider RM of another
team — and shows what each of them gets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accounts.models import Account
from kam.models import Team, User
from kam.roles import Role
from tests.factories import AccountFactory, MembershipFactory, TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI the suite must run on PostgreSQL and Redis; a missing service is a failure."""
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true but DATABASE_URL does not point at PostgreSQL.")
    if IN_CI and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("CI=true but REDIS_URL is not set.")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: the dashboards of an earlier test (whose rows
    were rolled back, and whose ids SQLite may hand out again) stay there."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def redis_cache() -> Iterator[None]:
    """The default cache on the Redis at REDIS_URL, emptied before and after: what the
    portal runs on when deployed. Without REDIS_URL it fails in CI and skips elsewhere."""
    from django.core.cache import caches
    from django.test import override_settings

    url = os.environ.get("REDIS_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the shared cache runs on Redis.")
        pytest.skip("REDIS_URL not set: the Redis cache is tested against Redis.")
    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "kam-test",
    }
    with override_settings(CACHES={"default": backend}):
        caches["default"].clear()
        yield
        caches["default"].clear()


@dataclass
class Cast:
    team: Team
    other_team: Team
    owner: User
    teammate: User
    lead: User
    other_lead: User
    outsider: User
    executive: User
    risk: User
    compliance: User
    admin: User
    account: Account


@pytest.fixture
def cast(db: None) -> Cast:
    team = TeamFactory.create(name="Energy")
    other_team = TeamFactory.create(name="Transport")
    lead = UserFactory.create(username="lead.zhao", team=team, roles=[Role.TEAM_LEAD])
    other_lead = UserFactory.create(username="lead.huang", team=other_team, roles=[Role.TEAM_LEAD])
    team.lead, other_team.lead = lead, other_lead
    team.save()
    other_team.save()
    owner = UserFactory.create(username="rm.wang", team=team, roles=[Role.RM])
    teammate = UserFactory.create(username="rm.li", team=other_team, roles=[Role.RM])
    outsider = UserFactory.create(username="rm.zhang", team=other_team, roles=[Role.RM])
    account = AccountFactory.create(owner=owner, legal_name_en="Sunrise Power Holdings")
    MembershipFactory.create(account=account, user=teammate)
    return Cast(
        team=team,
        other_team=other_team,
        owner=owner,
        teammate=teammate,
        lead=lead,
        other_lead=other_lead,
        outsider=outsider,
        executive=UserFactory.create(username="exec.chen", roles=[Role.EXECUTIVE]),
        risk=UserFactory.create(username="risk.liu", roles=[Role.RISK]),
        compliance=UserFactory.create(username="compliance.sun", roles=[Role.COMPLIANCE]),
        admin=UserFactory.create(username="admin", roles=[Role.ADMIN], is_staff=True),
        account=account,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests (real workers, live servers, row-lock races) end by flushing the
    database, which also wipes the rows data migrations made (roles, tier policies, channels,
    SLA policies). Serialized rollback restores them before each such test, whatever the order."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None:
            continue
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and marker.kwargs.get("transaction")) or (
            "transactional_db" in names or "live_server" in names
        )
        if not transactional:
            continue
        if marker is not None:
            # The closest marker decides, at set-up (serialise) and per test (restore).
            kwargs = {**marker.kwargs, "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
        elif "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")
