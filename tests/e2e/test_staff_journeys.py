"""Staff in a real browser: add a product in the admin, ship an order."""

import re

import pytest

from orders import services
from orders.models import Order
from tests.e2e.helpers import admin_login, expect, inquire, png_bytes, read_outbox
from tests.orders.helpers import make_cart, place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# The width of a picture once the browser has loaded it (0 if it is broken): read at once, a
# picture still arriving from a busy test server read as 0 too (a failure under parallel runs).
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth, () => 0)"


def choose_autocomplete(page, field_id: str, search: str, option: str) -> None:
    """Pick ``option`` in one of the admin's autocomplete (select2) fields.

    select2 names its combobox after the current choice, not the field label, so the widget is
    found next to the field's own (hidden) ``<select id=field_id>``.
    """
    page.locator(f"#{field_id} + .select2 [role=combobox]").click()
    page.keyboard.type(search)  # select2 focuses its search box when it opens
    page.get_by_role("option", name=option, exact=True).click()


def test_staff_adds_a_product_and_ships_an_order(new_context, live_server, seeded_shop, tmp_path):
    staff = new_context().new_page()
    admin_login(staff, live_server)

    # A new product with a picture and one variant (the add form has both inlines).
    picture = tmp_path / "lantern.png"
    picture.write_bytes(png_bytes((800, 600), color="#c27c0e"))
    staff.goto("/admin/catalog/product/add/")
    staff.get_by_label(re.compile(r"^Name:?$")).press_sequentially("Forest Lantern")
    expect(staff.get_by_label("Slug")).to_have_value("forest-lantern")  # admin's prepopulate JS
    staff.get_by_label("Series").select_option(label="Trail")
    choose_autocomplete(staff, "id_category", "Out", "Outdoor")
    staff.get_by_label("Short description").fill("A warm light for the tent.")
    staff.get_by_role("spinbutton", name=re.compile(r"^Price:?$")).fill("24.50")
    # Tabular inlines label their inputs by column header only: reach them by field name.
    staff.locator("input[name='variants-0-sku']").fill("fl-001")
    staff.locator("input[name='variants-0-stock']").fill("7")
    staff.locator("input[name='images-0-image']").set_input_files(picture)
    staff.locator("input[name='images-0-alt_text']").fill("A lantern glowing amber")
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.get_by_text(re.compile("Forest Lantern.* was added successfully"))).to_be_visible()
    thumbnail = staff.get_by_role("row").filter(has_text="Forest Lantern").locator("img")
    expect(thumbnail).to_be_visible()  # the list shows the thumbnail made from the upload
    assert thumbnail.evaluate(LOADED_WIDTH) > 0

    # It is in the shop, with its picture, and search finds it.
    shopper = new_context().new_page()
    shopper.goto("/")
    shopper.get_by_label("Search products").fill("lantern")
    shopper.get_by_role("button", name="Search", exact=True).click()
    expect(shopper.get_by_role("status").filter(has_text="product")).to_have_text("1 product")
    shopper.get_by_role("link", name="Forest Lantern").click()
    expect(shopper.get_by_role("heading", name="Forest Lantern", level=1)).to_be_visible()
    expect(shopper.get_by_text("In stock", exact=True)).to_be_visible()
    picture_on_page = shopper.get_by_role("img", name="A lantern glowing amber")
    expect(picture_on_page).to_be_visible()
    assert picture_on_page.evaluate(LOADED_WIDTH) > 0
    expect(shopper.get_by_role("definition").filter(has_text="FL-001")).to_be_visible()

    # An order ready to go out (cash on delivery, packed) is shipped with carrier and tracking.
    cart = make_cart((seeded_shop.bottle.variants.get(), 2))
    order = place(cart, seeded_shop.standard, payment="cod")
    services.mark_packed(order=order)
    staff.goto("/admin/orders/order/")
    staff.get_by_role("row").filter(has_text=order.number).get_by_role("checkbox").check()
    staff.get_by_role("combobox", name=re.compile("^Action")).select_option(
        label="Mark shipped (asks carrier and tracking number)"
    )
    staff.get_by_role("button", name="Go", exact=True).click()
    expect(staff.get_by_role("heading", name="Mark orders shipped")).to_be_visible()
    staff.get_by_label("Carrier").select_option("DHL")
    staff.get_by_label("Tracking number").fill("00340434161234567890")
    staff.get_by_role("button", name="Mark shipped").click()
    expect(staff.get_by_text(f"{order.number} marked shipped.")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    customer = order.email
    shipped_mail = read_outbox(to=customer, subject=f"{order.number} is on its way")
    assert shipped_mail, "no shipping e-mail"
    assert "00340434161234567890" in shipped_mail[0].body
    inquire(shopper, live_server, number=order.number, email=customer)
    shipping = shopper.get_by_role("definition").filter(has_text="shipped on")
    expect(shipping).to_contain_text(re.compile(r"shipped on \d{1,2} \w+ \d{4}"))
    expect(shipping).to_contain_text("DHL")
    expect(shipping.get_by_role("link", name="00340434161234567890")).to_be_visible()


def test_the_order_pages_next_steps_are_big_enough_to_tap_on_a_phone(
    new_context, live_server, seeded_shop
):
    """The "Next step" buttons were 19 px tall and 4 px apart at 390 px wide: below the 24 px
    of WCAG 2.5.8, with "Cancel…" a slip of the thumb from "Mark packed"."""
    order = place(make_cart((seeded_shop.bottle.variants.get(), 1)), seeded_shop.standard)
    staff = new_context(viewport={"width": 390, "height": 844}).new_page()
    admin_login(staff, live_server)
    staff.goto(f"/admin/orders/order/{order.pk}/change/")
    buttons = staff.locator("form.next-steps button")
    expect(buttons).to_have_text(["Mark paid", "Mark packed", "Cancel…"])
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    assert all(box["height"] >= 32 for box in boxes), boxes
    for left, right in zip(boxes, boxes[1:], strict=False):
        same_line = abs(left["y"] - right["y"]) < 1
        gap = right["x"] - (left["x"] + left["width"]) if same_line else right["y"] - left["y"]
        assert gap >= 8, (left, right)
    assert staff.evaluate("document.documentElement.scrollWidth") <= 390
