from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import rotate_token
from django.urls import reverse

from core.outbox import queue_message
from core.ratelimit import client_key
from core.siteurl import shop_url


class ShopSite(RequestSite):
    """The site allauth's e-mails name: the shop's name at the address the visitor used (the
    shop runs without django.contrib.sites, whose RequestSite would name the host twice)."""

    def __init__(self, request):
        super().__init__(request)
        self.name = settings.SHOP_NAME


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks for the shop: its e-mails go through the outbox like every other."""

    def get_client_ip(self, request) -> str:
        """Whom allauth's rate limits (sign-in, sign-up, password reset) count: the shop's
        client key (an IPv6 client by its /64 network), as the shop's own limits count."""
        key = client_key(request)
        if not key:
            raise PermissionDenied("Unable to determine client IP address")
        return key

    def logout(self, request) -> None:
        """Sign out, and give the browser a new CSRF token (Django does at sign-in only): a form
        left open in another tab was then sent signed out, and a member's form (a new address)
        went to the sign-in page and was lost without a word; now it meets the CSRF page, which
        says what happened and keeps what was typed (shop.views.csrf_failure)."""
        super().logout(request)
        rotate_token(request)

    def format_email_subject(self, subject: str) -> str:
        return f"{settings.SHOP_NAME}: {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # what allauth's own send_mail puts in every message's context (the templates greet
        # with the site's name and name the address), then the caller's
        request = allauth_context.request
        message_context = {
            "request": request,
            "email": email,
            "current_site": ShopSite(request),
            # what the shop's own e-mails have (core.outbox.render_mail), and two links
            "SHOP_NAME": settings.SHOP_NAME,
            "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
            "shop_url": shop_url(request),
            "order_inquiry_url": shop_url(request).rstrip("/") + reverse("orders:inquiry"),
        }
        message_context.update(
            {
                key: _at_shop_url(value) if key.endswith("_url") else value
                for key, value in context.items()
            }
        )
        message = self.render_mail(template_prefix, email, message_context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_message(
            to=list(message.to),
            subject=message.subject,
            body_text=message.body if message.content_subtype != "html" else "",
            body_html=html or (message.body if message.content_subtype == "html" else ""),
            kind=template_prefix.rsplit("/", 1)[-1],
        )


def _at_shop_url(url):
    """allauth's links (confirmation, password reset, sign-up) at SHOP_URL, like the shop's own
    links, rather than at whichever host the request named (one ALLOWED_HOSTS accepted: a
    second name, the server's own address)."""
    if not settings.SHOP_URL or not isinstance(url, str) or not url.startswith(("http:", "https:")):
        return url
    bits = urlsplit(url)
    return settings.SHOP_URL + urlunsplit(("", "", bits.path or "/", bits.query, bits.fragment))
