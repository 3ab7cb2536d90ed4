"""Django admin of the interactions app, one module per area (two issues share this app).
Django's autodiscovery imports this package, so every module is imported here.

- ``interactions``: channels, interactions, follow-ups, reviews, reminders (issue 4)
- ``service``: SLA policies and service requests (issue 5) — add ``from . import service``.
"""

from . import interactions, service  # noqa: F401
