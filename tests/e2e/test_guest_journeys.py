"""Shoppers in a real browser: browse, search, filter, buy, pay, look the order up."""

import re
import urllib.request

import pytest
from django.conf import settings

from core.pagecache_wsgi import PageCacheFront
from orders.models import Order
from tests.e2e.helpers import (
    GUEST,
    admin_login,
    checkout,
    expect,
    inquire,
    read_outbox,
    said,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_guest_searches_filters_buys_and_looks_the_order_up(
    page, live_server, seeded_shop, monkeypatch
):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # Search from the header box.
    page.get_by_label("Search products").fill("backpack")
    page.get_by_label("Search products").press("Enter")
    expect(page.get_by_role("heading", name="Search results for “backpack”")).to_be_visible()

    # Filter: in stock only, at most 100.
    filters = page.get_by_role("complementary", name="Filter and sort")
    filters.get_by_label("In stock only").check()
    filters.get_by_label("To", exact=True).fill("100")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"in_stock=on"))
    expect(page.get_by_role("status").filter(has_text="product")).to_have_text("1 product")

    # Product page: a variant, two of them. Another visitor saw it first, so this shopper (no
    # session yet) gets it from the page cache's WSGI front, with a CSRF token of their own
    # that the "Add to cart" form below then uses.
    product_url = seeded_shop.backpack.get_absolute_url()
    urllib.request.urlopen(live_server.url + product_url).read()
    assert not [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    answered = []
    real_answer = PageCacheFront._answer
    monkeypatch.setattr(
        PageCacheFront,
        "_answer",
        lambda front, environ: answered.append(real_answer(front, environ)) or answered[-1],
    )
    with page.expect_response(lambda r: r.url.endswith(product_url)) as shown:
        page.get_by_role("link", name="Alpine Backpack").click()
    assert shown.value.headers.get("x-page-cache") == "hit"
    assert shown.value.headers.get("content-encoding") == "gzip"  # decoded by the browser
    assert [a for a in answered if a is not None], "not answered by the front"
    monkeypatch.undo()
    expect(page.get_by_role("heading", name="Alpine Backpack", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="Red / S")).to_be_disabled()
    page.get_by_role("radio", name="Blue / L").check()
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to cart").click()
    said(page, "Added 2 × Alpine Backpack to your cart.")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    # A second line, straight from a product card of the series page.
    page.get_by_role("link", name=seeded_shop.series.trail.name, exact=True).first.click()
    page.get_by_role("button", name="Add Summit Water Bottle to cart").click()
    said(page, "Added 1 × Summit Water Bottle to your cart.")
    cart_link = page.get_by_role("navigation", name="Account").get_by_role("link", name="Cart")
    expect(cart_link).to_contain_text("3")

    # Browsing on with a cart: the series page comes from the page cache, with this shopper's
    # own count in the header.
    response = page.goto(seeded_shop.series.trail.get_absolute_url())
    assert response.headers.get("x-page-cache") == "hit"
    expect(cart_link).to_contain_text("3")
    page.goto("/cart/")

    # Cart: change a quantity, remove a line.
    backpack_row = page.get_by_role("row").filter(has_text="Alpine Backpack")
    backpack_row.get_by_label("Quantity of Alpine Backpack").fill("1")
    backpack_row.get_by_role("button", name="Update").click()
    said(page, "Quantity updated.")
    expect(page.get_by_label("Quantity of Alpine Backpack")).to_have_value("1")
    page.get_by_role("button", name="Remove Summit Water Bottle").click()
    said(page, "Item removed from your cart.")
    expect(page.get_by_role("row").filter(has_text="Summit Water Bottle")).to_have_count(0)
    summary = page.get_by_role("complementary", name="Summary")
    expect(summary).to_contain_text("89.00")

    # Checkout, cash on delivery.
    number = checkout(page, payment="Cash on delivery")
    order = Order.objects.get(number=number)
    assert order.payment_method == "cod"
    assert order.email == GUEST["email"]
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("AB-BLU-L", 1)]
    assert read_outbox(to=GUEST["email"], subject=number), "no confirmation e-mail"
    expect(cart_link).to_contain_text("0")

    # Where is my order?
    inquire(page, live_server, number=number)
    result = page.get_by_role("main")
    expect(result.get_by_text(number).first).to_be_visible()
    expect(result.get_by_text("not yet paid", exact=True)).to_be_visible()
    expect(result.get_by_text("not shipped yet", exact=True)).to_be_visible()


def test_bank_transfer_shows_iban_and_staff_marks_it_paid(new_context, live_server, seeded_shop):
    shopper = new_context().new_page()
    shopper.goto(seeded_shop.towel.get_absolute_url())
    shopper.get_by_role("button", name="Add to cart").click()
    number = checkout(shopper, payment="Bank transfer")

    bank = shopper.get_by_role("region", name=re.compile("Please transfer"))
    expect(bank).to_contain_text("DE89 3704 0044 0532 0130 00")
    expect(bank.get_by_text("Reference", exact=True)).to_be_visible()
    expect(bank.get_by_role("definition").filter(has_text=number)).to_have_text(number)

    # Staff, in their own browser, marks the order paid from the changelist.
    staff = new_context().new_page()
    admin_login(staff, live_server)
    staff.goto("/admin/orders/order/")
    staff.get_by_role("row").filter(has_text=number).get_by_role("checkbox").check()
    staff.get_by_role("combobox", name=re.compile("^Action")).select_option(label="Mark paid")
    staff.get_by_role("button", name="Go", exact=True).click()
    expect(staff.get_by_text("1 order(s) marked paid.")).to_be_visible()
    assert Order.objects.get(number=number).is_paid
    assert read_outbox(to=GUEST["email"], subject=f"Payment received for order {number}")

    inquire(shopper, live_server, number=number)
    expect(shopper.get_by_text("payment received", exact=True)).to_be_visible()
    expect(shopper.get_by_role("region", name=re.compile("Please transfer"))).to_have_count(0)


def test_last_unit_sold_meanwhile_names_the_product_and_keeps_the_cart(
    new_context, live_server, seeded_shop
):
    first, second = new_context().new_page(), new_context().new_page()
    for shopper in (first, second):
        shopper.goto(seeded_shop.mug.get_absolute_url())
        expect(shopper.get_by_text("Only 1 left")).to_be_visible()
        shopper.get_by_role("button", name="Add to cart").click()
        said(shopper, "Added 1 × Pine Mug to your cart.")
    second.goto(seeded_shop.bottle.get_absolute_url())
    second.get_by_role("button", name="Add to cart").click()

    # The second shopper is on the review page when the first one buys the last mug.
    checkout(second, email="second@example.com", place=False)
    checkout(first, email="first@example.com")

    second.get_by_role("button", name="Buy now").click()
    expect(second.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(second.get_by_role("listitem").filter(has_text=re.compile("^Pine Mug"))).to_be_visible()
    expect(second.get_by_role("row").filter(has_text="Summit Water Bottle")).to_be_visible()
    mug_row = second.get_by_role("row").filter(has_text="Pine Mug")
    expect(mug_row).to_contain_text(re.compile("sold out|left|available", re.I))
    assert Order.objects.count() == 1
    assert not Order.objects.filter(email="second@example.com").exists()
    screenshot(second, "cart-sold-out-meanwhile")


def test_the_shop_works_without_javascript(new_context, seeded_shop):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_label("Search products").fill("towel")
    page.get_by_role("button", name="Search", exact=True).click()
    filters = page.get_by_role("complementary", name="Filter and sort")
    filters.get_by_label("Sort by").select_option(label="Price: low to high")
    filters.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Meadow Tea Towel").click()
    page.get_by_label("Quantity", exact=True).fill("3")
    page.get_by_role("button", name="Add to cart").click()
    said(page, "Added 3 × Meadow Tea Towel to your cart.")
    number = checkout(page, payment="Cash on delivery", delivery="Express")
    order = Order.objects.get(number=number)
    assert (order.shipping_name, order.lines.get().quantity) == ("Express", 3)
