"""Change history of the interactions app's configuration (django-auditlog).

- ``service`` (issue 5): SLA policies, edited by administrators — who changed which target
  and when. Service requests keep their own state history (ServiceRequestEvent).
"""

from auditlog.registry import auditlog

from .models import SlaPolicy

auditlog.register(SlaPolicy)
