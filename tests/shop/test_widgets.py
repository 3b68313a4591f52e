import pytest
from django import forms
from django.test.html import parse_html

from core.widgets import FastSelect

CHOICES = [
    ("", "All categories"),
    ("tea", "Tea"),
    ("a<b\"c'", "<script>alert(1)</script> & “quotes”"),
    ("sub", "— Sub category"),
    (3, "Three"),
]


@pytest.mark.parametrize("value", [None, "", "tea", "a<b\"c'", "3", 3, "missing", ["tea"]])
@pytest.mark.parametrize("attrs", [{"id": "id_category"}, {"id": "x", "required": True}])
def test_fast_select_renders_what_django_select_renders(value, attrs):
    fast = FastSelect(choices=CHOICES).render("category", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("category", value, attrs=attrs)
    assert parse_html(fast) == parse_html(django)
    assert "<script>" not in fast


def test_fast_select_refuses_option_groups():
    widget = FastSelect(choices=[("Group", [("a", "A")])])
    with pytest.raises(TypeError):
        widget.render("x", None)


def test_listing_filters_use_it_and_keep_the_selection(client, db):
    from tests.factories import CategoryFactory

    category = CategoryFactory(name="Kettles")
    response = client.get("/products/", {"category": category.slug, "sort": "price"})
    body = response.content.decode()
    assert f'<option value="{category.slug}" selected>Kettles</option>' in body
    assert '<option value="price" selected>Price: low to high</option>' in body


@pytest.mark.parametrize(
    ("fast", "django", "value"),
    [
        ("FastNumberInput", forms.NumberInput, None),
        ("FastNumberInput", forms.NumberInput, "12.50"),
        ("FastNumberInput", forms.NumberInput, '"><script>'),
        ("FastTextInput", forms.TextInput, "tea & <b>"),
        ("FastCheckboxInput", forms.CheckboxInput, True),
        ("FastCheckboxInput", forms.CheckboxInput, False),
        ("FastCheckboxInput", forms.CheckboxInput, None),
        ("FastCheckboxInput", forms.CheckboxInput, "on"),
    ],
)
def test_fast_inputs_render_what_django_renders(fast, django, value):
    from core import widgets

    attrs = {"min": "0", "inputmode": "decimal"} if "Number" in fast else {}
    mine = getattr(widgets, fast)(attrs=attrs).render("f", value, attrs={"id": "id_f"})
    theirs = django(attrs=attrs).render("f", value, attrs={"id": "id_f"})
    assert parse_html(mine) == parse_html(theirs)
    assert "<script>" not in mine
