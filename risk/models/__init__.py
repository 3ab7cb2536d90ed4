"""Risk app models, one module per area:

- ``covenants``: covenant metrics, project covenants (thresholds), covenant tests (figures)
- ``rules``: early-warning rules, ESG events, credit-rating observations
- ``alerts``: alerts, their history, mitigation actions, escalations
- ``scans``: scan runs, chunks and errors
"""

from .alerts import Alert, AlertEscalation, AlertEvent, MitigationAction
from .covenants import CovenantMetric, CovenantTest, ProjectCovenant, headroom_pct
from .rules import EsgEvent, RatingChange, RatingSnapshot, RiskRule
from .scans import ScanChunk, ScanError, ScanRun

__all__ = [
    "Alert",
    "AlertEscalation",
    "AlertEvent",
    "CovenantMetric",
    "CovenantTest",
    "EsgEvent",
    "MitigationAction",
    "ProjectCovenant",
    "RatingChange",
    "RatingSnapshot",
    "RiskRule",
    "ScanChunk",
    "ScanError",
    "ScanRun",
    "headroom_pct",
]
