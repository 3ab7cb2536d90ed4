"""Change history of the E&S app (django-auditlog): action plans, their items and the
independent reviews, each entry tagged with the project's lead account; the "last changed"
stamps are left out (the entry has its own time)."""

from auditlog.registry import auditlog

from .models import Esap, EsapItem, EsReview

_STAMPS = ["updated_at"]

auditlog.register(Esap, exclude_fields=_STAMPS)
auditlog.register(EsapItem, exclude_fields=_STAMPS)
auditlog.register(EsReview, exclude_fields=_STAMPS)

# Every model of this app is in the change log.
NOT_AUDITED: dict[str, str] = {}
