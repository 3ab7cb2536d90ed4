"""Change history of the risk data people enter (django-auditlog): covenant thresholds and
figures, ESG events and rule configuration. Alerts keep their own history (AlertEvent)."""

from auditlog.registry import auditlog

from .models import CovenantTest, EsgEvent, ProjectCovenant, RiskRule

auditlog.register(ProjectCovenant)
auditlog.register(CovenantTest)
auditlog.register(EsgEvent)
auditlog.register(RiskRule)
