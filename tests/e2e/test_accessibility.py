"""Every page of the shop through axe-core, with screenshots at phone and desktop width.

Each page must have no axe violation (of any impact, at 390 and 1366 px), no sideways
scrolling at 375 px and no broken picture. The screenshots land in ``screenshots/`` for a
person to look at. Then what axe cannot see: focus, reflow, text size, the page without its
script.
"""

import json
import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Address, User
from tests.e2e.helpers import (
    GUEST,
    axe_check,
    broken_images,
    confirmation_number,
    describe_violations,
    expect,
    fill_address,
    fill_contact,
    focus_outline,
    horizontal_overflow,
    inquire,
    said,
    screenshot,
)
from tests.orders.helpers import make_cart, place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_WIDTHS = (390, 1366)  # a phone and a laptop


class PageAudit:
    """Checks the page a test is on and remembers every problem, to report them all at once."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []

    def __call__(self, name: str) -> None:
        page = self.page
        before = page.viewport_size
        for width in AXE_WIDTHS:  # a phone's layout has other things to get wrong
            page.set_viewport_size({"width": width, "height": 900})
            # every impact: a moderate one (two landmarks of one name) is a real problem too
            violations = axe_check(page, impacts=("minor", "moderate", "serious", "critical"))
            if violations:
                self.problems.append(
                    f"{name} at {width} px ({page.url}): axe\n{describe_violations(violations)}"
                )
        page.set_viewport_size(before)
        broken = broken_images(page)
        if broken:
            self.problems.append(f"{name}: broken pictures {broken}")
        for width, shot in screenshot(page, name).items():
            if shot["overflow"] > 0:
                self.problems.append(f"{name}: {shot['overflow']}px wider than a {width}px screen")

    def assert_clean(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


def audit_pages(page, pages) -> PageAudit:
    """Open each ``(name, url)`` and audit it."""
    audit = PageAudit(page)
    for name, url in pages:
        page.goto(url)
        audit(name)
    return audit


def test_catalog_pages(axe_page, console, seeded_shop):
    page = axe_page
    audit = audit_pages(
        page,
        [
            ("home", "/"),
            ("series", seeded_shop.series.trail.get_absolute_url()),
            ("category", seeded_shop.categories.outdoor.get_absolute_url()),
            ("all-products", "/products/"),
            ("product", seeded_shop.backpack.get_absolute_url()),
            ("product-sale", seeded_shop.towel.get_absolute_url()),
            ("product-sold-out", seeded_shop.board.get_absolute_url()),
            ("search-results", "/search/?q=mug"),
            ("search-nothing-found", "/search/?q=zebra"),
            ("search-typo", "/search/?q=backpak"),
            ("search-filtered", "/search/?q=backpack&in_stock=on&sort=price"),
            ("search-empty", "/search/"),
            (
                "category-filtered",
                f"{seeded_shop.categories.kitchen.get_absolute_url()}"
                "?min_price=5&max_price=40&in_stock=on&sort=name",
            ),
            (
                "category-filter-error",
                f"{seeded_shop.categories.kitchen.get_absolute_url()}?min_price=40&max_price=5",
            ),
            ("series-filtered", f"{seeded_shop.series.home.get_absolute_url()}?in_stock=on"),
            ("cart-empty", "/cart/"),
        ],
    )
    # the header's suggestions, open, one chosen with the arrow keys
    page.goto("/")
    page.get_by_label("Search products").press_sequentially("alp", delay=30)
    expect(page.get_by_role("option", name=re.compile("Alpine Backpack"))).to_be_visible()
    page.keyboard.press("ArrowDown")
    audit("suggestions-open")
    console.allow(r"status of 404 .*\[.*/no-such-page/\]")
    response = page.goto("/no-such-page/")
    assert response.status == 404
    audit("404")
    audit.assert_clean()


def test_service_and_account_pages(axe_page, seeded_shop):
    page = axe_page
    audit = audit_pages(
        page,
        [
            ("service", "/service/"),
            ("service-guide", "/service/guide/"),
            ("service-commitments", "/service/commitments/"),
            ("service-returns", "/service/returns/"),
            ("service-payment", "/service/payment/"),
            ("service-delivery", "/service/delivery/"),
            ("service-legal", "/service/legal/"),
            ("service-privacy", "/service/privacy/"),
            ("inquiry-form", "/orders/inquiry/"),
            ("sign-in", "/accounts/login/"),
            ("sign-up", "/accounts/signup/"),
            ("password-reset", "/accounts/password/reset/"),
        ],
    )
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile("not correct|incorrect", re.I))).to_be_visible()
    audit("sign-in-error")

    page.goto("/orders/inquiry/")
    with page.expect_navigation():  # the form posts (novalidate): audit the answer, not the
        page.get_by_role("button", name="Find my order").click()  # page being replaced
    audit("inquiry-form-errors")

    page.goto("/accounts/signup/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill("new.member@example.com")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("different")
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit("sign-up-errors")
    page.goto("/accounts/password/reset/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill("not-an-address")
    page.locator("main form").evaluate("form => { form.noValidate = true; }")  # the server's
    page.get_by_role("main").get_by_role("button").click()
    expect(page.get_by_text(re.compile("valid e-mail", re.I))).to_be_visible()
    audit("password-reset-errors")

    page.goto("/service/contact/")
    audit("contact")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("alert").filter(has_text="Please correct")).to_be_visible()
    audit("contact-errors")

    page.goto("/guestbook/")
    audit("guestbook")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("alert").filter(has_text="Please correct")).to_be_visible()
    audit("guestbook-errors")

    audit.assert_clean()


def test_too_many_requests_page(axe_page, console, seeded_shop, monkeypatch):
    monkeypatch.setattr("core.decorators.allow", lambda **kwargs: False)
    console.allow(r"status of 429")
    audit = PageAudit(axe_page)
    response = axe_page.goto("/search/?q=mug")
    assert response.status == 429
    expect(axe_page.get_by_role("heading", name="Too many requests", level=1)).to_be_visible()
    assert axe_page.title().startswith("Too many requests")
    audit("429")
    audit.assert_clean()


def test_cart_checkout_and_order_pages(axe_page, live_server, seeded_shop):
    page, audit = axe_page, PageAudit(axe_page)
    page.goto(seeded_shop.backpack.get_absolute_url())
    page.get_by_role("radio", name="Green / M").check()  # several options: the shopper chooses
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.goto(seeded_shop.towel.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    audit("cart")
    page.get_by_label("Quantity of Meadow Tea Towel").fill("999")  # 15 in stock
    page.get_by_role("row").filter(has_text="Meadow Tea Towel").get_by_role(
        "button", name="Update"
    ).click()
    expect(page.get_by_role("region", name="Messages")).to_contain_text("Only 15 of Meadow")
    towels = page.get_by_label("Quantity of Meadow Tea Towel")
    expect(towels).to_have_attribute("aria-invalid", "true")
    expect(towels).to_have_accessible_description(re.compile("^Only 15 of Meadow Tea Towel"))
    audit("cart-quantity-error")
    page.get_by_role("link", name="Empty cart").click()  # asks first
    expect(page.get_by_role("heading", name="Empty your cart?")).to_be_visible()
    audit("cart-empty-confirm")
    page.get_by_role("link", name="Keep my cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("button", name="Review your order")).to_be_visible()
    audit("checkout-details")
    # Sent empty but for a broken e-mail address: errors in every section but delivery (the
    # cheapest method is preselected), one summary on top.
    fill_contact(page, email="not-an-address", phone="")
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 7 fields")
    audit("checkout-details-errors")
    fill_contact(page)
    fill_address(page)
    page.get_by_role("radio", name=re.compile("^Standard")).check()
    page.get_by_role("radio", name=re.compile("^Bank transfer")).check()
    page.get_by_role("button", name="Review your order").click()
    audit("checkout-review")
    # the backpack sells out between the review and "Buy now": back to the cart, told why
    seeded_shop.backpack.variants.filter(sku="AB-GRN-M").update(stock=0)
    page.get_by_role("button", name="Buy now").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    audit("buy-now-sold-out")
    page.get_by_role("button", name="Remove Alpine Backpack").click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name="Buy now").click()
    number = confirmation_number(page)
    audit("confirmation")

    inquire(page, live_server, number=number, email=GUEST["email"])
    expect(page.get_by_text("not yet paid", exact=True)).to_be_visible()
    audit("inquiry-result")

    # The mug sells out while it is in the cart: the cart flags the line.
    page.goto(seeded_shop.mug.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    seeded_shop.mug.variants.update(stock=0)
    page.goto("/cart/")
    audit("cart-with-problem")

    audit.assert_clean()


def test_member_pages(axe_page, seeded_shop):
    member = User.objects.create_user("mira.member@example.com", "correct-horse-battery-9")
    Address.objects.create(
        user=member,
        full_name="Mira Member",
        line1="Bergstr. 7",
        postcode="80331",
        city="München",
        is_default=True,
    )
    order = place(
        make_cart((seeded_shop.bottle.variants.get(), 1), user=member),
        seeded_shop.standard,
        user=member,
    )
    page, audit = axe_page, PageAudit(axe_page)

    def sign_in():
        page.goto("/accounts/login/")
        page.get_by_label(re.compile("e-?mail", re.I)).fill(member.email)
        page.get_by_label("Password").fill("correct-horse-battery-9")
        page.get_by_role("button", name="Sign in").click()

    # E-mail verification is mandatory: the first sign-in asks for it.
    sign_in()
    expect(page.get_by_role("heading", name="Confirm your e-mail address")).to_be_visible()
    audit("verify-email")
    EmailAddress.objects.update_or_create(
        user=member, email=member.email, defaults={"verified": True, "primary": True}
    )
    sign_in()
    expect(page.get_by_role("link", name="My orders")).to_be_visible()
    audit("member-home")

    page.get_by_role("link", name="My orders").click()
    audit("my-orders")
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    audit("my-order")

    page.get_by_role("navigation", name="Account").get_by_role("link", name="Account").click()
    audit("account-email")
    page.goto("/accounts/password/change/")
    audit("account-password")

    # the address book, reached through the account pages' own navigation
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Addresses", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Addresses")).to_be_visible()
    audit("addresses")
    page.get_by_role("link", name="Add an address").click()
    page.get_by_role("button", name=re.compile("Save")).click()  # empty: errors, nothing saved
    expect(page.get_by_text("Please correct")).to_be_visible()
    audit("address-form-errors")
    page.get_by_label("Full name").fill("Mira Member (Büro)")
    page.get_by_label("Street and number").fill("Leopoldstr. 250")
    page.get_by_label("Postcode").fill("80807")
    page.get_by_label("City").fill("München")
    page.get_by_label("Use as my default address").check()
    page.get_by_role("button", name=re.compile("Save")).click()
    said(page, "Address saved.")
    assert Address.objects.get(user=member, is_default=True).line1 == "Leopoldstr. 250"
    page.get_by_role("link", name=re.compile("^Delete.*Bergstr")).click()
    audit("address-delete")
    page.get_by_role("button", name=re.compile("Delete")).click()
    said(page, "Address deleted.")
    assert list(Address.objects.filter(user=member).values_list("line1", flat=True)) == [
        "Leopoldstr. 250"
    ]

    page.goto(seeded_shop.towel.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("group", name="Saved addresses")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Leopoldstr. 250"))).to_be_checked()
    expect(page.get_by_label("E-mail")).to_have_value(member.email)
    audit("checkout-details-member")
    # One POST with the preselected saved address: the phone and payment are all there is to do.
    page.get_by_label("Phone").fill("+49 89 1234567")
    page.get_by_role("radio", name=re.compile("^Cash on delivery")).check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Check and place your order")).to_be_visible()
    expect(page.get_by_text(re.compile("Leopoldstr. 250, 80807 München"))).to_be_visible()
    audit("checkout-review-member")

    # Your data: download it, then close the account (the password is asked for again)
    page.goto("/accounts/addresses/")
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Your data"
    ).click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    audit("your-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert [o["number"] for o in data["orders"]] == [order.number]
    page.get_by_role("link", name=re.compile("Close your account")).click()
    expect(page.get_by_role("heading", name="Close your account?")).to_be_visible()
    audit("close-account")
    page.get_by_role("button", name="Close my account").click()
    page.get_by_label("Password").fill("correct-horse-battery-9")
    audit("close-account-password")
    expect(page.get_by_role("alert")).to_contain_text("closes your account")
    page.get_by_role("button", name="Close my account").click()
    said(page, "Your account is closed.")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not User.objects.filter(email=member.email).exists()

    audit.assert_clean()


def test_pages_without_the_script_have_no_aria_errors(new_context, console, seeded_shop):
    """The script only enhances: without it (blocked, failed to load, or not yet run) the markup
    alone must be valid. The header's search box said aria-expanded, which only a combobox may
    say; the script made it one, so without the script axe found a critical error on every page.
    """
    page = new_context(bypass_csp=True).new_page()
    page.route("**/js/shop.js", lambda route: route.abort())
    console.allow(r"Failed to load resource.*shop\.js")
    audit = PageAudit(page)
    for name, url in [
        ("no-js-home", "/"),
        ("no-js-category", seeded_shop.categories.outdoor.get_absolute_url()),
        ("no-js-product", seeded_shop.backpack.get_absolute_url()),
        ("no-js-search", "/search/?q=mug"),
    ]:
        page.goto(url)
        expect(page.get_by_role("searchbox", name="Search products")).to_be_visible()
        audit(name)
    audit.assert_clean()


def contrast(one: str, two: str) -> float:
    """WCAG contrast ratio of two ``rgb(r, g, b)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


RING_AND_BACKGROUND = """el => {
    let node = el.parentElement, bg = 'rgba(0, 0, 0, 0)';
    while (node && /rgba\\(.*, 0\\)|transparent/.test(bg)) {
      bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
    }
    return [getComputedStyle(el).outlineColor, bg];
}"""


def test_the_focus_ring_stands_out_from_what_is_around_it(page, seeded_shop):
    """WCAG 1.4.11: the focus indicator needs 3:1 against the colours next to it. The blue ring
    was 2.4:1 on the dark footer, where every page's last dozen keyboard stops are."""
    page.goto("/")
    page.get_by_label("Search products").focus()
    page.keyboard.press("Tab")  # a key press: the browser shows :focus-visible from here on
    for where, locator in [
        ("header", page.get_by_role("navigation", name="Account").get_by_role("link").first),
        ("menu", page.get_by_role("navigation", name="Main").get_by_role("link").first),
        ("page", page.get_by_role("main").get_by_role("link").first),
        ("footer", page.get_by_role("contentinfo").get_by_role("link", name="Shopping guide")),
        ("footer", page.get_by_role("contentinfo").get_by_role("link", name="Privacy")),
    ]:
        locator.focus()
        assert focus_outline(page)["visible"], where
        ring, background = locator.evaluate(RING_AND_BACKGROUND)
        assert contrast(ring, background) >= 3, (where, ring, background)


def test_pages_reflow_at_320_px_without_sideways_scrolling(new_context, seeded_shop):
    """WCAG 1.4.10: 320 CSS px wide (a 1280 px screen at 400% zoom), nothing scrolls sideways but
    a data table inside its own scroll box. The service pages' grid was as wide as the delivery
    fees table, 15 px more than the screen."""
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(seeded_shop.bottle.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    wider = {}
    for url in [
        "/",
        seeded_shop.categories.outdoor.get_absolute_url(),
        seeded_shop.towel.get_absolute_url(),
        "/search/?q=mugg",
        "/cart/",
        "/checkout/",
        "/orders/inquiry/",
        "/guestbook/",
        "/service/",
        "/service/delivery/",
        "/service/payment/",
        "/service/contact/",
        "/accounts/signup/",
    ]:
        page.goto(url)
        if overflow := horizontal_overflow(page):
            wider[url] = overflow
    assert not wider, wider


def test_text_at_twice_the_size_keeps_the_cart_and_checkout_readable(page, seeded_shop):
    """WCAG 1.4.4: text at 200% by the browser's font-size setting (not zoom: the screen stays
    1280 px wide). The layouts switched at fixed pixel widths, so the cart kept four columns
    and a 340 px summary beside them: product names stood one letter per line, the totals
    column was cut off and the sums broke mid-number. The breakpoints are in em now, so big
    text gets the narrow layouts."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.goto(seeded_shop.backpack.get_absolute_url())
    page.get_by_role("radio", name="Green / M").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "32px"

    def lines(locator) -> int:
        return locator.evaluate(
            "el => Math.round(el.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(el).lineHeight))"
        )

    name = page.get_by_role("rowheader").get_by_role("link", name="Alpine Backpack")
    assert lines(name) <= 2
    table_wrap = page.locator(".table-wrap")
    assert table_wrap.evaluate("el => el.scrollWidth <= el.clientWidth")  # no column cut off
    for total in page.locator(".totals dd").all():
        assert lines(total) == 1, total.inner_text()  # "€" / "98" / ".00" before
    assert horizontal_overflow(page) == 0

    page.get_by_role("link", name="Checkout").click()
    for total in page.locator(".totals dd").all():
        assert lines(total) == 1, total.inner_text()
    assert horizontal_overflow(page) == 0


def test_no_motion_for_who_asks_for_less(new_context, seeded_shop):
    page = new_context(reduced_motion="reduce").new_page()
    page.goto("/")
    moving = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(el => {"
        " const s = getComputedStyle(el);"
        " return s.transitionDuration.split(',').some(d => parseFloat(d) > 0)"
        " || s.animationName !== 'none'; }).map(el => el.tagName + '.' + el.className)"
    )
    assert moving == []
    assert page.evaluate("() => getComputedStyle(document.documentElement).scrollBehavior") != (
        "smooth"
    )
