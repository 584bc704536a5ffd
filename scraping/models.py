"""Per-platform request limits that admins can change while workers run."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def validate_rate(value: float) -> None:
    """0 (no limit) or at least RATE_LIMIT_MIN_RATE: a slower rate would overflow the
    time between turns that Redis keeps, and stop every request to the platform."""
    slowest = settings.RATE_LIMIT_MIN_RATE
    if value != 0 and not value >= slowest:
        raise ValidationError(
            "Enter 0 for no rate limit, or at least %(slowest)s requests a second "
            "(one request in %(seconds)s s).",
            code="rate_too_low",
            params={"slowest": slowest, "seconds": f"{1 / slowest:,.0f}"},
        )


class PlatformLimit(models.Model):
    """The limits one platform is held to, by every worker together.

    A row set here overrides the platform's default from settings (RATE_LIMITS); workers
    read it again within a few seconds of a change, so no restart is needed. The admin
    page adds a row for every platform it knows of, which follows settings (``overridden``
    false, values copied for display) until an admin changes it.
    """

    platform = models.CharField(
        max_length=300,
        unique=True,
        help_text=(
            "A platform (github, bluesky, crtsh), a family of them (mastodon, rdap, whois, "
            "web, site), or one member of a family (mastodon:mastodon.social, site:github). "
            "A member without a row of its own is held to its family's."
        ),
    )
    requests_per_second = models.FloatField(
        validators=[validate_rate],
        help_text=(
            "Sustained rate for all workers together; 0 means no rate limit, and the "
            "slowest is 0.001 (one request in 1,000 s)."
        ),
    )
    burst = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Requests that may go at once after a quiet spell.",
    )
    max_concurrent = models.PositiveIntegerField(
        default=0, help_text="Requests in flight at once, all workers together; 0 means any."
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why these numbers.")
    overridden = models.BooleanField(
        default=True,
        help_text=(
            "Set here: these numbers hold. Otherwise the row follows settings (RATE_LIMITS) "
            "and only shows them."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform"]

    def __str__(self) -> str:
        return self.platform
