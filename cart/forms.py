from django import forms

from .services import MAX_LINE_QUANTITY

QUANTITY_ERRORS = {
    "required": "Enter a quantity.",
    "invalid": "Enter the quantity as a whole number, such as 1 or 2.",
    "max_value": f"You can order at most {MAX_LINE_QUANTITY} of an item at a time.",
}


class AddToCartForm(forms.Form):
    variant = forms.IntegerField(
        min_value=1,
        max_value=2**62,
        error_messages={"required": "Choose an option (such as colour or size) first."},
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        error_messages={**QUANTITY_ERRORS, "min_value": "Choose a quantity of at least 1."},
    )


class LineQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        error_messages={**QUANTITY_ERRORS, "min_value": "Quantity cannot be negative."},
    )
