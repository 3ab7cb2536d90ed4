"""Celery tasks of the interactions app, one module per area (two issues share this app).
Celery's autodiscovery imports this package, so every module is imported here.

- ``reviews``: quarterly review reminders and escalation (issue 4)
- ``service``: SLA breach checks (issue 5) — add ``from . import service`` below.
"""

from . import reviews, service  # noqa: F401
