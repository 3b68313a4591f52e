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
