"""Change history of the risk app (django-auditlog): alerts and their mitigation actions,
covenant metrics, covenants and their levels, figures, cures, waivers and amendments, ESG events and rule configuration. Alerts
also keep their own history (AlertEvent); the "last changed" stamps are left out (the entry
has its own time)."""

from auditlog.registry import auditlog

from .models import (
    Alert,
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    MitigationAction,
    ProjectCovenant,
    RiskRule,
    WatchListEntry,
)

_STAMPS = ["updated_at"]

auditlog.register(Alert)
auditlog.register(MitigationAction)
auditlog.register(CovenantMetric)
auditlog.register(ProjectCovenant, exclude_fields=_STAMPS)
auditlog.register(CovenantLevel)
auditlog.register(CovenantTest, exclude_fields=_STAMPS)
auditlog.register(CovenantWaiver, exclude_fields=_STAMPS)
auditlog.register(EsgEvent)
auditlog.register(RiskRule, exclude_fields=_STAMPS)
auditlog.register(WatchListEntry, exclude_fields=_STAMPS)

# Models of this app that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "risk.AlertEvent": "an alert's own history",
    "risk.AlertEscalation": "written by the escalation job with the alert's history",
    "risk.RatingSnapshot": "the scan's record of ratings it observed",
    "risk.RatingChange": "the scan's record of rating changes it observed",
    "risk.ScanRun": "a record of a scan job",
    "risk.ScanChunk": "a record of a scan job",
    "risk.ScanError": "a record of a scan job",
}
