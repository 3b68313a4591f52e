"""What real browsers do around the shop's forms: back and refresh after a POST, two tabs,
cookies blocked or deleted, autofill, double clicks and no JavaScript."""

import json
import re

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Address, User
from guestbook.models import Entry
from orders.models import Order
from service.models import ContactMessage
from tests.e2e.helpers import (
    GUEST,
    axe_check,
    checkout,
    confirmation_number,
    describe_violations,
    expect,
    inquire,
    read_outbox,
    said,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBER_EMAIL = "mia.member@example.com"
MEMBER_PASSWORD = "mia-member-password-2026"  # noqa: S105 (test data)


def _add(page, product, *, quantity: int = 1) -> None:
    page.goto(product.get_absolute_url())
    options = page.locator("input[name=variant][type=radio]")
    if options.count():
        options.first.check()
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    # the messages region, not the text: a screen reader's copy of it comes a moment later
    expect(page.get_by_role("region", name="Messages")).to_contain_text("to your cart.")


def _member() -> User:
    member = User.objects.create_user(MEMBER_EMAIL, MEMBER_PASSWORD)
    EmailAddress.objects.create(user=member, email=MEMBER_EMAIL, verified=True, primary=True)
    return member


def _sign_in(page, *, email=MEMBER_EMAIL, password=MEMBER_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _resubmit(page) -> None:
    """Reload a page reached by a POST and accept the browser's "send again?" prompt."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()


def _refuse_cookies(browser, tmp_path):
    """A browser whose settings block every cookie (Chromium's content setting, as a person
    sets it): a persistent profile, since a plain context cannot say so."""
    profile = tmp_path / "no-cookies"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}})
    )
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=browser_executable(),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def browser_executable() -> str:
    from tests.e2e.conftest import CHROMIUM

    return CHROMIUM


# -- cookies ---------------------------------------------------------------------------------


def _type_a_new_address(page) -> None:
    """The member's "Add an address" page, filled in, not yet saved."""
    page.goto("/accounts/addresses/add/")
    page.get_by_label("Full name").fill("Mia Member")
    page.get_by_label("Street and number").fill("Kastanienallee 9")
    page.get_by_label("Postcode").fill("10435")
    page.get_by_label("City").fill("Berlin")


def _ask_for_a_return(page, number: str, message: str) -> None:
    """The customer service form, topic "A return or exchange", sent for order ``number``."""
    page.goto("/service/contact/")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("Your e-mail").fill(GUEST["email"])
    page.get_by_label("What is it about?").select_option(label="A return or exchange")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Your message").fill(message)
    page.get_by_role("button", name="Send message").click()
    said(page, "Thank you, your message is on its way.")


def test_cookies_blocked_the_visitor_is_told_the_shop_needs_them(
    browser, live_server, seeded_shop, tmp_path
):
    context = _refuse_cookies(browser, tmp_path)
    try:
        page = context.new_page()
        page.goto(live_server.url + seeded_shop.bottle.get_absolute_url())
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("heading", name="This shop needs cookies")).to_be_visible()
        expect(page.get_by_text("please allow them for")).to_be_visible()
        assert "CSRF" not in page.content()

        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("E-mail").fill(MEMBER_EMAIL)
        page.get_by_label("Password").fill(MEMBER_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="This shop needs cookies")).to_be_visible()
        assert MEMBER_PASSWORD not in page.content()

        # the checkout with no cart: the cart page, one hop, no loop
        page.goto(live_server.url + "/checkout/")
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    finally:
        context.close()


def test_session_cookie_deleted_before_buy_now(new_context, seeded_shop):
    context = new_context()
    page = context.new_page()
    _add(page, seeded_shop.bottle)
    checkout(page, place=False)
    context.clear_cookies(name="sessionid")

    page.get_by_role("button", name="Buy now").click()

    # the CSRF cookie is still there: the session is what expired
    expect(page.get_by_text("Your session ended")).to_be_visible()
    said(page, "Nothing was ordered.")
    assert Order.objects.count() == 0


# -- two tabs --------------------------------------------------------------------------------


def test_signed_in_in_one_tab_a_guestbook_post_in_the_other_is_kept(
    new_context, seeded_shop, console
):
    console.allow(r"403")
    _member()
    context = new_context()
    tab_a, tab_b = context.new_page(), context.new_page()
    tab_b.goto("/guestbook/")
    tab_b.get_by_label("Your name").fill("Tab Bee")
    tab_b.get_by_label("Your message").fill("Typed with care in the second tab.")
    _sign_in(tab_a)

    tab_b.get_by_role("button", name="Send message").click()

    expect(tab_b.get_by_role("heading", name="Please send that again")).to_be_visible()
    expect(tab_b.get_by_text("signed in or out in another window or tab")).to_be_visible()
    assert Entry.objects.count() == 0
    tab_b.get_by_role("button", name="Send it again").click()
    expect(tab_b.get_by_text("Thank you!")).to_be_visible()
    assert Entry.objects.get().message == "Typed with care in the second tab."


def test_signed_out_in_one_tab_an_address_sent_from_the_other_is_not_lost(
    new_context, seeded_shop, console
):
    console.allow(r"403")
    _member()
    context = new_context(bypass_csp=True)  # for axe
    tab_a, tab_b = context.new_page(), context.new_page()
    _sign_in(tab_a)
    _type_a_new_address(tab_b)
    tab_a.get_by_role("button", name="Sign out").click()
    expect(tab_a.get_by_role("link", name="Sign in")).to_be_visible()

    tab_b.get_by_role("button", name="Save address").click()

    # before: the sign-in page, and the address gone without a word
    expect(tab_b.get_by_role("heading", name="Please send that again")).to_be_visible()
    tab_b.get_by_text("What you typed", exact=True).click()
    expect(tab_b.get_by_text("Kastanienallee 9")).to_be_visible()
    assert not axe_check(tab_b), describe_violations(axe_check(tab_b))
    assert not Address.objects.exists()


def test_sign_out_in_a_second_tab_after_the_first_signed_out(new_context, seeded_shop):
    _member()
    context = new_context()
    tab_a, tab_b = context.new_page(), context.new_page()
    _sign_in(tab_a)
    tab_b.goto("/")
    tab_a.get_by_role("button", name="Sign out").click()
    expect(tab_a.get_by_role("link", name="Sign in")).to_be_visible()

    tab_b.get_by_role("button", name="Sign out").click()

    # before: a 403 page telling them to reload and send a form they never typed
    said(tab_b, "You are signed out.")
    expect(tab_b.get_by_role("link", name="Sign in")).to_be_visible()


def test_cart_changed_in_another_tab_while_the_review_is_open(new_context, seeded_shop):
    context = new_context()
    review = context.new_page()
    _add(review, seeded_shop.bottle)
    checkout(review, place=False)
    other = context.new_page()
    _add(other, seeded_shop.towel)

    review.get_by_role("button", name="Buy now").click()

    # the shopper is sent back to a review that shows the towel; nothing is ordered yet
    expect(review.get_by_role("heading", name="Check and place your order")).to_be_visible()
    expect(review.get_by_role("alert").or_(review.locator(".message.error"))).to_contain_text(
        re.compile("changed", re.I)
    )
    expect(review.get_by_text("Meadow Tea Towel: added (1)")).to_be_visible()
    expect(review.get_by_role("row", name=re.compile("Meadow Tea Towel"))).to_be_visible()
    assert Order.objects.count() == 0
    review.get_by_role("button", name="Buy now").click()
    number = confirmation_number(review)
    assert Order.objects.get(number=number).lines.count() == 2


# -- back and refresh after a POST -----------------------------------------------------------


def test_back_after_the_order_and_buy_now_again_places_no_second_order(page, seeded_shop):
    _add(page, seeded_shop.bottle)
    number = checkout(page)
    _resubmit(page)  # the confirmation was reached by a redirect: a plain reload
    assert confirmation_number(page) == number

    page.go_back()  # the browser shows the review as it kept it, Buy now and all
    page.get_by_role("button", name="Buy now").click()

    assert confirmation_number(page) == number
    expect(
        page.get_by_text(f"Order {number} was placed already; not placed twice.")
    ).to_be_visible()
    assert Order.objects.count() == 1


def test_buy_now_again_on_a_review_kept_open_places_no_second_order(new_context, seeded_shop):
    """A browser that keeps the review page (back-forward cache, a second tab) shows it with
    its Buy now: pressed again, the same order, said in words."""
    context = new_context()
    page = context.new_page()
    _add(page, seeded_shop.bottle)
    checkout(page, place=False)
    kept = context.new_page()
    kept.goto("/checkout/review/")
    page.get_by_role("button", name="Buy now").click()
    number = confirmation_number(page)

    kept.get_by_role("button", name="Buy now").click()

    assert confirmation_number(kept) == number
    expect(
        kept.get_by_text(f"Order {number} was placed already; not placed twice.")
    ).to_be_visible()
    assert Order.objects.count() == 1


def test_refresh_after_a_post_sends_nothing_twice(page, seeded_shop, live_server):
    _add(page, seeded_shop.bottle)
    number = checkout(page)

    inquire(page, live_server, number=number)
    expect(page.get_by_text(number).first).to_be_visible()
    _resubmit(page)
    expect(page.get_by_text(number).first).to_be_visible()

    page.goto("/guestbook/")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("Your message").fill("Lovely towels.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Thank you!")).to_be_visible()
    _resubmit(page)
    assert Entry.objects.count() == 1

    _ask_for_a_return(page, number, "I would like to return the bottle.")
    _resubmit(page)
    assert ContactMessage.objects.count() == 1

    _member()
    _sign_in(page)
    _resubmit(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert Order.objects.count() == 1


def test_an_address_deleted_twice_back_or_second_tab(new_context, seeded_shop):
    member = _member()
    address = Address.objects.create(
        user=member,
        full_name="Mia Member",
        line1="Kastanienallee 9",
        postcode="10435",
        city="Berlin",
        country="Germany",
        is_default=True,
    )
    context = new_context()
    page, other = context.new_page(), context.new_page()
    _sign_in(page)
    other.goto(f"/accounts/addresses/{address.pk}/delete/")
    page.goto(f"/accounts/addresses/{address.pk}/delete/")
    page.get_by_role("button", name="Delete address").click()
    said(page, "Address deleted.")

    # before: "page not found" both ways
    page.go_back()
    said(page, "That address was already deleted.")
    other.get_by_role("button", name="Delete address").click()
    said(other, "That address was already deleted.")
    expect(other.get_by_role("heading", name="Addresses")).to_be_visible()


# -- double clicks ---------------------------------------------------------------------------


def test_a_double_click_acts_once(page, seeded_shop, live_server):
    _add(page, seeded_shop.bottle)
    number = checkout(page)

    page.goto("/guestbook/")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("Your message").fill("Twice clicked, once posted.")
    page.get_by_role("button", name="Send message").dblclick()
    expect(page.get_by_text("Thank you!")).to_be_visible()
    assert Entry.objects.count() == 1

    page.goto("/service/contact/")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("Your e-mail").fill(GUEST["email"])
    page.get_by_label("What is it about?").select_option(label="A return or exchange")
    page.get_by_label("Your message").fill("Return, please.")
    page.get_by_role("button", name="Send message").dblclick()
    said(page, "Thank you, your message is on its way.")
    assert ContactMessage.objects.count() == 1

    page.goto("/orders/inquiry/")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("E-mail used at checkout").fill(GUEST["email"])
    page.get_by_role("button", name="Find my order").dblclick()
    expect(page.get_by_text(number).first).to_be_visible()
    expect(page.locator(".message.error")).to_have_count(0)

    page.goto("/accounts/signup/")
    page.get_by_label("E-mail").fill("new.member@example.com")
    page.locator("#id_password1").fill(MEMBER_PASSWORD)
    page.locator("#id_password2").fill(MEMBER_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Register").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("e-mail", re.I))
    assert User.objects.filter(email="new.member@example.com").count() == 1
    assert len(read_outbox(to="new.member@example.com")) == 1

    _member()
    _sign_in(page)

    _type_a_new_address(page)
    page.get_by_role("button", name="Save address").dblclick()
    expect(page.get_by_role("heading", name=re.compile("address", re.I)).first).to_be_visible()
    page.wait_for_load_state()
    assert Address.objects.count() == 1


# -- autofill --------------------------------------------------------------------------------


def _tokens(page) -> dict[str, tuple]:
    return {
        el.get_attribute("name"): (
            el.get_attribute("autocomplete"),
            el.get_attribute("type"),
            el.get_attribute("inputmode"),
        )
        for el in page.get_by_role("main").locator("input, select").all()
        if el.get_attribute("name")
    }


def test_forms_carry_autofill_tokens_and_keyboards(page, seeded_shop):
    _add(page, seeded_shop.bottle)
    assert _tokens(page)["quantity"][1:] == ("number", "numeric")
    page.goto("/checkout/")
    fields = _tokens(page)
    assert fields["email"][:2] == ("email", "email")
    assert fields["phone"][:2] == ("tel", "tel")
    assert fields["full_name"][0] == "name"
    assert fields["line1"][0] == "address-line1"
    assert fields["postcode"][0] == "postal-code"
    assert fields["city"][0] == "address-level2"
    assert fields["country"][0] in ("country", "country-name")

    page.goto("/accounts/signup/")
    fields = _tokens(page)
    assert fields["email"][:2] == ("email", "email")
    assert fields["password1"][0] == fields["password2"][0] == "new-password"
    page.goto("/accounts/login/")
    assert _tokens(page)["password"][0] == "current-password"

    _member()
    _sign_in(page)
    page.goto("/accounts/addresses/add/")
    fields = _tokens(page)
    assert (fields["full_name"][0], fields["line1"][0], fields["postcode"][0]) == (
        "name",
        "address-line1",
        "postal-code",
    )
    assert fields["phone"][:2] == ("tel", "tel")


# -- no JavaScript ---------------------------------------------------------------------------


def test_without_javascript_cart_inquiry_return_and_guestbook_work(
    new_context, seeded_shop, live_server
):
    page = new_context(java_script_enabled=False).new_page()
    _add(page, seeded_shop.bottle)
    page.get_by_label("Quantity of Summit Water Bottle").fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_label("Quantity of Summit Water Bottle")).to_have_value("2")
    number = checkout(page, payment="Cash on delivery")
    assert Order.objects.get(number=number).lines.get().quantity == 2

    inquire(page, live_server, number=number)
    expect(page.get_by_text(number).first).to_be_visible()

    _ask_for_a_return(page, number, "Return, please.")
    assert ContactMessage.objects.get().order_number == number

    page.goto("/guestbook/")
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("Your message").fill("Works without scripts.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Thank you!")).to_be_visible()
    assert Entry.objects.count() == 1
