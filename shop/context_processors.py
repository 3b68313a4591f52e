import functools

from django.conf import settings
from django.templatetags.static import static
from django.utils.functional import SimpleLazyObject

from cart.selectors import get_cart_count
from catalog.selectors import get_navigation
from core.csrf import csrf_token
from core.siteurl import absolute_url, site_root

# Pages search engines are kept out of (<meta name="robots" content="noindex">): a shopper's own
# (cart, checkout, orders, the order inquiry, the account and its sign-in and sign-up) and
# search results (one page per query typed: endless thin copies of the listings). A view
# can say so itself with ``noindex`` in its context (filtered or sorted listings do).
NOINDEX_NAMESPACES = frozenset({"cart", "orders", "accounts", "search"})
NOINDEX_URL_NAME_PREFIXES = ("account_", "socialaccount_", "mfa_", "your_data")


def is_noindex(request) -> bool:
    """Whether the page ``request`` leads to is one search engines should not list."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return bool(NOINDEX_NAMESPACES & set(match.namespaces)) or (match.url_name or "").startswith(
        NOINDEX_URL_NAME_PREFIXES
    )


def shop(request):
    """What every page shows: shop name, administrator e-mail, navigation, cart count, and
    what crawlers and link previews read (the shop's address, the share picture, noindex)."""
    root = site_root(request)
    return {
        # absolute addresses (canonical, og:url) start with this: SHOP_URL when set, never a
        # Host header the shop did not choose (core/siteurl.py)
        "SITE_URL": root,
        "SHARE_IMAGE": absolute_url(settings.SHOP_SHARE_IMAGE or static("img/share.png"), request),
        "noindex": is_noindex(request),
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
        "SHOP_LOGO": settings.SHOP_LOGO,
        "SHOP_CURRENCY_SYMBOL": settings.SHOP_CURRENCY_SYMBOL,
        "SHOP_RETURN_DAYS": settings.SHOP_RETURN_DAYS,
        "SHOP_PRICES_NOTE": settings.SHOP_PRICES_NOTE,
        "navigation": SimpleLazyObject(get_navigation),
        "search_query": (request.GET.get("q") or "")[:200] if request.method == "GET" else "",
        # a callable the template calls (once: cached) only if the page shows the count; a
        # view that knows it (the cart page) passes ``cart_count`` itself
        "cart_count": functools.cache(
            lambda: get_cart_count(user=getattr(request, "user", None), session=request.session)
        )
        if hasattr(request, "session")
        else 0,
        # {% csrf_token %}'s value (in place of Django's own csrf context processor's, same
        # token and cookie handling): core.csrf makes it with two urandom reads instead of 64
        # (~0.1 ms of every page with a form)
        "csrf_token": SimpleLazyObject(functools.partial(csrf_token, request)),
    }
