"""Change history of accounts, contacts and projects (django-auditlog).

Personal data is masked in the log (138****1234); blind indexes are never logged.
Each entry carries the account id in ``additional_data`` so compliance can filter by account.
"""

from auditlog.registry import auditlog

from .models import Account, AccountMembership, Contact, Project

auditlog.register(Account)
auditlog.register(AccountMembership)
auditlog.register(Project)
auditlog.register(
    Contact,
    mask_fields=["phone", "email"],
    exclude_fields=["phone_index", "email_index"],
)
