from django import forms

from .services import MAX_LINE_QUANTITY


class AddToCartForm(forms.Form):
    variant = forms.IntegerField(min_value=1, max_value=2**62)
    quantity = forms.IntegerField(
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        error_messages={"min_value": "Choose a quantity of at least 1."},
    )


class LineQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        error_messages={"min_value": "Quantity cannot be negative."},
    )
