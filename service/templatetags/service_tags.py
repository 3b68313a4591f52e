from django import template

from service.text import render_service_text

register = template.Library()


@register.filter
def service_text(text: str):
    """The shop's own text of a service page (service.text's markup) as HTML."""
    return render_service_text(text or "")
