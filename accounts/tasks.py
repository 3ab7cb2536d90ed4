"""Celery tasks of the accounts app, one module per area. Celery's autodiscovery imports this
module, so every area's tasks module is imported here.

- ``tiering.tasks``: recomputing scores and tiers (``accounts.tiering.*``)
"""

from .tiering import tasks as tiering_tasks  # noqa: F401
