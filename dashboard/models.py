"""The dashboards' own record: the quarterly snapshot rollup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountQuarterSnapshot(models.Model):
    """Rollup for trends and supervision scorecards: one account in one calendar quarter
    (Asia/Shanghai), as of ``computed_at`` — the quarter's end once it is over, or the last
    refresh while it runs. Written only by ``dashboard.snapshots`` (an upsert per chunk of
    accounts); the dashboards read sums of these rows for the accounts a user may see.

    Owner, team, tier and exposure are the account's when the row was computed; for quarters
    that ended before the snapshots began they are backfilled with today's values."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="quarter_snapshots",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner RM"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "kam.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=20)
    region = models.CharField(_("region"), max_length=20)
    status = models.CharField(_("status"), max_length=20)
    # The account's exposure as an obligor (drawn plus undrawn amounts of the facilities it
    # borrows under), its drawn part and its green part (projects with a green taxonomy
    # category), converted to CNY at the FX rates of the time (currencies without a rate are
    # left out, never added raw). Rows computed before facilities held the amounts kept the
    # outstanding exposure of the account's projects in ``exposure_cny`` and no drawn figure.
    exposure_cny = models.DecimalField(_("exposure (CNY)"), max_digits=20, decimal_places=2)
    green_exposure_cny = models.DecimalField(
        _("green exposure (CNY)"), max_digits=20, decimal_places=2
    )
    drawn_cny = models.DecimalField(_("drawn (CNY)"), max_digits=20, decimal_places=2, default=0)
    cadence_applies = models.BooleanField(_("cadence applies"), default=False)
    cadence_kept = models.BooleanField(_("cadence kept"), default=False)
    review_required = models.BooleanField(_("review required"), default=False)
    review_held = models.BooleanField(_("review held"), default=False)
    sr_total = models.PositiveIntegerField(_("requests opened"), default=0)
    sr_response_met = models.PositiveIntegerField(_("first responses in time"), default=0)
    sr_response_missed = models.PositiveIntegerField(_("first responses late"), default=0)
    sr_resolution_met = models.PositiveIntegerField(_("resolved in time"), default=0)
    sr_resolution_missed = models.PositiveIntegerField(_("resolved late"), default=0)
    alerts_raised = models.PositiveIntegerField(_("alerts raised"), default=0)
    alerts_active_end = models.PositiveIntegerField(_("alerts active at the end"), default=0)
    alerts_ack_in_time = models.PositiveIntegerField(_("alerts acknowledged in time"), default=0)
    alerts_ack_late = models.PositiveIntegerField(_("alerts acknowledged late"), default=0)
    actions_on_time = models.PositiveIntegerField(_("plan actions done on time"), default=0)
    actions_late = models.PositiveIntegerField(_("plan actions late"), default=0)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        db_table = "kam_accountquartersnapshot"  # created when it lived in kam
        verbose_name = _("account quarter snapshot")
        verbose_name_plural = _("account quarter snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year", "quarter"], name="snapshot_once_per_quarter"
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4), name="snapshot_quarter_valid"
            ),
        ]
        indexes = [
            # Trends: the last eight quarters of the accounts a user may see.
            models.Index(fields=["year", "quarter", "account"], name="snapshot_quarter_idx"),
            # Scorecards: one quarter by owner or by team.
            models.Index(fields=["year", "quarter", "owner"], name="snapshot_owner_idx"),
            models.Index(fields=["year", "quarter", "team"], name="snapshot_team_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year} Q{self.quarter}"
