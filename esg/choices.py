"""The choices of the E&S app: ESAP item status, the standards an item answers to, review
outcomes, and what each Equator Principles category requires of a project."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EsapItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Waived")


# Items that still have to be done by their due date (the overdue rule reads these).
OPEN_ITEM_STATUSES = (EsapItemStatus.OPEN, EsapItemStatus.IN_PROGRESS)


class EsStandard(models.TextChoices):
    """What an ESAP item answers to: the IFC Performance Standards the Equator Principles apply
    outside designated countries, the EHS guidelines, a principle of the EPs, host-country law."""

    IFC_PS1 = "ifc_ps1", _("IFC PS1 — Assessment and management of E&S risks")
    IFC_PS2 = "ifc_ps2", _("IFC PS2 — Labour and working conditions")
    IFC_PS3 = "ifc_ps3", _("IFC PS3 — Resource efficiency and pollution prevention")
    IFC_PS4 = "ifc_ps4", _("IFC PS4 — Community health, safety and security")
    IFC_PS5 = "ifc_ps5", _("IFC PS5 — Land acquisition and involuntary resettlement")
    IFC_PS6 = "ifc_ps6", _("IFC PS6 — Biodiversity and living natural resources")
    IFC_PS7 = "ifc_ps7", _("IFC PS7 — Indigenous peoples")
    IFC_PS8 = "ifc_ps8", _("IFC PS8 — Cultural heritage")
    EHS_GUIDELINES = "ehs", _("World Bank Group EHS Guidelines")
    EQUATOR = "ep", _("Equator Principles")
    HOST_COUNTRY = "host_country", _("Host-country law and permits")
    OTHER = "other", _("Other")


class EsReviewOutcome(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    FINDINGS = "findings", _("Compliant, with findings to address")
    NON_COMPLIANT = "non_compliant", _("Material non-compliance")


class EsRequirement(models.TextChoices):
    ESAP = "esap", _("E&S action plan (ESAP)")
    INDEPENDENT_REVIEW = "independent_review", _("Independent E&S review")


# What the Equator Principles category sets: the depth of E&S due diligence and monitoring.
# A (significant impacts): an ESAP and an independent review; B (limited): an ESAP; C: none.
REQUIREMENTS_BY_CATEGORY: dict[str, tuple[EsRequirement, ...]] = {
    "A": (EsRequirement.ESAP, EsRequirement.INDEPENDENT_REVIEW),
    "B": (EsRequirement.ESAP,),
    "C": (),
}
