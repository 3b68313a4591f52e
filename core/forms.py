from django import forms


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
