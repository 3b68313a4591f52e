from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from core.siteurl import is_path_on_this_site

from . import selectors, services
from .exceptions import CartCheckedOut, CartError, CartOrderedMeanwhile, LineNotInCart
from .forms import AddToCartForm, LineQuantityForm


def _back(request, default: str = "cart:detail", *, field: str = "next"):
    """A redirect to the page named in the POST's ``field`` when it is a path on this site,
    else to ``default``."""
    target = request.POST.get(field, "")
    if is_path_on_this_site(request, target):
        return HttpResponseRedirect(target)
    return redirect(default)


def _back_after_error(request):
    """Where a refused add-to-cart goes: back to the page of the product (``on_error``, sent
    by the product page and the product cards), where the shopper can choose again, with the
    message; else as after success."""
    if request.POST.get("on_error"):
        return _back(request, field="on_error")
    return _back(request)


def _line_not_in_cart(request):
    """Any line id that is not in this visitor's cart, whoever's it is or whether it exists at
    all (removed by a double click or in another tab, or someone else's): one answer, a 404
    page that says nothing changed and leads back to the cart, so it tells nobody which ids
    exist."""
    return render(request, "cart/line_not_in_cart.html", status=404)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# The extra tag of a message that refused a line's new quantity: "cart-line-<id>".
REFUSED_LINE_TAG = "cart-line-"


def _refused_line(request) -> tuple[int | None, str]:
    """The line whose new quantity was just refused, and why: the cart page marks that field
    invalid and says why next to it (the message at the top says it too)."""
    for message in messages.get_messages(request):
        for tag in (message.extra_tags or "").split():
            line_id = tag.removeprefix(REFUSED_LINE_TAG)
            if line_id != tag and line_id.isdigit():
                return int(line_id), str(message)
    return None, ""


def cart_detail(request):
    refused_line, refused_reason = _refused_line(request)
    methods = selectors.list_shipping_methods()
    pricing = selectors.price_open_cart(user=request.user, session=request.session, pictures=True)
    estimate = selectors.cheapest_shipping(methods, pricing.subtotal)
    if estimate is not None and pricing.lines:
        pricing = selectors.reprice_with_shipping(pricing, shipping_method=estimate)
    return render(
        request,
        "cart/cart_detail.html",
        {
            "pricing": pricing,
            "refused_line": refused_line,
            "refused_reason": refused_reason,
            "cart_count": pricing.item_count,
            "shipping_methods": methods,
            "page_title": "Your cart",
            "meta_description": "Your shopping cart.",
        },
    )


@require_POST
def add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form) or "Choose an option and a quantity.")
        return _back_after_error(request)
    try:
        try:
            line = _add(request, form)
        except CartCheckedOut:  # by another tab meanwhile: into the visitor's new cart
            line = _add(request, form)
    except CartError as exc:
        messages.error(request, str(exc))
        return _back_after_error(request)
    messages.success(
        request,
        # the name isolated: an Arabic or Hebrew name's own punctuation stays with it
        format_html(
            "Added {} × <bdi>{}</bdi> to your cart.",
            form.cleaned_data["quantity"],
            line.variant.product.name,
        ),
    )
    return _back(request)


def _add(request, form):
    cart = services.get_or_create_cart(user=request.user, session=request.session)
    return services.add_to_cart(
        cart=cart, variant_id=form.cleaned_data["variant"], quantity=form.cleaned_data["quantity"]
    )


@require_POST
def update_line(request, line_id: int):
    cart = selectors.find_cart(user=request.user, session=request.session)
    if cart is None:
        return _line_not_in_cart(request)
    services.keep_cart_session(request.session)
    form = LineQuantityForm(request.POST)
    if not form.is_valid():
        name = selectors.get_line_product_name(cart=cart, line_id=line_id)
        if name is None:
            return _line_not_in_cart(request)
        messages.error(  # which line, on the cart page
            request, f"{name}: {_form_errors(form)}", extra_tags=f"{REFUSED_LINE_TAG}{line_id}"
        )
        return redirect("cart:detail")
    try:
        line = services.set_line_quantity(
            cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
        )
    except LineNotInCart:
        return _line_not_in_cart(request)
    except CartOrderedMeanwhile as exc:  # the cart page shows the visitor's next cart
        messages.error(request, str(exc))
    except CartError as exc:
        messages.error(request, str(exc), extra_tags=f"{REFUSED_LINE_TAG}{line_id}")
    else:
        messages.success(request, "Quantity updated." if line else "Item removed.")
    return redirect("cart:detail")


@require_POST
def remove_line(request, line_id: int):
    cart = selectors.find_cart(user=request.user, session=request.session)
    if cart is None:
        return _line_not_in_cart(request)
    try:
        if not services.remove_line(cart=cart, line_id=line_id):
            return _line_not_in_cart(request)
    except CartOrderedMeanwhile as exc:
        messages.error(request, str(exc))
        return redirect("cart:detail")
    services.keep_cart_session(request.session)
    messages.success(request, "Item removed from your cart.")
    return redirect("cart:detail")


@require_http_methods(["GET", "HEAD", "POST"])
def clear(request):
    """GET asks first (a whole cart is a lot to lose to a stray click); POST empties it."""
    if request.method != "POST":
        pricing = selectors.price_open_cart(user=request.user, session=request.session)
        if not pricing.lines:
            return redirect("cart:detail")
        return render(
            request,
            "cart/clear_confirm.html",
            {"pricing": pricing, "cart_count": pricing.item_count, "page_title": "Empty cart?"},
        )
    cart = selectors.find_cart(user=request.user, session=request.session)
    if cart is not None:
        services.clear_cart(cart=cart)
        messages.success(request, "Your cart is now empty.")
    return redirect("cart:detail")
