"""Long words (German compounds, surnames, pasted links) never push a page sideways on a phone."""

from decimal import Decimal

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


LONG_SERIES = "Single Origin Tea Collection from the High Mountains of Yunnan Province"
LONG_EMAIL = ("a" * 64) + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".com"  # 254


def test_a_long_series_or_subcategory_name_wraps_in_the_menu_on_a_phone(page, seeded_shop):
    """The menu bar kept each entry on one line: a long series name pushed every page 220 px
    sideways on a phone. So did a long subcategory's chip on its parent's page."""
    from django.core.cache import cache

    from catalog.models import Category
    from catalog.selectors import bump_catalog_version

    seeded_shop.series.trail.name = LONG_SERIES
    seeded_shop.series.trail.save()
    Category.objects.create(
        name=LONG_NAME, slug="long-child", parent=seeded_shop.categories.outdoor
    )
    bump_catalog_version()
    cache.clear()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    expect(page.get_by_role("navigation", name="Main").get_by_text(LONG_SERIES)).to_be_visible()
    fits(page)
    page.goto(seeded_shop.categories.outdoor.get_absolute_url())
    expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
    fits(page)


def test_a_254_character_email_address_wraps_on_the_account_and_admin_pages(
    new_context, seeded_shop, live_server
):
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from orders import services
    from tests.e2e.helpers import admin_login
    from tests.orders.helpers import ADDRESS, make_cart

    user = User.objects.create_user(email=LONG_EMAIL, password="long-address-2026")
    EmailAddress.objects.create(user=user, email=LONG_EMAIL, verified=True, primary=True)
    seeded_shop.bottle.variants.update(sku="BOTTLE-" + "X" * 57)  # 64 characters, the most
    order = services.place_order(
        cart=make_cart((seeded_shop.bottle.variants.get(), 1)),
        contact=services.Contact(email=LONG_EMAIL, phone="+49 30 1234567"),
        address=ADDRESS,
        shipping_method_id=seeded_shop.standard.pk,
        payment_code="cod",
        idempotency_key="long-email-order",
    )

    page = new_context(viewport={"width": 375, "height": 800}).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(LONG_EMAIL)
    page.get_by_label("Password").fill("long-address-2026")
    page.locator("main form button[type=submit]").first.click()
    page.goto("/accounts/email/")
    expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
    fits(page)

    staff = new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin_login(staff, live_server)
    staff.goto(f"/admin/orders/order/{order.pk}/change/")
    expect(staff.get_by_text(LONG_EMAIL).first).to_be_visible()
    assert horizontal_overflow(staff) == 0
    # the packing slip, read on a phone in the stock room: the SKU wraps in its column
    staff.set_viewport_size({"width": 375, "height": 800})
    staff.goto(f"/admin/orders/order/{order.pk}/packing-slip/")
    expect(staff.get_by_role("heading", name=f"Packing slip {order.number}")).to_be_visible()
    assert horizontal_overflow(staff) == 0


def test_a_long_name_keeps_room_beside_a_big_total_in_the_order_tables_on_a_phone(
    page, seeded_shop
):
    """Price, quantity and a total of €99,899,990.01 never wrap: on a phone they left a long
    name a column 70 px wide, one syllable per line. The unit price moves under the name."""
    bottle = seeded_shop.bottle
    bottle.name = "Ultralight Waterproof Breathable Three-Layer Expedition Rain Jacket with Hood"
    bottle.price = Decimal("99999.99")
    bottle.save()
    bottle.variants.update(stock=1000)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(bottle.get_absolute_url())
    page.get_by_label("Quantity").fill("999")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout/")
    fill_contact(page)
    fill_address(page)
    page.get_by_role("radio", name="Cash on delivery").check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()

    def item_column_share() -> float:
        # 0.19 before the fix (70 px of 375); 0.44-0.5 after, depending on the fonts the
        # machine has for "system-ui" (DejaVu Sans is wide): the bound leaves room for fonts
        return page.evaluate(
            "() => { const t = document.querySelector('main table');"
            " return t.querySelector('tbody th').getBoundingClientRect().width"
            " / t.getBoundingClientRect().width; }"
        )

    assert item_column_share() > 0.4
    expect(page.get_by_text("€99,999.99 each")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Buy now").click()
    confirmation_number(page)
    assert item_column_share() > 0.4
    fits(page)


def test_the_order_e_mail_keeps_its_amounts_on_a_phones_screen(
    new_context, seeded_shop, django_capture_on_commit_callbacks
):
    """An unbroken 140-letter name made the e-mail's table as wide as the name: on a phone
    the amounts were off the screen."""
    from django.core import mail

    from orders import services
    from tests.orders.helpers import ADDRESS, make_cart

    bottle = seeded_shop.bottle
    bottle.name = LONG_NAME * 2
    bottle.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.place_order(
            cart=make_cart((bottle.variants.get(), 1)),
            contact=services.Contact(email=LONG_EMAIL, phone="+49 30 1234567"),
            address=ADDRESS,
            shipping_method_id=seeded_shop.standard.pk,
            payment_code="cod",
            idempotency_key="long-name-mail",
        )
    # the customer's confirmation, and the staff's notice (with the 254-character address)
    assert len(mail.outbox) == 2
    page = new_context(viewport={"width": 375, "height": 800}).new_page()
    for sent in mail.outbox:
        page.set_content(next(body for body, kind in sent.alternatives if kind == "text/html"))
        assert horizontal_overflow(page) == 0, sent.subject
        assert page.get_by_text("Total", exact=True).is_visible()


def test_guestbook_and_contact_e_mails_wrap_a_long_word_on_a_phone(
    new_context, seeded_shop, django_capture_on_commit_callbacks
):
    """A 2,000-letter word on the guestbook made staff's notice 22,000 px wide on a phone; the
    customer service message with a 254-character address, 1,500 px."""
    from django.core import mail

    from guestbook.services import post_entry, reply_to_entry
    from service.services import send_contact_message

    word = LONG_NAME * 20
    with django_capture_on_commit_callbacks(execute=True):
        entry = post_entry(name="Greta", email=LONG_EMAIL, message=word[:2000], site_url="")
        reply_to_entry(entry=entry, reply=word[:2000], staff_user=seeded_shop.staff)
        send_contact_message(
            name="Greta",
            email=LONG_EMAIL,
            topic="other",
            order_number="",
            message=word[:3000],
            site_url="",
        )
    assert len(mail.outbox) == 3  # staff's notice, the author's reply, the contact message
    page = new_context(viewport={"width": 375, "height": 800}).new_page()
    for sent in mail.outbox:
        page.set_content(next(body for body, kind in sent.alternatives if kind == "text/html"))
        assert horizontal_overflow(page) == 0, sent.subject
