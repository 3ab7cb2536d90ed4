"""Demo data of the dashboards: the quarterly snapshots over the demo book (the beat job keeps
them fresh afterwards). Idempotent: each snapshot is an upsert."""

from __future__ import annotations

from dashboard.snapshots import RefreshResult, snapshots_refresh


def seed_dashboard() -> RefreshResult:
    """Snapshots of the current quarter and of any of the last eight not yet final."""
    return snapshots_refresh()
