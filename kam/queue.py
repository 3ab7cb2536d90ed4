"""Queue a Celery task by its registered name.

A service that must queue work (a dispatcher queuing its chunks, an edit queuing a rescore)
names the task instead of importing it: the tasks module imports the services it calls, so
an import the other way would make a circle. The name is all the broker needs."""

from __future__ import annotations

from typing import Any

from celery import current_app


def enqueue(name: str, *args: Any) -> None:
    """Send ``name(*args)`` to the broker; raises when the broker cannot be reached."""
    current_app.send_task(name, args=args)
