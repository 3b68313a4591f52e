import hashlib
import json
import re
import secrets
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import AccountClosed
from accounts.models import Address
from cart.selectors import (
    cheapest_shipping,
    find_cart,
    get_shipping_method,
    list_shipping_methods,
    price_open_cart,
    reprice_with_shipping,
)
from core.pagination import page_links
from core.ratelimit import FORM_ATTEMPTS_FACTOR, allow, client_key, uncount
from core.siteurl import shop_url

from . import selectors, services
from .exceptions import CheckoutError, EmptyCart, OutOfStock, PriceChanged
from .forms import (
    NEW_ADDRESS,
    AddressForm,
    ContactForm,
    DeliveryForm,
    OrderInquiryForm,
    PaymentForm,
    PlaceOrderForm,
)
from .models import Order
from .payments import get_payment_method, list_payment_methods

SESSION_KEY = "checkout"
PLACED_KEY = "placed_orders"
#: The steps navigation: (slug, label, URL name).
STEPS = [
    ("details", "Details", "orders:checkout"),
    ("review", "Review", "orders:checkout_review"),
]
STEP_LABELS = {slug: label for slug, label, _ in STEPS}
#: A checkout form sent after the session's cookie was deleted or expired (a guest's cart goes
#: with it; a member is signed out, their cart kept).
SESSION_ENDED = (
    "Your session ended before the order was placed (your browser deleted its cookie, or it "
    "expired), and a cart without an account went with it. Nothing was ordered. If you were "
    "signed in, sign in again: your cart is kept with your account."
)


def _state(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _save_state(request, **values) -> None:
    state = _state(request)
    state.update(values)
    request.session[SESSION_KEY] = state


def _first_missing_step(state: dict) -> str | None:
    """The first section of the details page the checkout has no answer for, or None."""
    needs = {
        "contact": "email",
        "address": "address",
        "delivery": "shipping_method_id",
        "payment": "payment_code",
    }
    for section, key in needs.items():
        if not state.get(key):
            return section
    return None


def _guard(request, step: str):
    """Redirect to the cart if it is empty or blocked; the review also needs every detail."""
    pricing = price_open_cart(user=request.user, session=request.session)
    if not pricing.lines:
        placed = request.session.get(PLACED_KEY)
        if step == "review" and placed and not _state(request):
            # Back from the confirmation lands here: "empty" alone read as an order lost.
            messages.info(request, f"Your order {placed[-1]} is placed; your cart is empty now.")
        elif request.method == "POST" and request.session.session_key is None:
            messages.error(request, SESSION_ENDED)
        else:
            messages.info(request, "Your cart is empty.")
        return None, redirect("cart:detail")
    if pricing.problems:
        messages.error(request, "Some items in your cart need your attention before checkout.")
        return None, redirect("cart:detail")
    if step == "review" and _first_missing_step(_state(request)):
        return None, redirect("orders:checkout")
    return pricing, None


def _render_step(request, step: str, pricing, **extra):
    return render(
        request,
        f"orders/checkout_{step}.html",
        {
            "pricing": pricing,
            "steps": STEPS,
            "current_step": step,
            # The details page links back from the review; the review is reached by posting.
            "done_steps": {"details"} if step == "review" else set(),
            "page_title": f"Checkout: {STEP_LABELS[step]}",
            "cart_count": pricing.item_count,  # known here: the header needs no query for it
            **extra,
        },
    )


def _section_url(section: str) -> str:
    """The details page at one of its sections (contact, address, delivery, payment)."""
    return f"{reverse('orders:checkout')}#{section}"


def checkout_details(request):
    """Contact, shipping address, delivery and payment on one page, sent in one POST.

    Valid: the answers go to the session (and a new address the member ticked to the address
    book) and the shopper goes on to the review. Invalid: the page again, with everything as
    typed, each section's errors in place and one summary of them all on top; nothing is kept
    until the whole page is valid.
    """
    pricing, bounce = _guard(request, "details")
    if bounce:
        return bounce
    state = _state(request)
    data = request.POST if request.method == "POST" else None
    methods = list_shipping_methods()
    forms = _details_forms(request, state, data, pricing, methods)
    if data is not None and all(form.is_valid() for form in forms.values()):
        contact = forms["contact"].cleaned_data
        address_form = forms["address"]
        address = address_form.address()
        if address_form.wants_saved() and request.user.is_authenticated:
            # closed in another tab meanwhile: there is no address book to keep it in
            with suppress(AccountClosed):
                services.save_member_address(
                    user=request.user,
                    address=services.ShippingAddress(**address),
                    phone=contact["phone"],
                )
        _save_state(
            request,
            email=contact["email"],
            phone=contact["phone"],
            address=address,
            address_choice=address_form.choice(),
            shipping_method_id=forms["delivery"].cleaned_data["shipping_method"].pk,
            payment_code=forms["payment"].cleaned_data["payment_method"],
        )
        return redirect("orders:checkout_review")
    # The summary's total with the delivery method chosen on the page (as posted, or the one
    # preselected), so it is the total the review will show; none known: before delivery.
    shown = _chosen_shipping(forms["delivery"], methods)
    summary = reprice_with_shipping(pricing, shipping_method=shown) if shown else pricing
    return _render_step(
        request,
        "details",
        summary,
        **{f"{section}_form": form for section, form in forms.items()},
        error_summary=_error_summary(forms),
        quotes=[
            (m, reprice_with_shipping(pricing, shipping_method=m).shipping_fee) for m in methods
        ],
        methods=list_payment_methods(),
    )


def _details_forms(request, state: dict, data, pricing, methods) -> dict[str, Form]:
    """The four forms of the details page, bound to ``data`` (a POST) or showing what the
    session holds, with a member's phone, saved address and the cheapest delivery offered."""
    phone = state.get("phone", "")
    if not phone and data is None:  # a posted form shows what was typed instead
        phone = _member_phone(request.user)
    contact = {"email": state.get("email") or getattr(request.user, "email", ""), "phone": phone}

    choice = state.get("address_choice")
    # Typed fields come back only for a typed address; a saved one is preselected instead.
    typed = state.get("address") if choice in (None, NEW_ADDRESS) else None
    address = {**(typed or {}), "saved_address": choice}

    chosen = state.get("shipping_method_id")
    if not any(m.pk == chosen for m in methods):
        # Nothing chosen yet (or that method was withdrawn): offer what the cart estimated.
        cheapest = cheapest_shipping(methods, pricing.subtotal)
        chosen = cheapest.pk if cheapest else None

    return {
        "contact": ContactForm(data, initial=contact),
        "address": AddressForm(data, initial=address, user=request.user),
        "delivery": DeliveryForm(data, initial={"shipping_method": chosen}),
        "payment": PaymentForm(data, initial={"payment_method": state.get("payment_code")}),
    }


def _chosen_shipping(form: DeliveryForm, methods):
    """The delivery method the details page shows as chosen: the posted one when valid, else
    (a GET) the preselected one; None when nothing valid is chosen."""
    if form.is_bound:
        return form.cleaned_data["shipping_method"] if form.is_valid() else None
    chosen = form.initial.get("shipping_method")
    return next((m for m in methods if m.pk == chosen), None)


def _error_summary(forms: dict[str, Form]) -> list[tuple[str, str]]:
    """(text, fragment) for every error on the page, in page order. A field links to itself; a
    group of radio buttons (no single input to point at) and form-wide errors to their section."""
    entries = []
    for section, form in forms.items():
        entries += [(str(error), section) for error in form.non_field_errors()]
        entries += [
            (str(field.label), field.id_for_label or section) for field in form if field.errors
        ]
    return entries


def _member_phone(user) -> str:
    """A member's phone to offer: the one kept with their saved addresses (default first),
    else the one of their last order."""
    if not user.is_authenticated:
        return ""
    saved = Address.objects.filter(user=user).exclude(phone="").values_list("phone", flat=True)
    last = Order.objects.filter(user=user).order_by("-created_at").values_list("phone", flat=True)
    return saved.first() or last.first() or ""


@require_http_methods(["GET", "HEAD", "POST"])
def checkout_step_moved(request, section: str):
    """Where the old checkout's step pages were (bookmarks, a tab left open over a deploy): the
    same section of the one details page. A POST's data is dropped; the page shows what the
    session holds."""
    return redirect(_section_url(section))


ORDER_RATE_WINDOW = 3600  # SHOP_ORDER_RATE orders an hour per client

REVIEWED_DETAILS = ("email", "phone", "address", "shipping_method_id", "payment_code")


def reviewed_digest(fingerprint: str, state: dict) -> str:
    """What a review page showed, for its form: a short stand-in for its pricing fingerprint,
    then one for the details (contact, address, delivery and payment)."""
    details = json.dumps([state.get(name) for name in REVIEWED_DETAILS], sort_keys=True)
    return "".join(
        hashlib.sha256(part.encode()).hexdigest()[:16] for part in (fingerprint, details)
    )


def checkout_review(request):
    pricing, bounce = _guard(request, "review")
    if bounce:
        return bounce
    state = _state(request)
    shipping = get_shipping_method(state["shipping_method_id"])
    if shipping is None:
        messages.error(request, "That delivery method is no longer offered; choose another.")
        return redirect(_section_url("delivery"))
    if not state.get("idempotency_key"):
        # One key per checkout: every POST of this page places the same single order.
        _save_state(request, idempotency_key=secrets.token_urlsafe(32))
        state = _state(request)
    pricing = reprice_with_shipping(pricing, shipping_method=shipping)
    if state.get("changed_since"):
        # sent back by a Buy now whose cart changed meanwhile (another tab): say what changed
        for change in selectors.list_cart_changes(reviewed=state["changed_since"], pricing=pricing):
            messages.info(request, change)
        _save_state(request, changed_since="")
    # What the shopper sees here is what placing the order must charge.
    if state.get("review_fingerprint") != pricing.fingerprint():
        _save_state(request, review_fingerprint=pricing.fingerprint())
    return _render_step(
        request,
        "review",
        pricing,
        state=state,
        reviewed=reviewed_digest(pricing.fingerprint(), state),
        shipping=shipping,
        payment=get_payment_method(state["payment_code"]),
    )


@require_POST
def place_order(request):
    state = _state(request)
    form = PlaceOrderForm(request.POST)
    key = form.cleaned_data["idempotency_key"] if form.is_valid() else ""
    cart = find_cart(user=request.user, session=request.session)
    if not key:
        messages.error(request, "Please review your order and place it again.")
        return redirect("orders:checkout_review")
    # A second POST of an order already placed shows that order, to whoever placed it: the
    # key alone is no ticket to someone else's confirmation page.
    placed = Order.objects.filter(idempotency_key=key).first()
    if placed is not None and _placed_by(request, placed, state):
        # Back to the review (or a second tab) and Buy now again: the same confirmation alone
        # looked like a second order.
        messages.info(request, f"Order {placed.number} was placed already; not placed twice.")
        return _to_confirmation(request, placed)
    if not state:
        # The session's cookie was deleted or expired between the review and the Buy now: the
        # guest's cart went with it, a member is signed out (their cart is kept).
        messages.error(request, SESSION_ENDED)
        return redirect("cart:detail")
    if (
        placed is not None
        or cart is None
        or _first_missing_step(state)
        or key != state.get("idempotency_key")
    ):
        messages.error(request, "Your checkout has expired; please check your details again.")
        return redirect("cart:detail")
    # The session keeps the latest review's total and the details as last entered: a page
    # reviewed before them (another tab, then the cart or the address changed there) showed
    # another total or another address, so it is reviewed anew.
    reviewed = form.cleaned_data["reviewed"]
    latest = reviewed_digest(state.get("review_fingerprint", ""), state)
    if reviewed and reviewed != latest:
        if reviewed[:16] != latest[:16]:
            messages.error(request, str(PriceChanged()))
        else:
            messages.error(
                request,
                "Your details (address, delivery or payment) changed since you reviewed this "
                "order, perhaps in another window. Please check them and place the order again.",
            )
        return redirect("orders:checkout_review")
    # Each order takes stock and mails the address typed in: a script must not sell out the
    # shop with orders nobody will take, nor mail a stranger without end. Orders placed count:
    # one is counted now, atomically, so Buy nows sent at once cannot all slip under the limit,
    # and given back when it is refused (sold out, price changed); every attempt counts toward
    # a limit ten times higher.
    client, order_limit = client_key(request), settings.SHOP_ORDER_RATE
    if not allow(
        scope="order:posts",
        key=client,
        limit=order_limit * FORM_ATTEMPTS_FACTOR,
        window=ORDER_RATE_WINDOW,
    ) or not allow(scope="order", key=client, limit=order_limit, window=ORDER_RATE_WINDOW):
        messages.error(
            request,
            "Too many orders from your connection in the last hour. Your cart is kept: please "
            f"try again later, or write to us at {settings.SHOP_ADMIN_EMAIL}.",
        )
        return redirect("orders:checkout_review")
    address = state["address"]
    try:
        order = services.place_order(
            cart=cart,
            contact=services.Contact(email=state["email"], phone=state["phone"]),
            address=services.ShippingAddress(**address),
            shipping_method_id=state["shipping_method_id"],
            payment_code=state["payment_code"],
            idempotency_key=key,
            user=request.user,
            channel=getattr(request, "channel", ""),
            expected_fingerprint=state.get("review_fingerprint", ""),
            site_url=shop_url(request),
        )
    except OutOfStock as exc:
        uncount(scope="order", key=client)
        for line in exc.lines:
            messages.error(request, f"{line.variant.product.name}: {line.problem}")
        return redirect("cart:detail")
    except EmptyCart:
        # emptied in another tab since the review: the review would only bounce to the cart
        uncount(scope="order", key=client)
        messages.error(
            request,
            "Your cart was emptied since you reviewed the order, perhaps in another window. "
            "Nothing was ordered.",
        )
        return redirect("cart:detail")
    except CheckoutError as exc:
        uncount(scope="order", key=client)
        messages.error(request, str(exc))
        if isinstance(exc, PriceChanged):
            _save_state(request, changed_since=state.get("review_fingerprint", ""))
        return redirect("orders:checkout_review")
    return _to_confirmation(request, order)


def _placed_by(request, order, state: dict) -> bool:
    """Whether this visitor placed ``order``: its key is their checkout's (a double click whose
    first POST is still running), its number among the orders placed in this session, or it is
    the signed-in member's."""
    return (
        order.idempotency_key == state.get("idempotency_key")
        or order.number in request.session.get(PLACED_KEY, [])
        or (request.user.is_authenticated and order.user_id == request.user.pk)
    )


def _to_confirmation(request, order):
    placed = request.session.get(PLACED_KEY, [])
    if order.number not in placed:
        request.session[PLACED_KEY] = (placed + [order.number])[-20:]
    request.session.pop(SESSION_KEY, None)
    return redirect("orders:confirmation", number=order.number)


def confirmation(request, number: str):
    allowed = number in request.session.get(PLACED_KEY, [])
    order = selectors.get_order_with_details(number=number) if allowed else None
    if order is None and request.user.is_authenticated:
        order = selectors.get_member_order(user=request.user, number=number)
    if order is None:
        raise Http404("No such order")
    return render(
        request,
        "orders/confirmation.html",
        {"order": order, "payment": services.payment_summary(order), "page_title": "Thank you"},
    )


def inquiry(request):
    # ?number= (the link in the order e-mails) fills in the number; the e-mail is typed
    number = request.GET.get("number", "")
    initial = {"number": number} if re.fullmatch(r"[A-Za-z0-9-]{1,32}", number) else {}
    form = OrderInquiryForm(request.POST or None, initial=initial)
    order = None
    limited = False
    if request.method == "POST":
        limited = not allow(
            scope="inquiry", key=client_key(request), limit=settings.SHOP_INQUIRY_RATE, window=600
        )
        if limited:
            messages.error(request, "Too many attempts. Please wait a few minutes and try again.")
        elif form.is_valid():
            order = selectors.find_order_for_inquiry(
                number=form.cleaned_data["number"], email=form.cleaned_data["email"]
            )
            if order is None:
                messages.error(request, "No matching order. Check the order number and e-mail.")
    response = render(
        request,
        "orders/inquiry.html",
        {
            "form": form,
            "order": order,
            "payment": services.payment_summary(order) if order else None,
            "page_title": "Where is my order?",
            "meta_description": "Look up an order with its number and e-mail address.",
        },
        status=429 if limited else 200,
    )
    return response


MY_ORDERS_PAGE_SIZE = 25


@login_required
def my_orders(request):
    orders = selectors.list_member_orders(user=request.user)
    page = Paginator(orders, MY_ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    title = "My orders" + (f" – page {page.number}" if page.number > 1 else "")
    return render(
        request,
        "orders/my_orders.html",
        {"orders": page.object_list, **page_links(page), "page_title": title},
    )


@login_required
def my_order(request, number: str):
    order = selectors.get_member_order(user=request.user, number=number)
    if order is None:
        raise Http404("No such order")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "payment": services.payment_summary(order),
            "page_title": f"Order {number}",
        },
    )
