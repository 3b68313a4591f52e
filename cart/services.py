"""Every change to a cart."""

import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from catalog.models import MAX_LINE_QUANTITY, Variant
from core.cache import bump_generation
from core.housekeeping import delete_in_batches

from .exceptions import (
    CartCheckedOut,
    CartError,
    CartOrderedMeanwhile,
    LineNotInCart,
    NoActiveShippingMethod,
    NotEnoughStock,
)
from .models import Cart, CartLine, ShippingMethod
from .queries import first_or_none, guest_open_cart, member_open_cart, variant_with_line

SESSION_KEY = "cart_id"

# An anonymous cart's count of units is cached under its generation (cart.selectors); every
# change to the cart's lines or status makes a new one (cart_changed).
CART_COUNT_TTL = 60 * 60
CART_GENERATION_TTL = 24 * 60 * 60


def session_cart_id(session) -> int | None:
    """The id of the anonymous visitor's cart as their session keeps it, or None: anything
    that is not a possible id (a session written by older code, or corrupted) counts as no
    cart rather than failing a page."""
    cart_id = session.get(SESSION_KEY)
    if type(cart_id) is int and 0 < cart_id < 2**63:
        return cart_id
    return None


SESSION_TOUCHED_KEY = "cart_day"


def keep_cart_session(session) -> None:
    """A visitor changed their cart: their session (and with it the cart, see
    delete_stale_carts) lasts SESSION_COOKIE_AGE from now. A session is saved, and its expiry
    and cookie renewed, only when it changes: the day of the latest change is noted, so that
    is at most once a day for a shopper who keeps adding things."""
    today = timezone.localdate().isoformat()
    if session.get(SESSION_TOUCHED_KEY) != today:
        session[SESSION_TOUCHED_KEY] = today


def cart_count_keys(cart_id) -> tuple[str, str]:
    """The cache keys of a cart's generation and of its count."""
    return f"cart:gen:{cart_id}", f"cart:count:{cart_id}"


def cart_changed(cart_id) -> None:
    """Called on every change to a cart's lines or status: its cached count goes stale (now
    and after commit, so a count read before the commit is never taken for the new one)."""
    bump_generation(cart_count_keys(cart_id)[0], CART_GENERATION_TTL)


def _variant_for_sale(variant_id: int, *, cart: Cart) -> Variant:
    """The variant with its product and, in the same query, the id and quantity of ``cart``'s
    line of it (``line_id``, ``in_cart``; None without one)."""
    try:
        found = variant_with_line(variant_id, cart.pk)
    except (ValueError, TypeError):
        found = []
    if not found:
        raise CartError("That product could not be found.")
    variant = found[0]
    if not variant.product.is_active:
        raise CartError(f"Sorry, {variant.product.name} is no longer sold.")
    return variant


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise CartError("Choose a quantity of at least 1.")
    if quantity > MAX_LINE_QUANTITY:
        raise CartError(f"At most {MAX_LINE_QUANTITY} of one item per order, please.")


def _label(variant: Variant) -> str:
    return f"{variant.product.name} ({variant.label})" if variant.label else variant.product.name


def get_or_create_cart(*, user, session) -> Cart:
    """The visitor's open cart, created on first use."""
    if user is not None and user.is_authenticated:
        cart = first_or_none(member_open_cart(user.pk))
        if cart is None:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(user=user)
            except IntegrityError:  # created meanwhile by another request of the same member
                cart = Cart.objects.get(user=user, status=Cart.Status.OPEN)
        return cart
    cart_id = session_cart_id(session)
    cart = first_or_none(guest_open_cart(cart_id)) if cart_id else None
    if cart is None:
        if session.session_key is None:
            session.save()
        cart = Cart.objects.create(session_key=session.session_key)
        session[SESSION_KEY] = cart.pk
    keep_cart_session(session)
    return cart


@transaction.atomic
def add_to_cart(*, cart: Cart, variant_id: int, quantity: int) -> CartLine:
    """Add units of a variant. Raises CartError / NotEnoughStock, CartCheckedOut when the cart
    was checked out meanwhile (nothing changes then)."""
    _check_quantity(quantity)
    # Touching the cart row locks it until commit: a double-clicked "Add to cart" waits here
    # instead of inserting the line twice; the line is read after it, with the variant. Only
    # while it is open: an order placed from it meanwhile (we waited for its lock) has taken
    # its lines, and units added to it now would be in neither the order nor the next cart.
    if not _lock_open_cart(cart):
        raise CartCheckedOut
    variant = _variant_for_sale(variant_id, cart=cart)
    wanted = quantity + (variant.in_cart or 0)
    if wanted > variant.stock:
        raise NotEnoughStock(available=variant.stock, name=_label(variant))
    _check_quantity(wanted)
    cart_changed(cart.pk)
    if variant.line_id is None:
        return CartLine.objects.create(cart=cart, variant=variant, quantity=wanted)
    line = CartLine(pk=variant.line_id, cart=cart, variant=variant, quantity=wanted)
    line.save(update_fields=["quantity"])  # one UPDATE; the line's other fields stay as they are
    return line


def _lock_open_cart(cart: Cart) -> bool:
    """Lock the cart's row until commit if it is still open (order placement locks it too);
    False when it was checked out meanwhile."""
    return bool(
        Cart.objects.filter(pk=cart.pk, status=Cart.Status.OPEN).update(updated_at=timezone.now())
    )


@transaction.atomic
def set_line_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity (0 removes it). Raises LineNotInCart, CartError, NotEnoughStock,
    CartOrderedMeanwhile when the cart was checked out meanwhile (nothing changes then)."""
    if not _lock_open_cart(cart):
        raise CartOrderedMeanwhile
    line = CartLine.objects.select_related("variant__product").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise LineNotInCart
    if quantity == 0:
        cart_changed(cart.pk)
        line.delete()
        return None
    _check_quantity(quantity)
    if quantity > line.quantity and quantity > line.variant.stock:
        raise NotEnoughStock(available=line.variant.stock, name=_label(line.variant))
    cart_changed(cart.pk)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic  # the count's generation is bumped again at commit
def remove_line(*, cart: Cart, line_id: int) -> bool:
    """Remove one line of this cart; False when it is not in it (removed meanwhile, or not
    this cart's). Raises CartOrderedMeanwhile when the cart was checked out meanwhile."""
    if not _lock_open_cart(cart):
        raise CartOrderedMeanwhile
    cart_changed(cart.pk)
    deleted, _ = CartLine.objects.filter(cart=cart, pk=line_id).delete()
    return bool(deleted)


@transaction.atomic
def clear_cart(*, cart: Cart) -> None:
    """Remove every line of this cart (the cart itself stays, empty)."""
    cart_changed(cart.pk)
    CartLine.objects.filter(cart=cart).delete()


@transaction.atomic
def merge_anonymous_cart(*, user, session) -> None:
    """At sign-in, move the anonymous cart's lines into the member's cart (capped at stock)."""
    cart_id = session_cart_id(session)
    anonymous = first_or_none(guest_open_cart(cart_id)) if cart_id else None
    session.pop(SESSION_KEY, None)
    if anonymous is None:
        return
    cart_changed(anonymous.pk)
    member_cart = get_or_create_cart(user=user, session=session)
    existing = {line.variant_id: line for line in member_cart.lines.select_for_update()}
    for line in anonymous.lines.select_related("variant"):
        target = existing.get(line.variant_id)
        quantity = min(line.quantity + (target.quantity if target else 0), line.variant.stock)
        quantity = min(quantity, MAX_LINE_QUANTITY)
        if target:
            if quantity > target.quantity:
                target.quantity = quantity
                target.save(update_fields=["quantity"])
        elif quantity > 0:
            CartLine.objects.create(cart=member_cart, variant=line.variant, quantity=quantity)
    anonymous.delete()


def mark_cart_submitted(*, cart: Cart) -> None:
    """Called by order placement: the cart becomes a record, a new one starts next time."""
    cart_changed(cart.pk)
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.SUBMITTED, updated_at=F("updated_at"))


# A cart just made may not have its session row yet (tests, a request in flight): left alone.
STALE_CART_GRACE = datetime.timedelta(hours=1)


def delete_stale_carts(*, now: datetime.datetime | None = None) -> int:
    """Carts nobody can use any more, with their lines:

    - a visitor's cart whose session has expired or ended (the visitor would get a new session
      and a new cart; nothing else points at it);
    - a submitted cart (an order was placed from it: the order keeps its own lines) whose last
      change is older than SESSION_COOKIE_AGE.

    A member's open cart is kept, however old: it waits for them on every device.
    """
    now = now or timezone.now()
    live_session = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now)
    stale = Cart.objects.filter(updated_at__lt=now - STALE_CART_GRACE).filter(
        Q(user__isnull=True, status=Cart.Status.OPEN) & ~Exists(live_session)
        | Q(
            status=Cart.Status.SUBMITTED,
            updated_at__lt=now - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE),
        )
    )
    return delete_in_batches(stale)


def check_a_shipping_method_stays_active(*, active: dict[int | None, bool]) -> None:
    """Lock every delivery method's row until the caller's transaction ends, then check that
    the delivery methods, with the changes ``active`` names ({pk: is_active}; None for a new
    method), leave at least one active.

    Raises NoActiveShippingMethod. Call it inside the transaction that saves the changes:
    two staff switching off the last two methods at once each saw the other one still active
    and both saved; with the locks the second check waits for the first change to commit and
    reads it. Every row (there are a handful), in primary-key order: two checks queue, never
    deadlock. FOR NO KEY UPDATE: two checks (and a delete) still queue, but an order placed
    meanwhile does not wait for the staff save; its foreign-key check takes a KEY SHARE lock,
    which a plain FOR UPDATE would block.
    """
    if transaction.get_autocommit():
        raise RuntimeError("check_a_shipping_method_stays_active needs a transaction")
    states = dict(
        ShippingMethod.objects.select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", "is_active")
    )
    states.update(active)
    if not any(states.values()):
        raise NoActiveShippingMethod
