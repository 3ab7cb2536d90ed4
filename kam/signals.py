"""Sessions follow their user's access (README, Security: Sessions).

Signing in records the session. Deactivating a user, changing their password, their staff or
superuser flag, or their roles (groups, from either side of the relation) ends all of their
sessions, by whatever route the change is saved: a portal form, Django admin, a script calling
``save()``. Queryset ``update()`` and raw SQL send no signals: an inactive user is still refused
by Django on every request, and a changed password fails every other session's check.

A user who changes their own password through Django's password-change views stays signed in:
those views move the current session to a new key (``update_session_auth_hash``) after the
save ended all of the old ones. A change of one's own roles ends one's own session too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from .models import User
from .services import user_session_seen, user_sessions_end

# The fields of a user whose change ends their sessions.
ACCESS_FIELDS = ("is_active", "password", "is_staff", "is_superuser")
_ENDS_SESSIONS = "_kam_ends_sessions"


@receiver(user_logged_in, dispatch_uid="kam.session_signed_in")
def _record_session(sender: type, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and isinstance(user, User):
        user_session_seen(request=request, user=user)


@receiver(pre_save, sender=User, dispatch_uid="kam.session_access_change_seen")
def _note_access_change(
    sender: type[User],
    instance: User,
    raw: bool,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not update_fields.intersection(ACCESS_FIELDS):
        return  # e.g. last_login at every sign-in: no query
    before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()
    if before is not None and any(before[f] != getattr(instance, f) for f in ACCESS_FIELDS):
        instance.__dict__[_ENDS_SESSIONS] = True


@receiver(post_save, sender=User, dispatch_uid="kam.session_access_change_saved")
def _end_sessions_on_access_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.__dict__.pop(_ENDS_SESSIONS, False):
        user_sessions_end(user_ids=[instance.pk])


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="kam.session_role_change")
def _end_sessions_on_role_change(
    sender: type,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    # Forward (user.groups.add/remove/set/clear) the instance is the user; reverse
    # (group.user_set...) it is the group and pk_set holds users.
    if action in ("post_add", "post_remove") and pk_set:
        user_ids = set(pk_set) if reverse else {instance.pk}
    elif action == "pre_clear":
        user_ids = set(instance.user_set.values_list("pk", flat=True)) if reverse else {instance.pk}
    else:
        return
    if user_ids:
        user_sessions_end(user_ids=user_ids)
