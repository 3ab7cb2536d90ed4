"""Change history of the interactions app (django-auditlog): channels, interactions with their
participants, follow-up actions, strategic reviews with their executives, executive sponsors,
SLA policies and service requests.

Interaction notes (summary, outcome, and the encrypted confidential_summary and
confidential_outcome of a confidential interaction) may be confidential: the log records that
they changed, never what they say. Service requests also keep their own state history
(ServiceRequestEvent); the "last changed" stamps are left out (the entry has its own time).
"""

from auditlog.registry import auditlog

from kam.audit import audit_m2m_by_pseudonym

from .models import (
    AccountSponsor,
    Channel,
    FollowUp,
    Interaction,
    ServiceRequest,
    SlaPolicy,
    StrategicReview,
)

_STAMPS = ["updated_at"]

auditlog.register(Channel)
auditlog.register(
    Interaction,
    exclude_fields=_STAMPS,
    mask_fields=["summary", "outcome", "confidential_summary", "confidential_outcome"],
    mask_callable="kam.audit.mask_secret",
    m2m_fields={"internal_participants"},
)
# Contacts are people: logged as "Contact #12", never by name (kam.pseudonyms).
audit_m2m_by_pseudonym(Interaction, "contacts")
auditlog.register(StrategicReview, exclude_fields=_STAMPS, m2m_fields={"executives"})
auditlog.register(FollowUp)
auditlog.register(AccountSponsor)
auditlog.register(SlaPolicy)
auditlog.register(ServiceRequest, exclude_fields=_STAMPS)

# Models of this app that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "interactions.AccountContactStats": "figures kept by the interaction services",
    "interactions.ReviewReminder": "a record of a reminder job",
    "interactions.ServiceRequestEvent": "a service request's own history",
    "interactions.SlaBreach": "detected by the breach scan from audited deadlines",
}
