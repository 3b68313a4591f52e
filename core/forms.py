import re

from django import forms
from django.conf import settings


class PublicMessageForm(forms.ModelForm):
    """A message anyone may send (guestbook, contact form): a field people never see and bots
    fill in, and the sender's name with its spaces tidied."""

    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class LowercaseEmailField(forms.EmailField):
    """An e-mail address as the shop stores it: lowercased, and checked against its length
    limit after that (a few characters grow when lowercased: "İ" becomes two), so a valid
    form never fails at the database."""

    def to_python(self, value):
        return super().to_python(value).lower()


#: A phone number as the shop asks for it (checkout, address book), with the message for a miss.
PHONE_PATTERN = r"^\+?[0-9 ()/.-]{5,40}$"
PHONE_MESSAGE = "Enter a phone number with digits, spaces, +, ( ) or -."


# Postcodes of the countries a shop here is most likely to deliver to: (pattern of the code
# with spaces and case tidied, how it is written, an example for the message), by the country's
# English name as SHOP_DELIVERY_COUNTRIES spells it. A country not listed (or named otherwise,
# "Deutschland") takes any postcode as typed.
_POSTCODES = {
    "germany": (r"[0-9]{5}", "{}", "10115"),
    "austria": (r"[0-9]{4}", "{}", "1010"),
    "switzerland": (r"[0-9]{4}", "{}", "8001"),
    "liechtenstein": (r"[0-9]{4}", "{}", "9490"),
    "france": (r"[0-9]{5}", "{}", "75001"),
    "italy": (r"[0-9]{5}", "{}", "00184"),
    "spain": (r"[0-9]{5}", "{}", "28013"),
    "belgium": (r"[0-9]{4}", "{}", "1000"),
    "luxembourg": (r"(?:L-?)?([0-9]{4})", "L-{}", "L-1009"),
    "netherlands": (r"([0-9]{4}) ?([A-Z]{2})", "{} {}", "1012 AB"),
    "denmark": (r"[0-9]{4}", "{}", "1050"),
    "poland": (r"([0-9]{2})-?([0-9]{3})", "{}-{}", "00-950"),
    "czech republic": (r"([0-9]{3}) ?([0-9]{2})", "{} {}", "110 00"),
    "czechia": (r"([0-9]{3}) ?([0-9]{2})", "{} {}", "110 00"),
    "sweden": (r"([0-9]{3}) ?([0-9]{2})", "{} {}", "111 22"),
    "portugal": (r"([0-9]{4})-?([0-9]{3})", "{}-{}", "1000-001"),
}


def clean_postcode(*, country: str, postcode: str) -> str:
    """``postcode`` as it is written in ``country`` ("1012ab" -> "1012 AB" in the
    Netherlands); raises ValidationError when it cannot be one there (a German postcode has
    five digits: a parcel to "1062 Berlin" never arrives). Any postcode for other countries."""
    typed = " ".join(postcode.split())
    rule = _POSTCODES.get(" ".join(country.split()).casefold())
    if rule is None or not typed:
        return typed
    pattern, written, example = rule
    match = re.fullmatch(pattern, typed.upper(), re.ASCII)  # "１０１１５" is not a postcode
    if match is None:
        raise forms.ValidationError(
            f"Enter a postcode as it is written in {country.strip()}, such as {example}.",
            code="postcode",
        )
    return written.format(*(match.groups() or [match.group(0)]))


def delivery_countries() -> list[str]:
    return list(settings.SHOP_DELIVERY_COUNTRIES)


def delivery_country(value: str) -> str | None:
    """The delivery country ``value`` names, as the shop spells it ("germany " -> "Germany"),
    or None if the shop does not deliver there."""
    wanted = " ".join((value or "").split()).casefold()
    return next((c for c in delivery_countries() if c.casefold() == wanted), None)


def delivery_countries_text() -> str:
    """ "Germany", "Germany and Austria", "Germany, Austria and Switzerland"."""
    countries = delivery_countries()
    return " and ".join(
        [", ".join(countries[:-1]), countries[-1]] if len(countries) > 1 else countries
    )


class DeliveryCountryField(forms.ChoiceField):
    """A country the shop delivers to (SHOP_DELIVERY_COUNTRIES), chosen from a list: no typos,
    and no order to a country the shop cannot serve.

    A value saved before (an address book entry typed as free text, or from a country the shop
    no longer serves) is shown as it is, marked, and refused openly when the form is sent,
    instead of the browser silently sending the first country of the list in its place.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Country")
        kwargs.setdefault("initial", lambda: delivery_countries()[0])
        kwargs.setdefault("widget", forms.Select(attrs={"autocomplete": "country-name"}))
        super().__init__(choices=self._delivery_choices, **kwargs)
        self.error_messages["invalid_choice"] = "We deliver to %(countries)s only."

    @staticmethod
    def _delivery_choices():
        return [(country, country) for country in delivery_countries()]

    def show_current(self, value: str) -> None:
        """Keep a stored value that is not a delivery country visible in the list."""
        if value and delivery_country(value) is None:
            self.choices = [
                (value, f"{value} (we do not deliver there)"),
                *self._delivery_choices(),
            ]

    def to_python(self, value):
        value = super().to_python(value)
        return delivery_country(value) or value

    def valid_value(self, value) -> bool:
        return delivery_country(value) is not None

    def validate(self, value):
        try:
            super().validate(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice":
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"countries": delivery_countries_text()},
                ) from None
            raise
