"""Writes of the risk app, one module per area (scan, alerts, covenants and ESG events)."""

from .alerts import (
    AlertChanged,
    alert_acknowledge,
    alert_comment,
    alert_dismiss,
    alert_escalate,
    alert_escalations_process,
    alert_raise_manual,
    alert_resolve,
    alert_start_mitigation,
    manual_rule,
    mitigation_action_add,
    mitigation_action_complete,
)
from .covenants import (
    ImportResult,
    covenant_save,
    covenant_test_record,
    covenant_tests_import,
    esg_event_close,
    esg_event_record,
)
from .rules import rule_save
from .scan import (
    ratings_observe,
    scan_chunk_process,
    scan_dispatch,
    scan_request,
    scan_run_inline,
    scan_schedule,
)

__all__ = [
    "AlertChanged",
    "ImportResult",
    "alert_acknowledge",
    "alert_comment",
    "alert_dismiss",
    "alert_escalate",
    "alert_escalations_process",
    "alert_raise_manual",
    "alert_resolve",
    "alert_start_mitigation",
    "covenant_save",
    "covenant_test_record",
    "covenant_tests_import",
    "esg_event_close",
    "esg_event_record",
    "manual_rule",
    "mitigation_action_add",
    "mitigation_action_complete",
    "ratings_observe",
    "rule_save",
    "scan_chunk_process",
    "scan_dispatch",
    "scan_request",
    "scan_run_inline",
    "scan_schedule",
]
