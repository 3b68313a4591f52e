import re

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy

from accounts.forms import SingleLineField
from accounts.models import Address
from cart.models import ShippingMethod
from core.forms import (
    PHONE_MESSAGE,
    PHONE_PATTERN,
    DeliveryCountryField,
    LowercaseEmailField,
    clean_postcode,
    delivery_countries_text,
    delivery_country,
)

from .models import NUMBER_ALPHABET, NUMBER_LENGTH, format_order_number
from .payments import list_payment_methods


class ContactForm(forms.Form):
    email = LowercaseEmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.RegexField(
        label="Phone",
        max_length=40,
        regex=PHONE_PATTERN,
        error_messages={"invalid": PHONE_MESSAGE},
        help_text="For the carrier, in case they cannot find you.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


NEW_ADDRESS = "new"


def _address_label(address: Address) -> str:
    parts = [address.full_name, address.line1, address.line2, f"{address.postcode} {address.city}"]
    label = ", ".join(part for part in parts if part)
    return f"{label} (default)" if address.is_default else label


class AddressForm(forms.Form):
    """Where to ship: one of the member's saved addresses, or a new one typed in.

    The new-address fields are always on the page (it works without JavaScript), so they are
    required only when "A new address" is the choice; a saved address needs nothing else. Each
    is one line of a shipping label, cleaned as the address book cleans it (SingleLineField):
    a new address ticked "save" goes into the address book as typed here.
    """

    saved_address = forms.ChoiceField(
        label="Saved addresses",
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            # Another customer's address id lands here too: refused, and never named.
            "invalid_choice": "Select a valid choice: one of your saved addresses or a new one.",
        },
    )
    full_name = SingleLineField(
        label="Full name",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    line1 = SingleLineField(
        label="Street and number",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = SingleLineField(
        label="Address line 2 (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postcode = SingleLineField(
        label="Postcode",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = SingleLineField(
        label="City",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = DeliveryCountryField(required=False)
    save_address = forms.BooleanField(label="Save this address to my account", required=False)

    REQUIRED = ("full_name", "line1", "postcode", "city", "country")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        member = user is not None and user.is_authenticated
        # Default first, then the most recent (the model's ordering): the first is preselected.
        self.saved_addresses = list(Address.objects.filter(user=user)) if member else []
        self._saved_by_pk = {str(a.pk): a for a in self.saved_addresses}
        if not member:
            del self.fields["saved_address"]
            del self.fields["save_address"]
        else:
            # Kept for members without saved addresses too, so a posted id is refused openly.
            self.fields["saved_address"].choices = [
                *((pk, _address_label(a)) for pk, a in self._saved_by_pk.items()),
                (NEW_ADDRESS, "A new address (enter it below)"),
            ]
            if self.initial.get("saved_address") not in (*self._saved_by_pk, NEW_ADDRESS):
                first = self.saved_addresses[0] if self.saved_addresses else None
                self.initial["saved_address"] = str(first.pk) if first else NEW_ADDRESS
        if not self.saved_addresses:
            # Nothing saved to pick: the new-address fields are plainly required.
            for name in self.REQUIRED:
                self.fields[name].required = True

    @property
    def offers_saved_addresses(self) -> bool:
        return bool(self.saved_addresses)

    def clean_saved_address(self) -> Address | None:
        """The chosen saved address, or None for a new one (also when the field was left out)."""
        return self._saved_by_pk.get(self.cleaned_data.get("saved_address") or NEW_ADDRESS)

    def clean(self):
        data = super().clean()
        saved = data.get("saved_address")
        if saved and delivery_country(saved.country) is None:
            self.add_error(
                "saved_address",
                f"We deliver to {delivery_countries_text()} only; this address is in "
                f"{saved.country}. Choose another address or enter a new one.",
            )
        if saved and "saved_address" not in self.errors:
            try:  # saved before postcodes were checked: a parcel to it would never arrive
                # and as a typed one is written on the order ("1012ab" -> "1012 AB")
                data["saved_postcode"] = clean_postcode(
                    country=saved.country, postcode=saved.postcode
                )
            except forms.ValidationError:
                self.add_error(
                    "saved_address",
                    f"The postcode of this address ({saved.postcode}) cannot be right for "
                    f"{saved.country}. Correct it in your address book, or enter the address "
                    "as a new one.",
                )
        if saved or "saved_address" in self.errors:
            return data
        for name in self.REQUIRED:
            if name not in self.errors and not (data.get(name) or "").strip():
                self.add_error(name, "This field is required.")
        if not {"country", "postcode"} & set(self.errors):
            try:
                data["postcode"] = clean_postcode(
                    country=data["country"], postcode=data["postcode"]
                )
            except forms.ValidationError as error:
                self.add_error("postcode", error)
        return data

    def choice(self) -> str:
        """What to preselect when the shopper comes back: the saved address's id, or "new"."""
        saved = self.cleaned_data.get("saved_address")
        return str(saved.pk) if saved else NEW_ADDRESS

    def address(self) -> dict:
        data = self.cleaned_data
        saved = data.get("saved_address")
        source = saved.__dict__ if saved else data
        address = {k: (source.get(k) or "").strip() for k in (*self.REQUIRED, "line2")}
        if saved:
            address["postcode"] = data["saved_postcode"]
        # as the shop spells it: a saved "germany " ships to "Germany"
        address["country"] = delivery_country(address["country"]) or address["country"]
        return address

    def wants_saved(self) -> bool:
        """A new address the member asked to keep (a saved one is already kept)."""
        return bool(self.cleaned_data.get("save_address")) and not self.cleaned_data.get(
            "saved_address"
        )


class DeliveryForm(forms.Form):
    shipping_method = forms.ModelChoiceField(
        queryset=ShippingMethod.objects.filter(is_active=True),
        empty_label=None,
        widget=forms.RadioSelect,
        label="Delivery method",
        error_messages={
            "required": "Choose a delivery method.",
            "invalid_choice": "Choose one of the delivery methods shown.",
        },
    )


class PaymentForm(forms.Form):
    payment_method = forms.ChoiceField(
        choices=lambda: [(m.code, m.name) for m in list_payment_methods()],
        widget=forms.RadioSelect,
        label="Payment method",
        error_messages={
            "required": "Choose a payment method.",
            "invalid_choice": "Choose one of the payment methods shown.",
        },
    )


class PlaceOrderForm(forms.Form):
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    # What the review page showed (views.reviewed_digest): another tab's later review of a
    # changed cart must not let this page's "Buy now" charge that tab's total.
    reviewed = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


# Spaces and every kind of dash people (or their phones' autocorrect) type inside a number.
_SEPARATOR = r"[\s\-\u2010-\u2015\u2212]"
# Any prefix: orders placed before the shop changed SHOP_ORDER_PREFIX keep theirs. Separators,
# where typed, only between the parts: with any prefix allowed, "MP-7KQ4-X2H" (a character
# short) would otherwise be cut into another number that looks real, "M-P7KQ-4X2H".
_HALF = NUMBER_LENGTH // 2
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
# The halves only hold the letters and digits numbers are made of (no 0, O, 1, I or L): "Order
# 1234" typed in the field is no number, not "O-RDER-1234".
_HALF_OF = f"[{NUMBER_ALPHABET}]{{{_HALF}}}"
_TYPED_NUMBER = re.compile(rf"([A-Z0-9]{{0,6}}?){_SEPARATOR}*({_HALF_OF}){_SEPARATOR}*({_HALF_OF})")


def normalize_order_number(typed: str) -> str:
    """``mp3ymmwbcp``, ``MP 3YMM WBCP`` or ``3YMM-WBCP`` (the shop's prefix) as stored:
    ``MP-3YMM-WBCP``.

    Anything that is not shaped like a number comes back uppercased, without spaces and with
    plain dashes, and simply matches no order (staff searching for it find the order it nearly
    names).
    """
    typed = typed.strip().upper()
    return typed_order_number(typed) or _DASHES.sub("-", "".join(typed.split()))


def typed_order_number(typed: str) -> str | None:
    """The order number ``typed`` is shaped like, as stored (see normalize_order_number);
    None when it is shaped like none."""
    match = _TYPED_NUMBER.fullmatch(typed.strip().upper())
    if match is None:
        return None
    prefix, first, second = match.groups()
    return format_order_number(first + second, prefix=prefix)


def example_order_number() -> str:
    """An order number as this shop's look, for help texts."""
    return format_order_number("7KQ4X2HD")


lazy_example = lazy(example_order_number, str)()

# How a phone's keyboard should treat an order number (capitals, no autocorrect); also used by
# the contact form.
ORDER_NUMBER_INPUT = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "autocorrect": "off",
    "spellcheck": "false",
}


class OrderInquiryForm(forms.Form):
    number = forms.CharField(
        label="Order number",
        max_length=20,
        help_text=format_lazy("It is in your confirmation e-mail, e.g. {}.", lazy_example),
        # a phone's keyboard would capitalise only the first letter and "correct" the code
        widget=forms.TextInput(attrs=ORDER_NUMBER_INPUT),
    )
    email = forms.EmailField(
        label="E-mail used at checkout",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_number(self) -> str:
        return normalize_order_number(self.cleaned_data["number"])
