"""Local development and the `make run` demo: DEBUG on, plain HTTP on 127.0.0.1."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")

# Demo keys so `make run` works on a fresh machine; production must set its own.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktZmllbGQta2V5LTAwMDAwMDAwMDAwMDA="]
)
FIELD_ENCRYPTION_SM4_KEYS = env.list(
    "FIELD_ENCRYPTION_SM4_KEYS", default=["ZGV2LW9ubHktc200LWtleQ=="]
)
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="dev-only-blind-index-key")

# Serve static files straight from static/ (no collectstatic in development and tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
