"""Risk app models, one module per area:

- ``covenants``: covenant metrics, project covenants, their levels, covenant tests (figures),
  cures, waivers and amendments
- ``rules``: early-warning rules, ESG events, credit-rating observations
- ``alerts``: alerts, their history, mitigation actions, escalations
- ``scans``: scan runs, chunks and errors
- ``watchlist``: the watch list (entries with entry, review and exit)
"""

from .alerts import Alert, AlertEscalation, AlertEvent, MitigationAction
from .covenants import (
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    ProjectCovenant,
    add_months,
    headroom_pct,
    is_past,
)
from .rules import EsgEvent, RatingChange, RatingSnapshot, RiskRule
from .scans import ScanChunk, ScanError, ScanRun
from .watchlist import WatchListEntry, WatchReason

__all__ = [
    "Alert",
    "AlertEscalation",
    "AlertEvent",
    "CovenantLevel",
    "CovenantMetric",
    "CovenantTest",
    "CovenantWaiver",
    "EsgEvent",
    "MitigationAction",
    "ProjectCovenant",
    "RatingChange",
    "RatingSnapshot",
    "RiskRule",
    "ScanChunk",
    "ScanError",
    "ScanRun",
    "WatchListEntry",
    "WatchReason",
    "add_months",
    "headroom_pct",
    "is_past",
]
