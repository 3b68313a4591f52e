from core.cache import cache_get, cache_get_many, cache_set, current_generation
from core.pagecache import SETTINGS_STAMP, SessionFill, content_version
from core.templatetags.shop_tags import cart_badge

from .models import Cart, CartLine, ShippingMethod
from .pricing import CartPricing, price_lines, shipping_fee
from .queries import (
    first_or_none,
    guest_cart_lines,
    guest_cart_lines_pictured,
    guest_open_cart,
    member_cart_lines,
    member_cart_lines_pictured,
    member_open_cart,
)
from .services import CART_COUNT_TTL, CART_GENERATION_TTL, cart_count_keys, session_cart_id


def find_cart(*, user, session) -> Cart | None:
    """The visitor's open cart, or None (never creates one)."""
    if user is not None and user.is_authenticated:
        return first_or_none(member_open_cart(user.pk))
    cart_id = session_cart_id(session)
    if not cart_id:
        return None
    return first_or_none(guest_open_cart(cart_id))


def get_line_product_name(*, cart: Cart, line_id: int) -> str | None:
    """The product name of a line of this cart (for a message about that line), or None."""
    return (
        CartLine.objects.filter(cart=cart, pk=line_id)
        .values_list("variant__product__name", flat=True)
        .first()
    )


def _open_cart_lines(*, user, session):
    """The lines of the visitor's open cart as one query, or None for a visitor without a cart."""
    if user is not None and user.is_authenticated:
        return CartLine.objects.filter(cart__user=user, cart__status=Cart.Status.OPEN)
    cart_id = session_cart_id(session)
    if not cart_id:
        return None
    return CartLine.objects.filter(
        cart_id=cart_id, cart__user__isnull=True, cart__status=Cart.Status.OPEN
    )


def get_cart_count(*, user, session) -> int:
    """Units in the visitor's cart: one query for a member; for an anonymous visitor one cache
    round trip while their cart is unchanged (the count is kept per cart generation, see
    cart_changed), one query otherwise; none for a visitor without a cart."""
    if user is not None and user.is_authenticated:
        return _count(_open_cart_lines(user=user, session=session))
    cart_id = session_cart_id(session)
    if not cart_id:
        return 0
    generation_key, count_key = cart_count_keys(cart_id)
    found = cache_get_many([generation_key, count_key])
    generation, stored = found.get(generation_key), found.get(count_key)
    if generation is not None and stored is not None and stored[0] == generation:
        return stored[1]
    if generation is None:
        generation = current_generation(generation_key, CART_GENERATION_TTL)
    count = _count(_open_cart_lines(user=user, session=session))  # after the generation
    if generation is not None:
        cache_set(count_key, (generation, count), CART_COUNT_TTL)
    return count


def _count(lines) -> int:
    # the quantities themselves: cheaper to build and read than an aggregate for a few lines
    return sum(lines.values_list("quantity", flat=True)) if lines is not None else 0


def _cart_badge_of(session) -> bytes:
    return cart_badge(get_cart_count(user=None, session=session)).encode()


# settings.PAGE_CACHE_SESSION_FILL: cached pages show the header's cart count of a visitor
# without a session (0); an anonymous shopper with a cart gets their own (one query).
page_cache_fill = SessionFill(neutral=cart_badge(0).encode(), personal=_cart_badge_of)


def price_open_cart(*, user, session, pictures: bool = False) -> CartPricing:
    """The visitor's open cart priced with current prices and stock, in one query (none for a
    visitor without a cart). With ``pictures`` each line's product has its first picture
    (``card_image``, ``card_image_alt``: Product.card_image_url), in the same query."""
    cart_id = session_cart_id(session)
    if user is not None and user.is_authenticated:
        lines = (member_cart_lines_pictured if pictures else member_cart_lines)(user.pk)
    elif cart_id:
        lines = (guest_cart_lines_pictured if pictures else guest_cart_lines)(cart_id)
    else:
        return price_lines(items=[], shipping_method=None)
    if pictures:
        for ln in lines:
            ln.variant.product.card_image = ln.card_image
            ln.variant.product.card_image_alt = ln.card_image_alt
    return price_lines(
        items=[(ln.pk, ln.variant, ln.quantity) for ln in lines], shipping_method=None
    )


def list_shipping_methods() -> list[ShippingMethod]:
    """Active delivery methods, cached per content version: saving or deleting one bumps it
    (cart/signals.py; the fees show on cached pages too).

    For showing and estimating only: placing an order reads its method from the database.
    """
    key = f"cart:shipping-methods:{SETTINGS_STAMP}:{content_version()}"
    methods = cache_get(key)
    if methods is None:
        methods = list(ShippingMethod.objects.filter(is_active=True))
        cache_set(key, methods, 60 * 60)
    return methods


def get_shipping_method(pk) -> ShippingMethod | None:
    """An active delivery method by id, from the cached list."""
    return next((m for m in list_shipping_methods() if str(m.pk) == str(pk)), None)


def reprice_with_shipping(pricing: CartPricing, *, shipping_method) -> CartPricing:
    """The same lines priced with a delivery method (no query: the variants are loaded)."""
    return price_lines(
        items=[(ln.line_id, ln.variant, ln.quantity) for ln in pricing.lines],
        shipping_method=shipping_method,
    )


def cheapest_shipping(methods: list[ShippingMethod], subtotal) -> ShippingMethod | None:
    """The method a cart page estimates with: the cheapest for this subtotal."""
    return min(methods, key=lambda m: (shipping_fee(m, subtotal), m.position), default=None)


def list_member_cart_data(*, user) -> list[dict]:
    """What is in the member's open cart, for their own download (one query)."""
    lines = (
        CartLine.objects.filter(cart__user=user, cart__status=Cart.Status.OPEN)
        .select_related("variant__product")
        .order_by("added_at", "pk")
    )
    return [
        {
            "product": line.variant.product.name,
            "option": line.variant.label,
            "sku": line.variant.sku,
            "quantity": line.quantity,
            "added": line.added_at,
        }
        for line in lines
    ]
