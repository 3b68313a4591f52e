"""The member's address book (list, add, edit, delete, choose the default), their data and
closing the account."""

from functools import wraps

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import (
    STATE_SESSION_KEY as REAUTHENTICATION_STATE,
)
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .exceptions import AccountClosed, AccountNotClosable
from .forms import AddressForm
from .models import Address


def _while_open(view):
    """An address change whose account was closed meanwhile (another tab) signs out and goes
    to the sign-in page instead of failing."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AccountClosed:
            logout(request)
            return redirect_to_login(request.get_full_path())

    return wrapper


#: The addresses this browser's session deleted (the latest few): a second Delete, Edit or
#: "Make default" of one (Back to its page, another tab) is told it is gone, not 404.
DELETED_KEY = "deleted_addresses"


def _deleted_here(request, pk: int) -> bool:
    return pk in request.session.get(DELETED_KEY, [])


def _already_deleted(request):
    messages.info(request, "That address was already deleted.")
    return redirect("accounts:addresses")


def _own_address(request, pk: int) -> Address:
    """The signed-in member's address, else 404 (another member's looks like no address)."""
    return get_object_or_404(Address, pk=pk, user=request.user)


@login_required
def address_list(request):
    return render(
        request,
        "accounts/address_list.html",
        {
            "addresses": selectors.list_member_addresses(user=request.user),
            "page_title": "Addresses",
        },
    )


@login_required
@_while_open
@require_http_methods(["GET", "POST"])
def address_add(request):
    first = not selectors.member_has_addresses(user=request.user)
    form = AddressForm(request.POST or None, offer_default=not first)
    if request.method == "POST" and form.is_valid():
        services.create_address(user=request.user, **form.address_data())
        messages.success(request, "Address saved.")
        return redirect("accounts:addresses")
    return _new_address_page(request, form, first=first)


def _new_address_page(request, form: AddressForm, *, first: bool, form_action: str = ""):
    """The "Add an address" page with ``form``; ``form_action`` when another view shows it."""
    return render(
        request,
        "accounts/address_form.html",
        {"form": form, "first": first, "form_action": form_action, "page_title": "Add an address"},
    )


@login_required
@_while_open
@require_http_methods(["GET", "POST"])
def address_edit(request, pk: int):
    if _deleted_here(request, pk):
        if request.method != "POST":
            return _already_deleted(request)
        # deleted in another tab while this one was edited: what was typed is offered as a
        # new address, saved only if the member sends it
        messages.error(
            request,
            "That address was deleted meanwhile, perhaps in another window. What you typed is "
            "below: save it as a new address.",
        )
        first = not selectors.member_has_addresses(user=request.user)
        form = AddressForm(request.POST, offer_default=not first)
        return _new_address_page(
            request, form, first=first, form_action=reverse("accounts:address_add")
        )
    address = _own_address(request, pk)
    form = AddressForm(request.POST or None, instance=address, offer_default=not address.is_default)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_address(address=address, **form.address_data())
        except Address.DoesNotExist:
            raise Http404("No such address") from None
        messages.success(request, "Address saved.")
        return redirect("accounts:addresses")
    return render(
        request,
        "accounts/address_form.html",
        {"form": form, "address": address, "page_title": "Edit address"},
    )


@login_required
@_while_open
@require_http_methods(["GET", "POST"])
def address_delete(request, pk: int):
    """GET asks to confirm; only the POST of that page deletes."""
    if _deleted_here(request, pk):
        return _already_deleted(request)
    address = _own_address(request, pk)
    if request.method == "POST":
        try:
            services.delete_address(address=address)
        except Address.DoesNotExist:
            raise Http404("No such address") from None
        request.session[DELETED_KEY] = [*request.session.get(DELETED_KEY, []), pk][-20:]
        messages.success(request, "Address deleted.")
        return redirect("accounts:addresses")
    return render(
        request,
        "accounts/address_confirm_delete.html",
        {"address": address, "page_title": "Delete address"},
    )


@login_required
@_while_open
def address_make_default(request, pk: int):
    # The address is looked up first, so another member's answers 404 to every method alike.
    if _deleted_here(request, pk):
        return _already_deleted(request)
    address = _own_address(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.set_default_address(address=address)
    except Address.DoesNotExist:
        raise Http404("No such address") from None
    messages.success(request, "Default address changed.")
    return redirect("accounts:addresses")


def _forget_pending_close(request) -> None:
    # A "Close my account" that stopped at the password page is not carried out by a later
    # password prompt (allauth keeps the suspended POST in the session until then).
    request.session.pop(REAUTHENTICATION_STATE, None)


@login_required
def your_data(request):
    """What the shop keeps about the member: a download of it, and closing the account."""
    _forget_pending_close(request)
    return render(request, "accounts/your_data.html", {"page_title": "Your data"})


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def close_account(request):
    """GET asks to confirm; the POST asks for the password again (allauth's reauthentication,
    which then carries the POST out) and closes the account."""
    if request.method == "GET":
        _forget_pending_close(request)
    if request.method == "POST" and not request.user.is_staff:
        try:
            services.close_account(user=request.user)
        except AccountNotClosable:
            messages.error(
                request,
                "This account has done work for the shop (staff): an administrator removes "
                "it, so that the record of who did what stays.",
            )
        else:
            logout(request)
            messages.success(request, "Your account is closed. We sent you an e-mail to confirm.")
            return redirect("home")
    return render(request, "accounts/close_account.html", {"page_title": "Close your account"})
