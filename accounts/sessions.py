"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database sessions, per user.

Sessions are stored as :class:`accounts.models.UserSession`, which records the
logged-in user beside the session data, so that every session of a user can be
ended at once (``accounts.services.user_sessions_end``).
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from shop.db import primary_key_parse


class SessionStore(DatabaseSessionStore):
    """Django's database session store on :class:`~accounts.models.UserSession`."""

    @classmethod
    def get_model_class(cls):
        """Return the session model."""
        from accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        """Return the session row to save, with the user the session is logged in as (or none)."""
        from accounts.models import User

        session = super().create_model_instance(data)
        session.user_id = primary_key_parse(model=User, value=data.get(SESSION_KEY))
        return session
