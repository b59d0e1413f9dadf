"""``{% todos_of_user as todos %}``: the to-dos of the person viewing the page, for the
self-contained to-do block (templates/notifications/_todos.html) that any page may include."""

from django import template

from notifications.selectors import todos_for

register = template.Library()


@register.simple_tag(takes_context=True)
def todos_of_user(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return todos_for(user) if user is not None else []
