"""Change history of the privacy app (django-auditlog): retention rules and data-subject
requests. What the person wrote and where to answer them are masked; the request's own
history (``RequestEvent``) records each step of its handling."""

from auditlog.registry import auditlog

from .models import DataSubjectRequest, RetentionRule

auditlog.register(RetentionRule, exclude_fields=["updated_at"])
auditlog.register(
    DataSubjectRequest,
    mask_fields=["reply_to", "details"],
    exclude_fields=["updated_at"],
)

# Models of this app that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "privacy.RequestEvent": "the request's history itself, written with every step",
}
