import functools

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from cart.selectors import get_cart_count
from catalog.selectors import get_navigation


def shop(request):
    """What every page shows: shop name, administrator e-mail, navigation, cart count."""
    return {
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
    }
