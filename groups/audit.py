from auditlog.registry import auditlog

from .models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership

_STAMPS = ("created_at", "updated_at")

auditlog.register(ClientGroup, exclude_fields=_STAMPS)
auditlog.register(GroupMembership, exclude_fields=_STAMPS)
auditlog.register(ConnectedParty, exclude_fields=_STAMPS)
auditlog.register(CapitalBase, exclude_fields=_STAMPS)
