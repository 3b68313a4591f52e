"""What a phone downloads and how the page settles (bench/frontend.py measures it; these keep
what it found): no layout shift while a page loads, autocomplete requests nobody waits for any
more are cancelled, suggestion pictures keep their room."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# Sums the page's layout shifts (not those right after input, as Core Web Vitals' CLS).
SHIFTS = """
window.__shift = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.__shift += e.value; });
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture
def phone(new_context):
    context = new_context(**PHONE)
    context.add_init_script(SHIFTS)
    return context.new_page()


def settled_shift(page) -> float:
    page.wait_for_load_state("networkidle")
    # a frame later: the shifts of the last paint are reported
    return page.evaluate("new Promise(r => requestAnimationFrame(() => r(window.__shift)))")


def test_pages_do_not_shift_while_they_load_on_a_phone(phone, seeded_shop):
    """Pictures with their sizes, the filters folded on a phone, "Added to your cart." and the
    cart count: nothing moves what a thumb is about to tap."""
    for url in (
        "/",
        seeded_shop.categories.outdoor.get_absolute_url(),
        seeded_shop.backpack.get_absolute_url(),
        "/search/?q=mug",
    ):
        phone.goto(url)
        assert settled_shift(phone) < 0.01, url
    phone.goto(seeded_shop.bottle.get_absolute_url())
    phone.get_by_role("button", name=re.compile("Add to cart")).click()
    expect(phone.get_by_role("region", name="Messages")).to_be_visible()
    assert settled_shift(phone) < 0.01


def test_a_suggestion_request_nobody_waits_for_is_cancelled(page, seeded_shop):
    """Typing "alp" after "al": the answer for "al" would be dropped anyway; on a slow network
    it held up the one for "alp". The page cancels it."""
    held = []

    def suggest(route):
        if "q=al&" in route.request.url + "&" and not held:
            held.append(route)  # "al" never gets an answer: as on a slow network
        else:
            route.continue_()

    page.route("**/search/suggest/**", suggest)
    page.goto("/")
    field = page.get_by_role("combobox", name="Search products")
    with page.expect_request(re.compile(r"/search/suggest/\?q=al$")):
        field.press_sequentially("al")
    with page.expect_event("requestfailed", timeout=5000) as failed:
        field.press_sequentially("p")
    assert re.search(r"q=al$", failed.value.url)
    option = page.get_by_role("option", name=re.compile("Alpine Backpack"))
    expect(option).to_be_visible()
    picture = option.locator("img")
    expect(picture).to_have_attribute("width", "40")  # its room is kept while it loads
    expect(picture).to_have_attribute("height", "40")
    page.unroute("**/search/suggest/**")
