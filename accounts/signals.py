"""Who may see which account is kept between requests (kam.access_cache, used by
accounts.selectors and User.role_names); every write that changes it drops it at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save

from kam.access_cache import access_changed
from kam.models import Team, User

from .models import Account, AccountGroupObjectPermission, AccountMembership, TierPolicy

_ACCESS_FIELDS = frozenset({"owner", "owner_id", "team", "team_id"})


def _changed(**kwargs: Any) -> None:
    access_changed()


def _account_saved(sender: type[Account], instance: Account, created: bool, **kwargs: Any) -> None:
    """An account's save changes access when it is new or its owner or team moved (the
    tiering jobs save thousands of accounts a day without touching either)."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not _ACCESS_FIELDS.intersection(update_fields):
        return
    now = (instance.owner_id, instance.team_id)
    if created or getattr(instance, "_access_loaded", None) != now:
        access_changed()
    instance._access_loaded = now


def _user_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    """A user's name is an option of the owner filters, and being active is access; a login
    (which saves only ``last_login``) changes neither."""
    update_fields = kwargs.get("update_fields")
    if update_fields is None or set(update_fields) != {"last_login"}:
        access_changed()


post_save.connect(_user_saved, sender=User, dispatch_uid="access-user-save")
post_save.connect(_account_saved, sender=Account, dispatch_uid="access-account-save")
post_delete.connect(_changed, sender=Account, dispatch_uid="access-account-delete")
# TierPolicy: not access, but kept the same way (accounts.selectors.tier_policies).
for _model in (AccountMembership, AccountGroupObjectPermission, Team, Group, TierPolicy):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"access-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"access-delete-{_model.__name__}")
m2m_changed.connect(_changed, sender=User.groups.through, dispatch_uid="access-user-groups")
