"""The shop's own address, for links in e-mails."""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.utils.http import url_has_allowed_host_and_scheme


def shop_url(request=None) -> str:
    """The shop's address with a trailing slash ("https://shop.example.com/"):
    settings.SHOP_URL when it is set, else the address ``request`` came in by (a host that
    ALLOWED_HOSTS accepted), else "" (no links: a background job on a shop without SHOP_URL)."""
    if settings.SHOP_URL:
        return settings.SHOP_URL + "/"
    if request is not None:
        return request.build_absolute_uri("/")
    return ""


def site_root(request=None) -> str:
    """The shop's address without the trailing slash ("https://shop.example.com"), for the
    absolute addresses pages give search engines and link previews (canonical, og:url, the
    sitemap): settings.SHOP_URL when set, so every host name the shop answers to (www. or not,
    an old domain) names the one address; else the request's own (a host ALLOWED_HOSTS
    accepted: a foreign Host header is refused with 400 before any page is built)."""
    try:
        return shop_url(request).rstrip("/")
    except DisallowedHost:  # the 400 page of that refusal: its links stay relative
        return ""


def absolute_url(url: str, request=None) -> str:
    """``url`` made absolute on the shop's address; an address that already is absolute
    (media or static files on a CDN) stays as it is."""
    if not url or url.startswith(("https://", "http://", "//")):
        return url
    return site_root(request) + url


def is_path_on_this_site(request, target: str) -> bool:
    """Whether ``target`` (a ``next=`` sent by the browser) is a path of this shop, safe to
    redirect to: never another site (``//evil.example``, ``https:evil.example``,
    ``/\\evil.example``), never a word that redirect() would take for a URL name."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
