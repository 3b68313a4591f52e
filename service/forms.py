import re

from django import forms
from django.utils.text import format_lazy

from core.forms import LowercaseEmailField, PublicMessageForm
from orders.forms import ORDER_NUMBER_INPUT, lazy_example, normalize_order_number

from .models import ContactMessage

ORDER_NUMBER = re.compile(r"[A-Z0-9-]{4,20}")


class ContactForm(PublicMessageForm):
    class Meta:
        model = ContactMessage
        fields = ["name", "email", "topic", "order_number", "message"]
        field_classes = {"email": LowercaseEmailField}
        labels = {
            "name": "Your name",
            "email": "Your e-mail",
            "topic": "What is it about?",
            "order_number": "Order number (if it is about an order)",
            "message": "Your message",
        }
        help_texts = {
            "email": "We answer to this address.",
            "order_number": format_lazy("As in your confirmation e-mail, e.g. {}.", lazy_example),
            "message": "Up to 3,000 characters.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "order_number": forms.TextInput(attrs=ORDER_NUMBER_INPUT),
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": 3000}),
        }

    def clean_order_number(self):
        # as orders store it ("mp 7kq4 x2hd" is MP-7KQ4-X2HD): the admin's link to the order
        # searches for this text
        number = normalize_order_number(self.cleaned_data["order_number"])
        if number and not ORDER_NUMBER.fullmatch(number):
            raise forms.ValidationError(
                "That does not look like an order number; leave it empty if you do not have one."
            )
        return number

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) < 2:
            raise forms.ValidationError("Please write your question (at least 2 characters).")
        return message
