"""Long words (German compounds, surnames, pasted links) never push a page sideways on a phone."""

import pytest

from tests.e2e.helpers import (
    confirmation_number,
    expect,
    fill_address,
    fill_contact,
    horizontal_overflow,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_NAME = "Donaudampfschifffahrtsgesellschaftskapitänsmützenaufbewahrungsbox"
SURNAME = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft"


def fits(page) -> None:
    assert horizontal_overflow(page) == 0, page.url
    widest = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('table'),"
        " t => t.getBoundingClientRect().right), 0)"
    )
    assert widest <= page.viewport_size["width"], f"a table scrolls sideways on {page.url}"


def test_long_words_wrap_on_a_phone(page, seeded_shop):
    product = seeded_shop.bottle
    product.name = f"{LONG_NAME} Deluxe"
    product.save()
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto(product.get_absolute_url())
    fits(page)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    fits(page)

    page.goto("/search/?q=" + "x" * 300)
    fits(page)

    page.goto("/checkout/")
    fill_contact(page)
    fill_address(page, full_name=f"Greta {SURNAME}")
    page.get_by_role("radio", name="Cash on delivery").check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()
    fits(page)  # the review: name, address and the items table
    page.get_by_role("button", name="Buy now").click()
    confirmation_number(page)
    fits(page)
