"""Test settings: the same stack as dev, with fast hashing and fixed keys."""

from .dev import *  # noqa: F403
from .dev import CACHES as _deployed_caches  # not a setting of its own
from .dev import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FIELD_ENCRYPTION_KEYS = [
    "dGVzdC1vbmx5LWZpZWxkLWtleS0xMTExMTExMTExMTE=",
]
# Fernet encrypts by default; tests that choose sm4-gcm find a key here.
FIELD_ENCRYPTION_SM4_KEYS = ["dGVzdC1vbmx5LXNtNGtleQ=="]
BLIND_INDEX_KEY = "test-only-blind-index-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
AXES_ENABLED = True
# The suite signs users in with force_login, which skips the code step: no role needs it here
# and staff reach Django admin without it. tests/kam/test_mfa*.py restore the production rule
# (kam.settings.base) and prove its enforcement for every role, the admin and the flows.
MFA_REQUIRED_ROLES = []
MFA_REQUIRED_FOR_ADMIN = False
# Dashboards computed on every view: tests compare figures with the lists behind them.
DASHBOARD_CACHE_SECONDS = 0
# One cache per test process, emptied before every test (tests/conftest.py): a test never
# sees what another left. The redis_cache fixture runs it on Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tests that start real web processes (tests/kam/test_live_revocation.py) set this to give
# them the cache the portal is deployed with (Redis at REDIS_URL) and the dashboard's TTL.
if env.bool("KAM_TEST_SHARED_CACHE", default=False):
    CACHES = _deployed_caches
    DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
