"""Form widgets that render in Python instead of through Django's widget templates.

Django renders every input, and every ``<option>`` of a ``Select``, through templates; the
listing filters (a category select with dozens of options, prices, a checkbox) cost more than
the rest of a listing page's chrome. The output here is the same markup, escaped the same way
(attributes in alphabetical order; tests/shop/test_widgets.py compares them).
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A single-choice ``<select>`` without option groups, rendered without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name  # "required" comes in attrs, from the bound field
        options = format_html_join(
            "",
            "{}",
            (
                (
                    format_html(
                        '<option value="{}" selected>{}</option>'
                        if str(option_value) in selected
                        else '<option value="{}">{}</option>',
                        str(option_value),
                        option_label,
                    ),
                )
                for option_value, option_label in self._flat_choices()
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)

    def _flat_choices(self):
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                raise TypeError("FastSelect does not render option groups; use forms.Select.")
            yield ("" if option_value is None else option_value), option_label


class FastInput(forms.widgets.Input):
    """``<input>`` rendered without templates (same markup as Django's Input widgets)."""

    def render(self, name, value, attrs=None, renderer=None):
        return _input(self, name, value, self.build_attrs(self.attrs, attrs))


class FastNumberInput(FastInput, forms.NumberInput):
    pass


class FastTextInput(FastInput, forms.TextInput):
    pass


class FastCheckboxInput(forms.CheckboxInput):
    """A checkbox rendered without templates (same markup as Django's CheckboxInput)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.check_test(value):
            final_attrs["checked"] = True
        return _input(self, name, value, final_attrs)


def _input(widget, name: str, value, final_attrs: dict) -> str:
    final_attrs["type"] = widget.input_type
    final_attrs["name"] = name
    shown = widget.format_value(value)
    if shown is not None:
        final_attrs["value"] = shown
    return format_html("<input{}>", flatatt(final_attrs))
