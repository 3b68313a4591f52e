"""The shop's own address, for links in e-mails."""

from django.conf import settings


def shop_url(request=None) -> str:
    """The shop's address with a trailing slash ("https://shop.example.com/"):
    settings.SHOP_URL when it is set, else the address ``request`` came in by (a host that
    ALLOWED_HOSTS accepted), else "" (no links: a background job on a shop without SHOP_URL)."""
    if settings.SHOP_URL:
        return settings.SHOP_URL + "/"
    if request is not None:
        return request.build_absolute_uri("/")
    return ""
