from django import forms

from .models import Entry


class EntryForm(forms.ModelForm):
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    class Meta:
        model = Entry
        fields = ["name", "email", "message"]
        labels = {
            "name": "Your name",
            "email": "E-mail (optional, never shown)",
            "message": "Your message",
        }
        help_texts = {
            "email": "Only used to tell you when we reply.",
            "message": "Up to 2,000 characters. Messages appear after a quick review.",
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) < 2:
            raise forms.ValidationError("Please write a message.")
        return message

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
