"""Checkout forms that go wrong, and the whole checkout with the keyboard alone."""

import re
from decimal import Decimal

import pytest

from orders.models import Order
from tests.e2e.helpers import (
    GUEST,
    confirmation_number,
    expect,
    focus_outline,
    press_and_wait,
    tab_to,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_field_error(page, label: str, message: str, *, value: str) -> None:
    """The field keeps ``value``, is marked invalid and is described by its error, shown close."""
    field = page.get_by_label(label, exact=False).first
    expect(field).to_have_value(value)
    expect(field).to_have_attribute("aria-invalid", "true")
    described = (field.get_attribute("aria-describedby") or "").split()
    texts = [page.locator(f"[id='{i}']").inner_text() for i in described]
    assert any(message in t for t in texts), (label, described, texts)
    error = page.locator(f"[id='{described[-1]}']")
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 60, (field_box, error_box)


def test_invalid_checkout_forms_keep_input_and_point_at_the_errors(page, seeded_shop):
    page.goto(seeded_shop.bottle.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Checkout").click()

    # One page, errors in three sections: a broken e-mail address, postcode and city left
    # empty, no payment method chosen.
    page.get_by_label("E-mail").fill("greta.guest-at-example.com")
    page.get_by_label("Phone").fill(GUEST["phone"])
    page.get_by_label("Full name").fill(GUEST["full_name"])
    page.get_by_label("Street and number").fill(GUEST["line1"])
    page.get_by_label("Address line 2").fill("Hinterhaus")
    page.get_by_role("radio", name=re.compile("^Express")).check()
    page.get_by_role("button", name="Review your order").click()

    summary = page.get_by_role("alert")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("Please correct the 4 fields marked below")
    expect(summary.get_by_role("link")).to_have_text(
        ["E-mail", "Postcode", "City", "Payment method"]
    )
    expect(summary.get_by_role("link", name="E-mail")).to_have_attribute("href", "#id_email")
    expect(summary.get_by_role("link", name="Payment method")).to_have_attribute("href", "#payment")
    assert_field_error(
        page, "E-mail", "Enter a valid e-mail address.", value="greta.guest-at-example.com"
    )
    assert_field_error(page, "Postcode", "This field is required.", value="")
    assert_field_error(page, "City", "This field is required.", value="")
    payment = page.get_by_role("group", name="Payment method")
    expect(payment).to_contain_text("Choose a payment method.")
    expect(payment).to_have_attribute("aria-describedby", "payment-error")
    # Nothing typed or chosen is lost, and what was right is not marked.
    expect(page.get_by_label("Phone")).to_have_value(GUEST["phone"])
    expect(page.get_by_label("Phone")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value(GUEST["full_name"])
    expect(page.get_by_label("Street and number")).to_have_value(GUEST["line1"])
    expect(page.get_by_label("Address line 2")).to_have_value("Hinterhaus")
    expect(page.get_by_label("Country")).to_have_value("Germany")
    expect(page.get_by_role("radio", name=re.compile("^Express"))).to_be_checked()

    # The summary's links take the shopper to the field, or to the section of a choice.
    summary.get_by_role("link", name="E-mail").click()
    expect(page).to_have_url(re.compile("#id_email$"))
    expect(page.get_by_label("E-mail")).to_be_in_viewport()
    summary.get_by_role("link", name="Payment method").click()
    expect(page).to_have_url(re.compile("#payment$"))
    expect(payment).to_be_in_viewport()

    page.get_by_label("E-mail").fill(GUEST["email"])
    page.get_by_label("Postcode").fill(GUEST["postcode"])
    page.get_by_label("City").fill(GUEST["city"])
    page.get_by_role("radio", name=re.compile("^Cash on delivery")).check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    # "Change" on the review goes back to that section, with everything chosen kept.
    page.get_by_role("link", name="Change delivery").click()
    expect(page).to_have_url(re.compile("/checkout/#delivery$"))
    expect(page.get_by_role("group", name="Delivery method")).to_be_in_viewport()
    expect(page.get_by_role("radio", name=re.compile("^Express"))).to_be_checked()
    expect(page.get_by_label("Address line 2")).to_have_value("Hinterhaus")


def test_checkout_with_the_keyboard_only(page, seeded_shop):
    page.goto(seeded_shop.backpack.get_absolute_url())
    # several options and none chosen for the shopper: the browser asks for one first
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("radio", name="Green / M")).to_be_focused()  # the browser points at it
    expect(page).to_have_url(re.compile("/products/alpine-backpack/$"))
    page.get_by_role("radio", name="Green / M").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    # From here on: keys only, and every focus stop must be visible.
    assert tab_to(page, "Checkout")["tag"] == "a"
    press_and_wait(page, "Enter")

    # The whole details page, top to bottom.
    tab_to(page, "E-mail")
    page.keyboard.type(GUEST["email"])
    page.keyboard.press("Tab")
    assert "Phone" in focus_outline(page)["name"]
    page.keyboard.type(GUEST["phone"])
    tab_to(page, "E-mail", backwards=True)
    assert focus_outline(page)["visible"]
    page.keyboard.press("Tab")

    tab_to(page, "Full name")
    page.keyboard.type(GUEST["full_name"])
    tab_to(page, "Street and number")
    page.keyboard.type(GUEST["line1"])
    tab_to(page, "Postcode")
    page.keyboard.type(GUEST["postcode"])
    tab_to(page, "City")
    page.keyboard.type(GUEST["city"])

    tab_to(page, "Standard")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("^Express"))).to_be_checked()
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("radio", name=re.compile("^Standard"))).to_be_checked()
    assert focus_outline(page)["visible"]

    tab_to(page, "Cash on delivery")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("^Bank transfer"))).to_be_checked()
    assert focus_outline(page)["visible"]
    tab_to(page, "Review your order")
    press_and_wait(page, "Enter")

    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()
    tab_to(page, "Buy now")
    press_and_wait(page, "Enter")

    number = confirmation_number(page)
    order = Order.objects.get(number=number)
    assert (order.payment_method, order.shipping_name) == ("bank_transfer", "Standard")
    assert (order.full_name, order.city) == (GUEST["full_name"], GUEST["city"])


def test_search_suggestions_with_the_keyboard(page, seeded_shop):
    page.goto("/")
    field = page.get_by_role("combobox", name="Search products")
    field.focus()
    page.keyboard.type("alp", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    option = listbox.get_by_role("option", name=re.compile("Alpine Backpack"))
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(field).to_have_attribute("aria-controls", "search-suggestions")
    # a screen reader hears how many there are (a polite live region) ...
    expect(page.locator("[data-suggest-status]")).to_have_text(re.compile(r"^\d+ suggestions?, "))
    # ... and, focus staying in the field, which one the arrow keys chose
    page.keyboard.press("ArrowDown")
    active = field.get_attribute("aria-activedescendant")
    expect(listbox.locator(f"[id='{active}']")).to_have_attribute("aria-selected", "true")
    expect(field).to_be_focused()
    assert focus_outline(page)["visible"]

    # Escape closes the list and keeps what was typed (a search field's own Escape cleared it)
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(field).to_have_value("alp")
    # Down opens the list again, as in a select
    page.keyboard.press("ArrowDown")
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")

    page.keyboard.type("ine", delay=30)
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # wraps round to the last option
    page.keyboard.press("ArrowDown")  # and back to the first
    expect(option).to_have_attribute("aria-selected", "true")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", name="Alpine Backpack", level=1)).to_be_visible()


def test_the_error_summary_takes_the_focus_and_leads_to_the_fields(page, seeded_shop):
    page.goto(seeded_shop.bottle.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("E-mail").fill(GUEST["email"])
    page.get_by_role("button", name="Review your order").click()

    # The page comes back with errors: the summary has the focus (a screen reader reads it
    # first; the focus was on nothing, the top of the page), visibly.
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    assert summary.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    # Tab goes on into the summary's links; Enter on one puts the focus in its field ...
    assert tab_to(page, "Phone")["tag"] == "a"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Phone")).to_be_focused()
    page.keyboard.type(GUEST["phone"])
    # ... and on a group of choices, on its first choice (the browser left it on nothing)
    summary.get_by_role("link", name="Payment method").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#payment$"))
    expect(page.get_by_role("radio", name=re.compile("^Cash on delivery"))).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("^Bank transfer"))).to_be_checked()

    # The same on the shop's other forms with a summary.
    page.goto("/service/contact/")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("alert").filter(has_text="Please correct")).to_be_focused()


def test_a_message_after_a_redirect_is_read_out(page, seeded_shop):
    """ "Added to your cart" came with the page after the redirect, in a live region that
    already held it: screen readers read a live region's changes, not what it holds at load,
    so nobody heard it. The text now goes into an empty one once the page has settled."""
    page.goto(seeded_shop.bottle.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    shown = page.get_by_role("region", name="Messages")
    expect(shown).to_contain_text("to your cart.")
    announced = page.locator("[data-announce]")
    expect(announced).to_have_attribute("role", "status")
    expect(announced).to_have_text(shown.inner_text().strip())


def test_skip_link_filters_and_quantities_with_the_keyboard(new_context, seeded_shop):
    page = new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(seeded_shop.categories.outdoor.get_absolute_url())

    # The first Tab shows the skip link on the screen; Enter jumps over header and menu.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert focus_outline(page)["visible"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    # On a phone the filters are folded: a few stops on (breadcrumb, subcategory), Enter opens
    # them.
    tab_to(page, "Filter and sort")
    expect(page.locator(".filters summary")).to_be_focused()
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_hidden()
    page.keyboard.press("Enter")
    expect(apply).to_be_visible()
    tab_to(page, "From")
    page.keyboard.type("15")
    tab_to(page, "In stock only")
    page.keyboard.press("Space")
    tab_to(page, "Apply")
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(r"min_price=15.*in_stock=on"))

    # A product card's quantity, then the cart's: type, Enter sends that line's form.
    tab_to(page, "Quantity of Summit Water Bottle")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Quantity of Summit Water Bottle")).to_have_value("2")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    field = page.get_by_label("Quantity of Summit Water Bottle")
    expect(field).to_have_value("2")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    press_and_wait(page, "Enter")
    expect(page.get_by_label("Quantity of Summit Water Bottle")).to_have_value("3")

    # No trap: Tab runs through the whole page and out of it, Shift+Tab comes back.
    stops = 0
    while page.evaluate("() => document.activeElement !== document.body") or stops == 0:
        page.keyboard.press("Tab")
        stops += 1
        assert stops < 80, "Tab never left the page"
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("contentinfo").get_by_role("link").last).to_be_focused()


def test_one_chinese_character_brings_suggestions(page, seeded_shop):
    """One Chinese character is a word (茶, tea): the server answers it, so the field asks."""
    from catalog.models import Product, Variant

    tea = Product.objects.create(
        name="茶杯 Tea Cup",
        slug="tea-cup",
        series=seeded_shop.mug.series,
        category=seeded_shop.mug.category,
        price=Decimal("9.00"),
    )
    Variant.objects.create(product=tea, sku="TEA-1", stock=5)
    page.goto("/")
    field = page.get_by_role("combobox", name="Search products")
    field.focus()
    page.keyboard.type("茶")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option", name=re.compile("茶杯 Tea Cup"))).to_be_visible()
    # one Latin letter is still no search
    field.fill("")
    page.keyboard.type("t")
    page.wait_for_timeout(400)
    expect(listbox).to_be_hidden()
