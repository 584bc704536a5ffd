"""Per-platform request limits that admins can change while workers run."""

from django.core.validators import MinValueValidator
from django.db import models


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
        validators=[MinValueValidator(0.0)],
        help_text="Sustained rate for all workers together; 0 means no rate limit.",
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
