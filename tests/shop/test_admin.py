from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from catalog.models import Category, Product, ProductImage, Series
from tests.conftest import image_bytes
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["series", "category", "product", "variant", "user"])
def test_admin_list_and_add_pages_load(staff_client, model):
    ProductFactory()
    app = "accounts" if model == "user" else "catalog"
    assert staff_client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:{app}_{model}_add")).status_code == 200


def test_admin_product_list_filters_and_search(staff_client):
    ProductFactory(name="Sold Out Pack", stock=0)
    ProductFactory(name="Full Pack", stock=30)
    url = reverse("admin:catalog_product_changelist")
    body = staff_client.get(url, {"stock": "sold_out"}).content.decode()
    assert "Sold Out Pack" in body
    assert "Full Pack" not in body
    variant_sku = Product.objects.get(name="Full Pack").variants.get().sku
    body = staff_client.get(url, {"q": variant_sku}).content.decode()
    assert "Full Pack" in body
    assert "Sold Out Pack" not in body


def test_admin_bulk_deactivate(staff_client):
    a, b = ProductFactory(), ProductFactory()
    staff_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "_selected_action": [a.pk, b.pk]},
    )
    assert not Product.objects.filter(is_active=True).exists()


def new_product_form(**changes) -> dict:
    """The add-product page as staff fill it in: one variant (MUG-1, 7 in stock), no picture."""
    return {
        "name": "Camp Mug",
        "slug": "camp-mug",
        "series": SeriesFactory().pk,
        "category": CategoryFactory().pk,
        "short_description": "Enamel mug",
        "description": "",
        "price": "12.50",
        "compare_at_price": "",
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-sku": "MUG-1",
        "variants-0-stock": "7",
        "variants-0-position": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        **changes,
    }


def new_product_form_with_picture() -> dict:
    """new_product_form with one picture (mug.png, "A blue enamel mug")."""
    return new_product_form(
        **{
            "images-TOTAL_FORMS": "1",
            "images-0-image": SimpleUploadedFile("mug.png", image_bytes(), "image/png"),
            "images-0-alt_text": "A blue enamel mug",
            "images-0-position": "0",
        }
    )


def test_admin_adds_product_with_variant_and_image(staff_client, client):
    data = new_product_form_with_picture()
    response = staff_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product = Product.objects.get(slug="camp-mug")
    assert product.price == Decimal("12.50")
    assert product.variants.get().stock == 7
    image = ProductImage.objects.get(product=product)
    assert image.thumb_listing.name.endswith(".webp")
    assert image.listing_url in client.get("/products/").content.decode()


def product_form(product) -> dict:
    """The product change form as the admin posts it unchanged: its variants' rows (each
    with its stock), no picture rows."""
    data = {
        "name": product.name,
        "slug": product.slug,
        "series": product.series_id,
        "category": product.category_id,
        "price": str(product.price),
        "is_active": "on",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    variants = list(product.variants.order_by("pk"))
    data |= {
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(len(variants)),
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for n, variant in enumerate(variants):
        data |= {
            f"variants-{n}-id": variant.pk,
            f"variants-{n}-product": product.pk,
            f"variants-{n}-sku": variant.sku,
            f"variants-{n}-stock": str(variant.stock),
            f"variants-{n}-position": str(n),
        }
    return data


def product_form_with_image(product, upload) -> dict:
    """The product change form as the admin posts it, with one new picture."""
    return product_form(product) | {
        "price": "10.00",
        "variants-0-stock": "1",
        "images-TOTAL_FORMS": "1",
        "images-0-image": upload,
        "images-0-position": "0",
    }


def test_admin_refuses_a_fake_image_with_a_clear_message(staff_client):
    product = ProductFactory()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    upload = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", "image/jpeg")
    response = staff_client.post(url, product_form_with_image(product, upload))
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode() or "not an image" in (
        response.content.decode()
    )
    assert not ProductImage.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "size", "message"),
    [
        ("BMP", (40, 30), "Upload a JPEG, PNG, WebP or GIF image (this file is BMP)."),
        ("TIFF", (40, 30), "Upload a JPEG, PNG, WebP or GIF image (this file is TIFF)."),
        ("PNG", (1500, 1000), "at most 1 megapixels are allowed"),
    ],
    ids=["bmp", "tiff", "too-many-pixels"],
)
def test_admin_refuses_images_django_itself_would_take(staff_client, settings, fmt, size, message):
    """Django's own ImageField takes any picture Pillow reads; the shop's validator on the model
    field is what refuses BMP, TIFF and oversized pictures in admin."""
    settings.SHOP_IMAGE_MAX_PIXELS = 1_000_000
    product = ProductFactory()
    upload = SimpleUploadedFile("picture.jpg", image_bytes(fmt, size), "image/jpeg")
    response = staff_client.post(
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_form_with_image(product, upload),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProductImage.objects.exists()


def test_admin_list_edit_price(staff_client):
    product = ProductFactory(price=Decimal("10.00"))
    response = staff_client.post(
        reverse("admin:catalog_product_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": product.pk,
            "form-0-price": "12.34",
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price == Decimal("12.34")


def test_staff_save_a_product_that_has_pictures_again(staff_client):
    """The picture already stored is not checked again (its file is closed by then): saving
    the product page unchanged, or with a new name, just works."""
    from tests.orders.helpers import form_defaults

    product = ProductFactory(name="Camp Mug")
    image = ProductImage(product=product, alt_text="A mug")
    image.image.save("mug.png", SimpleUploadedFile("mug.png", image_bytes()), save=True)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    data = form_defaults(staff_client.get(url))
    data["name"] = "Camp Mug, blue"
    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product.refresh_from_db()
    assert product.name == "Camp Mug, blue"
    assert list(product.images.values_list("pk", flat=True)) == [image.pk]


def test_saving_a_product_does_not_open_its_pictures_and_a_lost_file_can_be_deleted(
    staff_client, monkeypatch
):
    """Django measures a picture on every assignment, also of the file a row already has: each
    save of the product page opened every picture (a download each from a bucket), and a
    picture whose file was gone made the page a 500, deleting that picture included."""
    from django.core.files.storage import FileSystemStorage

    from tests.orders.helpers import form_defaults

    product = ProductFactory(name="Camp Mug")
    kept, lost = (ProductImage(product=product, position=i) for i in range(2))
    for image in (kept, lost):
        image.image.save("mug.png", SimpleUploadedFile("mug.png", image_bytes()), save=True)
    assert (kept.width, kept.height) == (64, 48)  # a new file is measured
    lost.image.storage.delete(lost.image.name)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = form_defaults(staff_client.get(url))
    opened = []
    real_open = FileSystemStorage._open
    monkeypatch.setattr(
        FileSystemStorage,
        "_open",
        lambda self, name, mode="rb": opened.append(name) or real_open(self, name, mode),
    )

    data["name"] = "Camp Mug, blue"
    assert staff_client.post(url, data).status_code == 302
    assert not opened
    data["images-1-DELETE"] = "on"
    assert staff_client.post(url, data).status_code == 302

    assert list(product.images.values_list("pk", flat=True)) == [kept.pk]
    assert Product.objects.get(pk=product.pk).name == "Camp Mug, blue"


def test_a_list_price_above_the_compare_at_price_is_explained_not_a_500(staff_client):
    product = ProductFactory(name="Storm Jacket", price=Decimal("80.00"))
    Product.objects.filter(pk=product.pk).update(compare_at_price=Decimal("100.00"))
    url = reverse("admin:catalog_product_changelist")
    response = staff_client.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": product.pk,
            "form-0-price": "120.00",
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "Must stay below the compare-at price (100.00)" in response.content.decode()
    product.refresh_from_db()
    assert product.price == Decimal("80.00")


def test_staff_cannot_switch_off_the_last_delivery_method(staff_client):
    from cart.admin import NONE_ACTIVE
    from cart.models import ShippingMethod

    standard = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"), position=1)
    express = ShippingMethod.objects.create(name="Express", fee=Decimal("9.90"), position=2)
    listing = reverse("admin:cart_shippingmethod_changelist")

    def row(i, method, active):
        data = {
            f"form-{i}-id": method.pk,
            f"form-{i}-fee": str(method.fee),
            f"form-{i}-free_over": "",
            f"form-{i}-position": method.position,
        }
        return data | ({f"form-{i}-is_active": "on"} if active else {})

    both_off = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save"}
    both_off |= row(0, standard, False) | row(1, express, False)
    response = staff_client.post(listing, both_off)
    assert NONE_ACTIVE in response.content.decode()
    assert ShippingMethod.objects.filter(is_active=True).count() == 2

    one_off = {**both_off, **row(1, express, True)}
    assert staff_client.post(listing, one_off).status_code == 302
    assert list(ShippingMethod.objects.filter(is_active=True)) == [express]

    page = reverse("admin:cart_shippingmethod_change", args=[express.pk])
    data = {"name": "Express", "description": "", "fee": "9.90", "free_over": ""}
    data |= {"min_days": "1", "max_days": "1", "position": "2"}  # is_active unticked
    response = staff_client.post(page, data)
    assert NONE_ACTIVE in response.content.decode()
    express.refresh_from_db()
    assert express.is_active


def test_staff_cannot_delete_the_last_active_delivery_method(staff_client):
    """Switching it off was refused; deleting it (no order names it yet) was not, and left
    the shop with no way to check out."""
    from cart.admin import NONE_ACTIVE
    from cart.models import ShippingMethod

    standard = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    pickup = ShippingMethod.objects.create(name="Pick-up", fee=Decimal("0"), is_active=False)

    page = reverse("admin:cart_shippingmethod_delete", args=[standard.pk])
    response = staff_client.post(page, {"post": "yes"}, follow=True)
    assert NONE_ACTIVE in response.content.decode()
    assert ShippingMethod.objects.filter(pk=standard.pk).exists()

    listing = reverse("admin:cart_shippingmethod_changelist")
    selected = {"action": "delete_selected", "post": "yes", "_selected_action": [standard.pk]}
    response = staff_client.post(listing, selected, follow=True)
    assert NONE_ACTIVE in response.content.decode()
    assert ShippingMethod.objects.count() == 2

    # an inactive one goes; so does an active one while another stays active
    assert (
        staff_client.post(
            reverse("admin:cart_shippingmethod_delete", args=[pickup.pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    express = ShippingMethod.objects.create(name="Express", fee=Decimal("9.90"))
    assert staff_client.post(page, {"post": "yes"}).status_code == 302
    assert list(ShippingMethod.objects.all()) == [express]


def test_the_product_list_filters_by_category_with_its_subcategories_in_few_queries(
    staff_client, django_assert_max_num_queries
):
    outdoor = CategoryFactory(name="Outdoor")
    packs = CategoryFactory(name="Packs", parent=outdoor)
    kitchen = CategoryFactory(name="Kitchen")
    ProductFactory(name="Day Pack", category=packs)
    ProductFactory(name="Kettle", category=kitchen)
    for i in range(15):
        ProductFactory(category=CategoryFactory(name=f"Other {i}", parent=kitchen))
    url = reverse("admin:catalog_product_changelist")
    staff_client.get(url)  # the category tree is cached from here on
    with django_assert_max_num_queries(12):
        body = staff_client.get(url, {"category": outdoor.pk}).content.decode()
    assert "Day Pack" in body
    assert "Kettle" not in body
    assert "Outdoor › Packs" in body  # the filter's choices show each category's path
    assert staff_client.get(url, {"category": "99999999999999999999"}).status_code == 200


def test_the_shop_staff_group_runs_the_shop_but_not_peoples_rights(client):
    from django.contrib.auth.models import Group

    from shop.staff import GROUP_NAME, ensure_staff_group

    ensure_staff_group()
    ensure_staff_group()  # again (every migrate): nothing doubles, nothing is taken away
    packer = UserFactory(email="packer@shop.example", is_staff=True)
    packer.groups.add(Group.objects.get(name=GROUP_NAME))
    client.force_login(packer)
    for name in (
        "orders_order_changelist",
        "catalog_product_add",
        "cart_shippingmethod_changelist",
        "guestbook_entry_changelist",
        "service_contactmessage_changelist",
        "core_outboxmessage_changelist",
        "accounts_user_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name
    for name in ("accounts_user_add", "auth_group_changelist", "auth_group_add"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name
    someone = UserFactory()
    assert (
        client.post(
            reverse("admin:accounts_user_change", args=[someone.pk]),
            {"email": someone.email, "is_superuser": "on", "is_staff": "on"},
        ).status_code
        == 403
    )
    someone.refresh_from_db()
    assert not someone.is_superuser


def test_a_members_page_shows_their_addresses_and_links_their_orders(staff_client):
    from accounts.models import Address

    member = UserFactory(email="mia@example.com")
    Address.objects.create(
        user=member,
        full_name="Mia",
        line1="Hauptstr. 9",
        postcode="80331",
        city="München",
        country="Germany",
        is_default=True,
    )
    body = staff_client.get(
        reverse("admin:accounts_user_change", args=[member.pk])
    ).content.decode()
    assert "Hauptstr. 9" in body
    assert f'href="{reverse("admin:orders_order_changelist")}?q=mia%40example.com"' in body


def test_a_taken_sku_or_address_names_the_product_that_has_it(staff_client):
    ProductFactory(name="Old Mug", slug="camp-mug").variants.update(sku="MUG-1")
    data = new_product_form()
    body = staff_client.post(reverse("admin:catalog_product_add"), data).content.decode()
    assert "The address /products/camp-mug/ is already used by “Old Mug”" in body
    assert "SKU MUG-1 is already used by “Old Mug”." in body
    assert Product.objects.count() == 1


def test_a_taken_sku_typed_in_lower_case_is_refused_on_the_form(staff_client):
    # Variant.save stores SKUs upper-cased: "mug-1" is the SKU "MUG-1", taken
    ProductFactory(name="Old Mug").variants.update(sku="MUG-1")
    data = new_product_form(**{"variants-0-sku": " mug-1 "})
    body = staff_client.post(reverse("admin:catalog_product_add"), data).content.decode()
    assert "SKU MUG-1 is already used by “Old Mug”." in body
    assert Product.objects.count() == 1


def test_two_rows_with_one_sku_in_different_case_are_refused_on_the_form(staff_client):
    data = new_product_form(
        **{
            "variants-TOTAL_FORMS": "2",
            "variants-1-sku": "Mug-1",
            "variants-1-stock": "3",
            "variants-1-position": "1",
        }
    )
    response = staff_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for sku." in response.content.decode()
    assert not Product.objects.exists()


def test_staff_adding_a_taken_email_in_other_case_get_the_form_error(staff_client):
    # User.save stores e-mail addresses lower-cased: "Taken@…" is the address "taken@…"
    UserFactory(email="taken@shop.example")
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Taken@Shop.example",
            "usable_password": "true",
            "password1": "a-long-password-2026",
            "password2": "a-long-password-2026",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "User with this E-mail address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@shop.example").count() == 1


def test_staff_changing_an_email_to_a_taken_one_in_other_case_get_the_form_error(staff_client):
    UserFactory(email="taken@shop.example")
    member = UserFactory(email="other@shop.example")
    response = staff_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        {
            "email": " TAKEN@shop.example",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "User with this E-mail address already exists." in response.content.decode()
    member.refresh_from_db()
    assert member.email == "other@shop.example"


def test_the_admin_home_page_says_what_waits_for_staff(staff_client, django_assert_max_num_queries):
    from cart.models import ShippingMethod
    from core.models import OutboxMessage
    from guestbook.models import Entry
    from orders import services
    from service.models import ContactMessage
    from tests.orders.helpers import make_cart, place

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    lamp = ProductFactory(name="Lamp", stock=9).variants.get()
    place(make_cart((lamp, 1)), shipping)  # cash on delivery: ready to pack
    unpaid = place(make_cart((lamp, 1)), shipping, payment="bank_transfer")
    paid = place(make_cart((lamp, 1)), shipping, payment="bank_transfer")
    services.mark_paid(order=paid)
    services.mark_packed(order=paid)
    ProductFactory(name="Gone", stock=0)
    Entry.objects.create(name="Ann", message="Lovely")
    ContactMessage.objects.create(name="Bo", email="bo@example.com", message="Hi")
    OutboxMessage.objects.create(to=["x@example.com"], subject="s", body_text="b", attempts=2)

    with django_assert_max_num_queries(12):
        body = staff_client.get(reverse("admin:index")).content.decode()

    def row(label):
        start = body.index(label)
        return body[start : body.index("</tr>", start)]

    assert "<caption>To do</caption>" in body
    assert "?todo=pack" in body
    # a bank transfer to look for in the shop's account (then mark it paid); it was in no line
    assert "<td>1</td>" in row("Bank transfers to look for (orders waiting for payment)")
    waiting = staff_client.get(reverse("admin:orders_order_changelist") + "?todo=payment")
    assert unpaid.number in waiting.content.decode()
    assert paid.number not in waiting.content.decode()
    assert "<td>1</td>" in row("Orders ready to pack")
    assert "<td>1</td>" in row("Packed orders to hand to the carrier")
    assert "<td>0</td>" in row("Cancelled after payment: refund due")
    assert "<td>1</td>" in row("Customer messages not answered")
    assert "<td>1</td>" in row("Guestbook messages waiting for review")
    assert "<td>1</td>" in row("Products for sale that are sold out")
    assert "<td>1</td>" in row("E-mails that failed to go out")
    # each line's link lists exactly what it counted
    packed = staff_client.get(reverse("admin:orders_order_changelist") + "?todo=ship")
    assert paid.number in packed.content.decode()


def test_staff_see_only_the_to_do_lines_they_may_open(client):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_entry"))
    client.force_login(clerk)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Guestbook messages waiting for review" in body
    assert "Orders ready to pack" not in body
    assert "E-mails that failed to go out" not in body


def test_a_to_do_line_shows_for_staff_who_may_change_but_not_view(client):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_contactmessage"))
    client.force_login(clerk)
    assert "Customer messages not answered" in client.get(reverse("admin:index")).content.decode()


def test_a_form_shown_again_for_a_wrong_file_shows_no_preview_of_pictures_not_kept(staff_client):
    """The add page with a good picture and a wrong file: shown again with the error, the good
    one is not stored (nor kept by the browser), so it shows no preview pointing at nothing."""
    data = new_product_form(
        **{
            "images-TOTAL_FORMS": "2",
            "images-0-image": SimpleUploadedFile("front.png", image_bytes(), "image/png"),
            "images-0-position": "0",
            "images-1-image": SimpleUploadedFile("back.jpg", b"not a picture", "image/jpeg"),
            "images-1-position": "1",
        }
    )
    response = staff_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Upload a valid image" in page
    assert "front.png" not in page  # no <img src="/media/front.png"> (nothing is there)
    assert 'class="admin-thumb"' not in page
    assert not ProductImage.objects.exists()


def test_the_product_page_says_which_picture_is_the_main_one(staff_client, client):
    """Nothing on the pictures' rows said which one listings show: it is the lowest position
    (then the first added), and the page now says so."""
    product = ProductFactory(name="Camp Mug")
    first = ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("a.png", image_bytes(), "image/png"), position=1
    )
    main = ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("b.png", image_bytes(), "image/png"), position=0
    )
    page = staff_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert "The lowest number is the main picture" in page.content.decode()
    listing = client.get("/products/").content.decode()
    assert main.listing_url in listing
    assert first.listing_url not in listing


def test_a_delivery_method_with_a_negative_fee_or_days_out_of_order_is_explained(staff_client):
    """The page answered with the database's rule names ("Constraint “shipping_fee_gte_0” is
    violated.") and took a negative "free from" (every order shipped free)."""
    from cart.models import ShippingMethod

    add = reverse("admin:cart_shippingmethod_add")
    data = {"name": "Cargo bike", "description": "", "fee": "-1.00", "free_over": "-5"}
    data |= {"min_days": "5", "max_days": "2", "position": "0", "is_active": "on"}
    page = staff_client.post(add, data).content.decode()
    assert "Constraint" not in page
    assert page.count("Ensure this value is greater than or equal to 0.00.") == 2
    assert "“Delivery days to” must not be less than “delivery days from”." in page
    assert not ShippingMethod.objects.filter(name="Cargo bike").exists()

    data |= {"fee": "3.00", "free_over": "50.00", "max_days": "6"}
    assert staff_client.post(add, data).status_code == 302
    method = ShippingMethod.objects.get(name="Cargo bike")
    assert (method.fee, method.free_over) == (Decimal("3.00"), Decimal("50.00"))


def test_staff_who_may_only_view_people_get_no_reset_password_button(client):
    """A member's page offered "Reset password" to the "Shop staff" group, who may only look
    at people: the button led to a refusal (403)."""
    from django.contrib.auth.models import Group

    from shop.staff import GROUP_NAME, ensure_staff_group

    ensure_staff_group()
    packer = UserFactory(email="packer@shop.example", is_staff=True)
    packer.groups.add(Group.objects.get(name=GROUP_NAME))
    member = UserFactory(email="mia@example.com")
    page = reverse("admin:accounts_user_change", args=[member.pk])
    password_page = reverse("admin:auth_user_password_change", args=[member.pk])

    client.force_login(packer)
    body = client.get(page).content.decode()
    assert "mia@example.com" in body
    assert "Reset password" not in body
    assert "../password/" not in body
    assert client.get(password_page).status_code == 403

    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    assert "Reset password" in client.get(page).content.decode()  # the owner still can


@pytest.mark.parametrize(
    ("app_model", "action"),
    [
        ("catalog_product", "deactivate"),
        ("guestbook_entry", "publish"),
        ("service_contactmessage", "mark_handled"),
    ],
)
def test_staff_who_may_only_view_a_list_are_not_offered_its_changing_actions(
    client, app_model, action
):
    """Actions without a permission of their own went to anyone who may open the list: staff
    with view rights only deactivated products, published guestbook messages, marked
    customers' messages handled."""
    from django.contrib.auth.models import Permission

    from guestbook.models import Entry
    from service.models import ContactMessage

    app, model = app_model.split("_", 1)
    viewer = UserFactory(email="viewer@shop.example", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename=f"view_{model}"))
    client.force_login(viewer)
    row = {
        "product": lambda: ProductFactory(),
        "entry": lambda: Entry.objects.create(name="Ann", message="Hello"),
        "contactmessage": lambda: ContactMessage.objects.create(
            name="Ann", email="ann@example.com", message="Where is it?"
        ),
    }[model]()
    url = reverse(f"admin:{app_model}_changelist")

    def stored():
        row.refresh_from_db()
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}

    before = stored()
    assert f'<option value="{action}">' not in client.get(url).content.decode()
    client.post(url, {"action": action, "_selected_action": [row.pk]})
    assert stored() == before


def test_staff_refused_an_admin_page_are_told_why_and_led_back_to_the_staff_pages(client):
    """A staff member without a permission got the shoppers' 403 page in admin ("sign in with
    the right account or write to us", a button to the shop's home page) with no way back."""
    from django.contrib.auth.models import Group

    from shop.staff import GROUP_NAME, ensure_staff_group

    ensure_staff_group()
    packer = UserFactory(email="packer@shop.example", is_staff=True)
    packer.groups.add(Group.objects.get(name=GROUP_NAME))
    client.force_login(packer)

    response = client.get(reverse("admin:auth_group_changelist"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your staff account may not do this." in page
    assert f'<a class="button" href="{reverse("admin:index")}">Back to the staff pages</a>' in page
    assert "write to us" not in page

    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    shop_request = RequestFactory().get("/cart/")
    shop_request.user = AnonymousUser()
    shop_page = render_to_string("403.html", request=shop_request)  # shoppers keep their words
    assert "sign in with the right account or write to us" in shop_page
    assert "Back to the staff pages" not in shop_page


def test_a_new_shop_is_told_it_has_no_delivery_method_and_which_settings_are_the_demos(
    staff_client, settings
):
    from cart.models import ShippingMethod

    settings.SHOP_BANK_IBAN = "CH93 0076 2011 6238 5295 7"
    body = staff_client.get(reverse("admin:index")).content.decode()

    assert "No active delivery method: shoppers can fill a cart but cannot check out" in body
    assert f'href="{reverse("admin:cart_shippingmethod_add")}"' in body
    assert "Still the demo&#x27;s values, shown to customers: SHOP_NAME, SHOP_ADMIN_EMAIL" in body
    assert "SHOP_BANK_IBAN" not in body  # set: no longer named
    assert "SHOP_BANK_BIC" in body

    ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    for name in settings.SHOP_DEMO_VALUES:
        setattr(settings, name, "Alpenglow's own")
    body = staff_client.get(reverse("admin:index")).content.decode()
    assert 'id="shop-setup"' not in body


def test_staff_who_are_not_the_owner_are_not_told_about_settings(client):
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    body = client.get(reverse("admin:index")).content.decode()
    assert "No active delivery method" in body
    assert 'href="/admin/cart/shippingmethod/add/"' not in body  # they may not add one
    assert "SHOP_BANK_IBAN" not in body


def test_check_deploy_names_the_settings_still_at_the_demos_values(settings):
    from django.core.checks import run_checks

    def demo_warnings():
        return [m for m in run_checks(include_deployment_checks=True) if m.id == "shop.W001"]

    assert "SHOP_BANK_IBAN" in demo_warnings()[0].msg
    for name in settings.SHOP_DEMO_VALUES:
        setattr(settings, name, "Alpenglow's own")
    assert demo_warnings() == []


def test_deleting_an_ordered_variant_says_what_to_do_instead(staff_client, settings):
    """Django's answer was "would require deleting the following protected related objects:
    Order line: ...", and nothing about what to do instead."""
    from cart.models import ShippingMethod
    from tests.orders.helpers import make_cart, place

    product = ProductFactory(name="Camp Mug", stock=5)
    ordered = product.variants.get()
    ordered.__class__.objects.create(product=product, sku="MUG-RED", stock=2, position=1)
    place(make_cart((ordered, 1)), ShippingMethod.objects.create(name="Std", fee=Decimal("4")))
    data = product_form(product)  # (rows in pk order: the ordered variant is row 0)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    refused = staff_client.post(url, data | {"variants-0-DELETE": "on"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert f"{ordered.sku} has been ordered, so it stays" in body
    assert "set its stock to 0" in body
    assert "protected related objects" not in body
    assert product.variants.count() == 2

    done = staff_client.post(url, data | {"variants-1-DELETE": "on"})  # never ordered: goes
    assert done.status_code == 302
    assert list(product.variants.all()) == [ordered]


@pytest.mark.parametrize(
    ("role", "may_open", "refused"),
    [
        (
            "Order handling",
            ["orders_order_changelist", "orders_order_ship", "catalog_variant_changelist"],
            [
                "catalog_product_add",
                "core_outboxmessage_changelist",
                "accounts_user_changelist",
                "service_contactmessage_changelist",
            ],
        ),
        (
            "Customer service",
            [
                "orders_order_changelist",
                "service_contactmessage_changelist",
                "guestbook_entry_changelist",
                "core_outboxmessage_changelist",
                "accounts_user_changelist",
            ],
            ["catalog_product_add", "cart_shippingmethod_add", "auth_group_changelist"],
        ),
        (
            "Catalog",
            ["catalog_product_add", "catalog_variant_changelist", "search_searchcount_changelist"],
            [
                "orders_order_changelist",
                "core_outboxmessage_changelist",
                "accounts_user_changelist",
                "service_contactmessage_changelist",
            ],
        ),
    ],
)
def test_staff_roles_give_one_job_what_it_needs_and_nothing_else(client, role, may_open, refused):
    """Besides "Shop staff" (everything to run the shop), a group per job: a packer changes no
    prices and reads nobody's e-mails, a catalog editor sees no orders or customers."""
    from django.contrib.auth.models import Group

    from shop.apps import _staff_group

    _staff_group(sender=None)  # what every migrate runs
    worker = UserFactory(email="worker@shop.example", is_staff=True)
    worker.groups.add(Group.objects.get(name=role))
    client.force_login(worker)
    for name in may_open:
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name
    for name in refused:
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name


def test_a_product_named_without_latin_letters_gets_an_address_of_its_own(staff_client):
    """Admin's prefilled address keeps Latin letters only: "手工茶具" left it empty, and the
    form refused to save. Left empty, the address is now made for it, one per product."""
    ProductFactory(slug="product")
    response = staff_client.post(
        reverse("admin:catalog_product_add"), new_product_form(name="手工茶具", slug="")
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product = Product.objects.get(name="手工茶具")
    assert product.slug == "product-2"
    staff_client.post(
        reverse("admin:catalog_product_add"),
        new_product_form(name="Café Olé", slug="", **{"variants-0-sku": "MUG-2"}),
    )
    assert Product.objects.get(name="Café Olé").slug == "cafe-ole"


@pytest.mark.parametrize(("model", "name"), [("series", "سلسلة الشاي"), ("category", "茶具")])
def test_a_series_or_category_named_without_latin_letters_is_saved(staff_client, model, name):
    response = staff_client.post(
        reverse(f"admin:catalog_{model}_add"), {"name": name, "slug": "", "position": "0"}
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    saved = (Series if model == "series" else Category).objects.get(name=name)
    assert saved.slug == model
    assert staff_client.get(saved.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("model", ["series", "category", "product"])
def test_a_slug_made_from_the_name_and_taken_meanwhile_takes_the_next_free_one(staff_client, model):
    """Two members of staff save "茶具" at the same moment: both forms found "category" free.
    The second save took a 500 on the unique index; it now takes "category-2"."""
    from catalog import admin as catalog_admin

    real_validate_unique = catalog_admin.SlugFromNameForm.validate_unique

    def checked_then_someone_else_saves(self):
        real_validate_unique(self)
        slug = self.instance.slug
        if model == "product":
            ProductFactory(slug=slug)
        else:
            (Series if model == "series" else Category).objects.create(name="other", slug=slug)

    if model == "product":
        form = new_product_form(name="茶具", slug="")
    else:
        form = {"name": "茶具", "slug": "", "position": "0"}
    with mock.patch.object(
        catalog_admin.SlugFromNameForm, "validate_unique", checked_then_someone_else_saves
    ):
        response = staff_client.post(reverse(f"admin:catalog_{model}_add"), form)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    saved = {"series": Series, "category": Category, "product": Product}[model].objects.get(
        name="茶具"
    )
    assert saved.slug == f"{model}-2"


def test_the_last_variant_cannot_be_deleted_from_the_products_page(staff_client):
    """Ticking "delete" on a product's only variant went through; the product's page then
    refused every save (its one required variant row empty) until staff added one."""
    product = ProductFactory(name="Camp Mug", stock=5)
    variant = product.variants.get()
    data = product_form(product)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    refused = staff_client.post(url, data | {"variants-0-DELETE": "on"})
    assert refused.status_code == 200
    assert "A product is sold as its variants, so keep at least one." in refused.content.decode()
    assert list(product.variants.all()) == [variant]

    kept = staff_client.post(url, data | {"variants-0-stock": "0"})  # what it says to do instead
    assert kept.status_code == 302
    variant.refresh_from_db()
    assert variant.stock == 0


def test_the_stock_list_deletes_no_variant(staff_client):
    """Its "delete" (a variant's page, or "Delete selected") took a product's last variant;
    variants are deleted on their product's page, which keeps the last one."""
    product = ProductFactory(name="Camp Mug", stock=5)
    variant = product.variants.get()
    delete = reverse("admin:catalog_variant_delete", args=[variant.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    listing = staff_client.get(reverse("admin:catalog_variant_changelist"))
    assert "delete_selected" not in listing.content.decode()
    assert list(product.variants.all()) == [variant]
    variant_page = staff_client.get(reverse("admin:catalog_variant_change", args=[variant.pk]))
    assert delete not in variant_page.content.decode()
    # the product's own page still offers "delete" on its rows ...
    page = staff_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert 'name="variants-0-DELETE"' in page.content.decode()
    # ... and a product never ordered is deleted with its variants
    staff_client.post(reverse("admin:catalog_product_delete", args=[product.pk]), {"post": "yes"})
    assert not type(product).objects.filter(pk=product.pk).exists()
