from django import forms

from accounts.models import Address
from cart.models import ShippingMethod
from core.forms import LowercaseEmailField

from .carriers import CARRIER_CHOICES
from .payments import list_payment_methods


class ContactForm(forms.Form):
    email = LowercaseEmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.RegexField(
        label="Phone",
        max_length=40,
        regex=r"^\+?[0-9 ()/.-]{5,40}$",
        error_messages={"invalid": "Enter a phone number with digits, spaces, +, ( ) or -."},
        help_text="For the carrier, in case they cannot find you.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


class AddressForm(forms.Form):
    saved_address = forms.ModelChoiceField(
        queryset=Address.objects.none(),
        required=False,
        empty_label="A new address (enter it below)",
        label="Saved addresses",
        widget=forms.RadioSelect,
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    line1 = forms.CharField(
        label="Street and number",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2 (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.CharField(
        label="Country",
        max_length=60,
        initial="Germany",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
    )
    save_address = forms.BooleanField(label="Save this address to my account", required=False)

    REQUIRED = ("full_name", "line1", "postcode", "city", "country")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        saved = Address.objects.none()
        if user is not None and user.is_authenticated:
            saved = Address.objects.filter(user=user)
            self.fields["saved_address"].queryset = saved
        else:
            del self.fields["saved_address"]
            del self.fields["save_address"]
        if not saved.exists():
            # No saved address to pick: the new-address fields are plainly required.
            for name in self.REQUIRED:
                self.fields[name].required = True

    def clean(self):
        data = super().clean()
        if data.get("saved_address"):
            return data
        for name in self.REQUIRED:
            if name not in self.errors and not (data.get(name) or "").strip():
                self.add_error(name, "This field is required.")
        return data

    def address(self) -> dict:
        data = self.cleaned_data
        saved = data.get("saved_address")
        source = saved.__dict__ if saved else data
        return {k: (source.get(k) or "").strip() for k in (*self.REQUIRED, "line2")}


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


class OrderInquiryForm(forms.Form):
    number = forms.CharField(
        label="Order number",
        max_length=20,
        help_text="It is in your confirmation e-mail, e.g. MP-7KQ4-X2HD.",
    )
    email = forms.EmailField(label="E-mail used at checkout", max_length=254)


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(choices=CARRIER_CHOICES)
    tracking_number = forms.CharField(max_length=80)
