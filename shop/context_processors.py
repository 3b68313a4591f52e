from django.conf import settings
from django.utils.functional import SimpleLazyObject

from catalog.selectors import get_navigation


def shop(request):
    """What every page shows: shop name, administrator e-mail, navigation, cart count."""
    return {
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
        "SHOP_CURRENCY_SYMBOL": settings.SHOP_CURRENCY_SYMBOL,
        "navigation": SimpleLazyObject(get_navigation),
        "search_query": (request.GET.get("q") or "")[:200] if request.method == "GET" else "",
        "cart_count": getattr(request, "cart_count", 0),
    }
