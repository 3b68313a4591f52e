"""The shop on a phone: a touch screen, a narrow viewport and a thumb instead of a mouse.

Each test opens the shop as a phone does (360 px wide, device scale factor 2, touch, a mobile
user agent) and checks something a first-time shopper ran into on a real phone.
"""

import pytest

from tests.e2e.helpers import confirmation_number, fill_address, fill_contact

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
}
# A thumb needs a target about this tall (Apple's and Google's guidance: 44 pt / 48 dp).
TAP_HEIGHT = 44


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE).new_page()


def target_heights(page, selector: str) -> dict[str, float]:
    """The height of every visible element matching ``selector``, by its text."""
    return page.eval_on_selector_all(
        selector,
        """els => Object.fromEntries(els.filter(el => el.getClientRects().length).map(el =>
            [el.innerText.replace(/\\s+/g, ' ').trim(), el.getBoundingClientRect().height]))""",
    )


def too_small(heights: dict[str, float]) -> dict[str, float]:
    return {name: round(h) for name, h in heights.items() if h < TAP_HEIGHT - 0.5}


def test_header_and_menu_links_are_big_enough_for_a_thumb(phone, seeded_shop):
    phone.goto("/")
    account = target_heights(phone, ".account-nav a, .account-nav button")
    assert {"Sign in", "Register"} <= set(account)
    assert not too_small(account), account
    menu = target_heights(phone, ".main-nav a")
    assert {"Trail", "Home", "All products"} <= set(menu)
    assert not too_small(menu), menu


def test_footer_links_are_big_enough_for_a_thumb(phone, seeded_shop):
    phone.goto("/")
    footer = target_heights(phone, ".footer-grid li a")
    assert {"Shopping guide", "Returns and exchanges", "Where is my order?"} <= set(footer)
    assert not too_small(footer), footer


def test_a_series_link_in_the_footer_keeps_the_space_before_series(phone, seeded_shop):
    """The links are flex boxes (a thumb's height): the space after the series' <bdi> started
    the next flex item and was dropped, "Trailseries"."""
    phone.goto("/")
    name = seeded_shop.series.trail.name
    link = phone.locator(".site-footer").get_by_role("link", name=f"{name} series")
    assert link.inner_text() == f"{name} series"


def test_the_folded_filters_open_with_a_thumb(phone, seeded_shop):
    phone.goto(seeded_shop.categories.outdoor.get_absolute_url())
    toggle = phone.locator(".filters summary")
    assert toggle.bounding_box()["height"] >= TAP_HEIGHT
    apply = phone.get_by_role("button", name="Apply")
    assert not apply.is_visible()  # folded away on a phone, products first
    toggle.tap()
    assert apply.is_visible()
    clear = target_heights(phone, ".filters .actions a")
    assert "Clear filters" in clear
    assert not too_small(clear), clear


@pytest.mark.parametrize("path", ["/service/returns/", "/service/contact/"])
def test_service_pages_open_with_their_text_not_the_menu(new_context, seeded_shop, path):
    phone = new_context(**PHONE).new_page()
    phone.goto(path)
    heading = phone.get_by_role("heading", level=1).bounding_box()
    assert heading["y"] + heading["height"] < PHONE["viewport"]["height"] * 0.6, heading
    menu = phone.get_by_role("navigation", name="Customer service").bounding_box()
    assert menu["y"] > heading["y"]  # the menu follows the page on a phone
    desktop = new_context().new_page()
    desktop.goto(path)
    menu = desktop.get_by_role("navigation", name="Customer service").bounding_box()
    heading = desktop.get_by_role("heading", level=1).bounding_box()
    assert menu["x"] + menu["width"] <= heading["x"]  # and sits on the left on a wide screen
    assert abs(menu["y"] - heading["y"]) < 40


def test_search_suggestions_use_the_width_of_the_search_form(phone, seeded_shop):
    phone.goto("/")
    phone.get_by_label("Search products").tap()
    phone.keyboard.type("alpine", delay=30)
    listbox = phone.get_by_role("listbox", name="Suggestions")
    option = listbox.get_by_role("option").filter(has_text="Alpine Backpack")
    option.wait_for()
    form = phone.get_by_role("search").bounding_box()
    box = listbox.bounding_box()
    assert box["width"] >= form["width"] - 1, (box, form)
    assert option.bounding_box()["height"] < 60  # the name fits a line or two, not three


def test_cart_lines_keep_the_sku_on_one_line_and_details_in_plain_text(phone, seeded_shop):
    phone.goto(seeded_shop.backpack.get_absolute_url())
    phone.get_by_text("Green / M").tap()
    phone.get_by_role("button", name="Add to cart").tap()
    phone.get_by_role("heading", name="Your cart").wait_for()
    item = phone.get_by_role("rowheader").filter(has_text="Alpine Backpack")
    sku = item.get_by_text("AB-GRN-M")
    assert sku.evaluate("el => el.getClientRects().length") == 1  # not "AB- / GRN-M"
    assert sku.evaluate("el => getComputedStyle(el).fontWeight") == "400"


def test_a_long_sku_wraps_rather_than_pushing_the_item_tables_off_the_screen(phone, seeded_shop):
    """A SKU stays on one line while it fits one (above); a longer one (the field takes 64
    characters) wraps. Kept on one line at any length, from about 24 characters it widened the
    cart's and the order's item table past a 360 px screen: quantity, totals and the remove
    button were out of sight."""
    variant = seeded_shop.bottle.variants.get()
    variant.sku = "TRAILHEAD-INSULATED-BOTTLE-750ML-STAINLESS"
    variant.save()

    def table_right() -> float:
        return phone.eval_on_selector("table", "t => t.getBoundingClientRect().right")

    phone.goto(seeded_shop.bottle.get_absolute_url())
    phone.get_by_role("button", name="Add to cart").tap()
    phone.get_by_role("heading", name="Your cart").wait_for()
    assert table_right() <= PHONE["viewport"]["width"]
    phone.goto("/checkout/")
    fill_contact(phone)
    fill_address(phone)
    phone.get_by_role("radio", name="Cash on delivery").check()
    phone.get_by_role("button", name="Review your order").tap()
    phone.get_by_role("button", name="Buy now").tap()
    confirmation_number(phone)
    assert table_right() <= PHONE["viewport"]["width"]


def test_a_button_label_that_wraps_on_a_phone_stays_centred(phone, seeded_shop):
    phone.goto(seeded_shop.series.trail.get_absolute_url())
    choose = phone.get_by_role("link", name="Choose options").first
    lines = choose.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return Array.from(r.getClientRects(), b => [b.left, b.right]); }"
    )
    box = choose.bounding_box()
    assert len(lines) == 2, lines  # "Choose / options" on a 360 px card
    for left, right in lines:
        assert abs((left - box["x"]) - (box["x"] + box["width"] - right)) < 2, (lines, box)


def test_the_search_fields_focus_ring_is_not_hidden_under_the_button(phone, seeded_shop):
    phone.goto("/")
    field = phone.get_by_label("Search products")
    field.focus()
    box = field.bounding_box()
    # the point just right of the field, on its focus ring, shows the field, not the button
    on_ring = phone.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('input, button').tagName",
        [box["x"] + box["width"] + 2, box["y"] + box["height"] / 2],
    )
    outline = field.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    assert on_ring == "BUTTON"  # the ring overlaps the button ...
    stacked = field.evaluate(
        "el => Number(getComputedStyle(el).zIndex) > 0"
        " && getComputedStyle(el).position !== 'static'"
    )
    assert stacked  # ... and is painted above it


def test_breadcrumb_links_are_tall_enough_to_tap_without_moving_the_page(phone, seeded_shop):
    phone.goto(seeded_shop.backpack.get_absolute_url())
    trail = phone.get_by_role("navigation", name="Breadcrumb")
    links = target_heights(phone, ".breadcrumb a")
    assert {"Home", "Outdoor", "Backpacks"} <= set(links)
    assert not too_small(links), links
    assert trail.bounding_box()["height"] < 60  # one line of text as before, not three 44 px rows


def test_popular_search_links_are_tall_enough_to_tap(phone, seeded_shop):
    from django.core.cache import cache
    from django.utils import timezone

    from core.pagecache import forget_worker_copies
    from search.models import SearchCount

    for query in ("backpack", "mug"):
        SearchCount.objects.create(query=query, day=timezone.localdate(), count=5, results=1)
    cache.clear()
    forget_worker_copies()
    phone.goto("/")
    nav = phone.get_by_role("navigation", name="Popular searches")
    links = target_heights(phone, ".hot-searches a")
    assert set(links) == {"backpack", "mug"}
    assert not too_small(links), links
    assert nav.bounding_box()["height"] < 60  # still one line of text


def test_forgot_your_password_is_tall_enough_to_tap_and_apart_from_the_field(phone, seeded_shop):
    """Phone pass: "Forgot your password?" was a 20 px line right under the password field."""
    phone.goto("/accounts/login/")
    links = target_heights(phone, ".field .help a")
    assert set(links) == {"Forgot your password?"}
    assert not too_small(links), links
    field = phone.locator("#id_password").bounding_box()
    link = phone.get_by_role("link", name="Forgot your password?").bounding_box()
    assert link["y"] >= field["y"] + field["height"]  # below the field, not over it


def test_the_shops_e_mails_are_laid_out_for_the_phones_width(
    phone, seeded_shop, django_capture_on_commit_callbacks
):
    """Without a viewport, a phone laid each e-mail out 980 px wide and shrank it: the order
    confirmation's text and amounts were a third of their size."""
    from django.core import mail

    from guestbook.services import post_entry, reply_to_entry
    from orders import services
    from tests.orders.helpers import ADDRESS, make_cart

    with django_capture_on_commit_callbacks(execute=True):
        services.place_order(
            cart=make_cart((seeded_shop.bottle.variants.get(), 1)),
            contact=services.Contact(email="greta@example.com", phone="+49 30 1234567"),
            address=ADDRESS,
            shipping_method_id=seeded_shop.standard.pk,
            payment_code="bank_transfer",
            idempotency_key="phone-mail",
        )
        entry = post_entry(name="Greta", email="greta@example.com", message="Hi", site_url="")
        reply_to_entry(entry=entry, reply="Hello Greta", staff_user=seeded_shop.staff)
    assert len(mail.outbox) == 4  # confirmation, staff notice, guestbook notice and answer
    for sent in mail.outbox:
        phone.set_content(next(body for body, kind in sent.alternatives if kind == "text/html"))
        assert phone.evaluate("window.innerWidth") == PHONE["viewport"]["width"], sent.subject
