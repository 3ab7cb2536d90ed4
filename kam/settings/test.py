"""Test settings: the same stack as dev, with fast hashing and fixed keys."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FIELD_ENCRYPTION_KEYS = [
    "dGVzdC1vbmx5LWZpZWxkLWtleS0xMTExMTExMTExMTE=",
]
BLIND_INDEX_KEY = "test-only-blind-index-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
AXES_ENABLED = True
# Dashboards computed on every view: tests compare figures with the lists behind them.
DASHBOARD_CACHE_SECONDS = 0
# Pages computed on every view, for the same reason; tests/kam/test_data_cache.py keeps them.
DATA_CACHE_SECONDS = 0
# One cache per test process, emptied before every test (tests/conftest.py): a test never
# sees what another left. tests/test_access_cache.py runs the access cache on Redis too.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
