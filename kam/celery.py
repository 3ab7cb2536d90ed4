"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import os
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.dev")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def broker_folders_ensure(sender: Celery, source: Any, **kwargs: Any) -> None:
    """kombu's filesystem transport (the default broker) fails on a missing folder, whoever
    publishes first: a worker, beat, a web request or a benchmark. Make its folders as soon
    as the configuration is read."""
    if not str(source.get("broker_url") or "").startswith("filesystem:"):
        return
    options = source.get("broker_transport_options") or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
