"""Masking of personal information for lists and the audit trail (PIPL)."""

import re

from .crypto import normalize_phone


def mask_phone(value: str | None) -> str:
    """13812341234 -> 138****1234; short numbers keep only their last two digits."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", normalize_phone(value))
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_email(value: str | None) -> str:
    """zhang.wei@example.com -> z***@example.com"""
    if not value:
        return ""
    local, sep, domain = value.partition("@")
    if not sep:
        return mask_value(value)
    return f"{local[:1]}***@{domain}"


def mask_value(value: str | None) -> str:
    """Mask any personal value for the audit trail: an e-mail or a phone keeps its shape."""
    if value in (None, "", "None"):
        return ""
    text = str(value)
    if "@" in text:
        return mask_email(text)
    if sum(ch.isdigit() for ch in text) >= 7:
        return mask_phone(text)
    return text[:1] + "***" if len(text) > 1 else "*"
