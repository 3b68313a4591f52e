from django import forms

from core.forms import LowercaseEmailField, PublicMessageForm

from .models import Entry


class EntryForm(PublicMessageForm):
    class Meta:
        model = Entry
        fields = ["name", "email", "message"]
        field_classes = {"email": LowercaseEmailField}
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
            raise forms.ValidationError("Please write a message (at least 2 characters).")
        return message
