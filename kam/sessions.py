"""Sessions read from the shared cache and written through to the database, that carry on
from the database alone when the cache is down (Django's ``cached_db`` store fails a login
then: it asks the cache whether a new key exists, and fills it after a read, unguarded)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.exception("The session cache is unavailable; asking the database.")
        return super(cached_db.SessionStore, self).exists(session_key)

    def load(self) -> dict[str, Any]:
        try:
            return super().load()  # type: ignore[no-any-return]
        except Exception:
            logger.exception("The session cache is unavailable; reading the database.")
            session = self._get_session_from_db()
            return self.decode(session.session_data) if session else {}

    def delete(self, session_key: str | None = None) -> None:
        try:
            super().delete(session_key)
        except Exception:
            logger.exception("The session cache is unavailable; deleted in the database.")
            super(cached_db.SessionStore, self).delete(session_key)
