"""Guestbook: a visitor writes, staff publish and answer in admin, everyone sees the answer."""

import re

import pytest

from tests.e2e.helpers import admin_login, axe_check, describe_violations, expect, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_visitor_writes_and_staff_answer_in_public(new_context, live_server, seeded_shop):
    visitor = new_context(bypass_csp=True).new_page()  # bypass only so axe can be injected
    visitor.goto("/")
    visitor.get_by_role("link", name="Guestbook").click()
    expect(visitor.get_by_role("heading", name="Guestbook", level=1)).to_be_visible()

    # An empty message is refused, and what was typed stays.
    visitor.get_by_label("Your name").fill("Greta")
    visitor.get_by_role("button", name="Send message").click()
    expect(visitor.get_by_text("This field is required.")).to_be_visible()
    expect(visitor.get_by_label("Your name")).to_have_value("Greta")
    violations = axe_check(visitor)
    assert not violations, describe_violations(violations)
    screenshot(visitor, "guestbook-errors")

    visitor.get_by_label("Your message").fill("The merino tee is wonderful. More colours?")
    visitor.get_by_label(re.compile("E-mail")).fill("greta@example.com")
    visitor.get_by_role("button", name="Send message").click()
    expect(visitor.get_by_role("status").filter(has_text="Thank you!")).to_be_visible()
    expect(visitor.get_by_text("More colours?")).to_have_count(0)

    staff = new_context().new_page()
    admin_login(staff, live_server)
    staff.goto("/admin/guestbook/entry/")
    staff.get_by_role("link", name="Greta").click()
    staff.get_by_label("Public reply").fill("Thank you, Greta! Sand and rust arrive in May.")
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    visitor.goto("/guestbook/")
    expect(visitor.get_by_text("More colours?")).to_be_visible()
    expect(visitor.get_by_text("Sand and rust arrive in May.")).to_be_visible()
    expect(visitor.get_by_text(re.compile("Reply from"))).to_be_visible()
    violations = axe_check(visitor)
    assert not violations, describe_violations(violations)
    screenshot(visitor, "guestbook")
