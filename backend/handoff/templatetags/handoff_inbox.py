"""``{% if request.user|may_chat %}``: the admin's start page links the live chat inbox for
supporters and administrators."""

from django import template

from backend.handoff.inbox import may_chat as _may_chat

register = template.Library()


@register.filter
def may_chat(user) -> bool:
    return _may_chat(user)
