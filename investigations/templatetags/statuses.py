from django import template

from ..models import TargetStatus
from ..selectors import REJECTED

register = template.Library()


@register.filter
def target_status_label(status: str) -> str:
    """A target's status as analysts read it, "Not found" for ``not_found``; "Rejected"
    for an input refused at creation, which is a row of the table but no status."""
    if status == REJECTED:
        return "Rejected"
    try:
        return TargetStatus(status).label
    except ValueError:
        return status
