"""Each project's one account becomes a party with the role its account type gives, and the
project's commitment and outstanding become a term loan facility. Nothing is lost: the lead
account stays on the project, every amount moves to the facility, and the green flag becomes
a taxonomy class chosen by the project's sector.

The facility's borrower is the account where it can be one (a borrower, sponsor or strategic
partner); where the project was booked to its contractor, off-taker or a co-lender, the
facility has no borrower: its exposure shows as unattributed until an RM names the borrower,
instead of counting against a party that owes nothing."""

from decimal import Decimal

from django.db import migrations

ROLE_OF_TYPE = {
    "sponsor": "sponsor",
    "borrower": "borrower",
    "epc": "epc",
    "offtaker": "offtaker",
    "co_lender": "co_lender",
    "partner": "sponsor",
}
CAN_BORROW = {"borrower", "sponsor"}
GREEN_OF_SECTOR = {
    "renewables": "clean_energy",
    "power": "clean_energy",
    "water": "ecology",
    "transport": "green_infrastructure",
    "social": "green_infrastructure",
    "telecom": "green_infrastructure",
    "industrial": "clean_production",
    "mining": "energy_saving",
    "oil_gas": "energy_saving",
}


def forward(apps, schema_editor):
    Project = apps.get_model("accounts", "Project")
    ProjectParty = apps.get_model("accounts", "ProjectParty")
    Facility = apps.get_model("accounts", "Facility")
    Change = apps.get_model("accounts", "FacilityClassificationChange")
    projects = Project.objects.select_related("account").order_by("pk")
    for project in projects.iterator(chunk_size=2000):
        role = ROLE_OF_TYPE.get(project.account.account_type, "sponsor")
        ProjectParty.objects.get_or_create(project=project, account=project.account, role=role)
        if project.is_green:
            project.green_category = GREEN_OF_SECTOR.get(project.sector, "clean_energy")
            project.save(update_fields=["green_category"])
        if not project.commitment and not project.outstanding:
            continue
        facility = Facility.objects.create(
            project=project,
            borrower=project.account if role in CAN_BORROW else None,
            name="Term loan",
            kind="term_loan",
            currency=project.currency,
            commitment=project.commitment,
            drawn=project.outstanding,
            undrawn=max(project.commitment - project.outstanding, Decimal("0")),
        )
        Change.objects.create(
            facility=facility,
            previous=None,
            classification=facility.classification,
            reason="Recorded from the project's amounts when facilities were introduced.",
        )


def backward(apps, schema_editor):
    Project = apps.get_model("accounts", "Project")
    Facility = apps.get_model("accounts", "Facility")
    for project in Project.objects.order_by("pk").iterator(chunk_size=2000):
        commitment = drawn = Decimal("0")
        for facility in Facility.objects.filter(project=project, currency=project.currency):
            commitment += facility.commitment
            drawn += facility.drawn
        project.commitment = min(commitment, project.total_cost)
        project.outstanding = min(drawn, project.commitment)
        project.is_green = bool(project.green_category)
        project.save(update_fields=["commitment", "outstanding", "is_green"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_project_parties_and_facilities"),
    ]

    operations = [migrations.RunPython(forward, backward)]
