from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """The current query string with one page number changed, so that a page with two
    paged tables (or filters) keeps the other's place and filters."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
