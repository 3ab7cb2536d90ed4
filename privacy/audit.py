"""Change history of the privacy app (django-auditlog): retention rules and data-subject
requests. Who asked (when they are not a contact), what they wrote and where to answer them
are masked (``mask_request_value``); the request's own history (``RequestEvent``) records each
step of its handling, never what the person wrote."""

from auditlog.registry import auditlog

from kam.masking import mask_email, mask_phone

from .models import DataSubjectRequest, RetentionRule

# The person's details on a request: never in the change log, which cannot be rewritten when
# they are erased (privacy.services.request_erase).
MASKED_REQUEST_FIELDS = ["person_name", "reply_to", "details"]


def mask_request_value(value: str) -> str:
    """An e-mail or a phone number keeps its shape (z***@example.com, 138****1234), so the log
    shows which kind of address changed; any other text — a name, a postal address, what the
    person wrote — only that there was one."""
    if value in (None, "", "None"):
        return ""
    text = str(value)
    if "@" in text and " " not in text.strip():
        return mask_email(text.strip())
    if sum(ch.isdigit() for ch in text) >= 7 and not any(ch.isalpha() for ch in text):
        return mask_phone(text)
    return "********"


auditlog.register(RetentionRule, exclude_fields=["updated_at"])
auditlog.register(
    DataSubjectRequest,
    mask_fields=MASKED_REQUEST_FIELDS,
    mask_callable="privacy.audit.mask_request_value",
    exclude_fields=["updated_at"],
)

# Models of this app that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "privacy.RequestEvent": "the request's history itself, written with every step",
    "privacy.RetentionRun": "a record of the retention job",
}
