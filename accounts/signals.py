"""Who may see which account is remembered for the rest of a web request
(accounts.selectors, kam.request_scope); a write that changes it forgets it."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from kam.models import Team, User
from kam.request_scope import forget

from .models import Account, AccountGroupObjectPermission, AccountMembership


def _forget(**kwargs: Any) -> None:
    forget()


for _model in (Account, AccountMembership, AccountGroupObjectPermission, Team):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"forget-access-save-{_model.__name__}")
    post_delete.connect(
        _forget, sender=_model, dispatch_uid=f"forget-access-delete-{_model.__name__}"
    )
m2m_changed.connect(_forget, sender=User.groups.through, dispatch_uid="forget-access-groups")
