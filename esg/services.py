"""Writes of the E&S app. Each saves one row after its checks; the change log
(django-auditlog) records who changed what."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from .choices import OPEN_ITEM_STATUSES, EsapItemStatus
from .models import Esap, EsapItem, EsReview


@transaction.atomic
def esap_save(*, esap: Esap) -> Esap:
    esap.full_clean()
    esap.save()
    return esap


@transaction.atomic
def esap_item_save(*, item: EsapItem, today: date | None = None) -> EsapItem:
    """Save an ESAP item. An item marked done without a date is done today; an item put back
    to open or in progress loses its completion date."""
    if item.status == EsapItemStatus.DONE and item.completed_on is None:
        item.completed_on = today or timezone.localdate()
    elif item.status in OPEN_ITEM_STATUSES:
        item.completed_on = None
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def es_review_save(*, review: EsReview) -> EsReview:
    review.full_clean()
    review.save()
    return review
