import unicodedata

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.hashers import make_password
from django.core.validators import RegexValidator

from core.forms import (
    PHONE_MESSAGE,
    PHONE_PATTERN,
    DeliveryCountryField,
    clean_postcode,
    delivery_country,
)

from .models import Address, User


class StoredEmailMixin:
    """The e-mail address cleaned as User.save stores it (lower case), so an address taken in
    another case is refused by the form's uniqueness check, not by the database at save."""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class StaffUserCreationForm(StoredEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class StaffUserChangeForm(StoredEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form (settings.ACCOUNT_FORMS), as slow for a known address as for a
    new one."""

    def try_save(self, request):
        if self.account_already_exists:
            # A new account's password is hashed (~0.3 s); a known address (allauth only mails
            # its owner) answered ten times faster, which told its timing apart.
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class StaffLoginForm(AdminAuthenticationForm):
    """The admin's sign-in (admin.site.login_form), checked by allauth like the shop's: its
    limit of failed sign-ins per account (ACCOUNT_RATE_LIMITS["login_failed"]) counts both
    forms together. Django's own form checks the password directly, so guesses at a staff
    password spread over many addresses were only held by the per-address limit."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # raises "too many failed login attempts" while the account's limit holds
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class SingleLineField(forms.CharField):
    """Text on one line of a shipping label: runs of spaces, tabs and line breaks become one
    space, and other control characters are refused (NUL, which PostgreSQL cannot store,
    already by Django's own validator)."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())

    def validate(self, value):
        super().validate(value)
        if any(ch != "\x00" and unicodedata.category(ch) == "Cc" for ch in value):
            raise forms.ValidationError(
                "Remove the control characters from this field.", code="control_characters"
            )


class AddressForm(forms.ModelForm):
    """A saved shipping address, as the member types it in their address book."""

    phone = SingleLineField(
        label="Phone (optional)",
        max_length=Address._meta.get_field("phone").max_length,
        required=False,
        validators=[RegexValidator(PHONE_PATTERN, PHONE_MESSAGE)],
        help_text="For the carrier, in case they cannot find you.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    country = DeliveryCountryField()
    make_default = forms.BooleanField(label="Use as my default address", required=False)

    class Meta:
        model = Address
        fields = ("full_name", "line1", "line2", "postcode", "city", "country", "phone")
        field_classes = dict.fromkeys(fields, SingleLineField)
        labels = {
            "full_name": "Full name",
            "line1": "Street and number",
            "line2": "Address line 2 (optional)",
            "postcode": "Postcode",
            "city": "City",
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    ADDRESS_FIELDS = Meta.fields

    def __init__(self, *args, offer_default: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            country = delivery_country(self.instance.country)
            if country:  # "germany" saved as typed: preselect the shop's own spelling
                self.initial["country"] = country
            else:
                self.fields["country"].show_current(self.instance.country)
        if not offer_default:
            # The first address, or the default itself: it is (and stays) the default anyway.
            del self.fields["make_default"]

    def clean(self):
        data = super().clean()
        country, postcode = data.get("country"), data.get("postcode")
        if country and postcode and "country" not in self.errors:
            try:
                data["postcode"] = clean_postcode(country=country, postcode=postcode)
            except forms.ValidationError as error:
                self.add_error("postcode", error)
        return data

    def address_data(self) -> dict:
        """The cleaned values as keyword arguments for accounts.services."""
        data = {name: self.cleaned_data[name] for name in self.ADDRESS_FIELDS}
        data["make_default"] = bool(self.cleaned_data.get("make_default"))
        return data
