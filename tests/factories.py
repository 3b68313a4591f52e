"""Factories for test data: ``ProductFactory()`` makes an active product with one variant."""

from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from accounts.models import Address
from catalog.models import Category, Product, Series, Variant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        """Members have a verified address (sign-in requires one); ``verified_email=False``."""
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class AddressFactory(factory.django.DjangoModelFactory):
    """A member's saved address (in Berlin unless told otherwise)."""

    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = "Greta Guest"
    line1 = "Lindenstr. 1"
    postcode = "10115"
    city = "Berlin"
    country = "Germany"
    is_default = True


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Series {n}")
    slug = factory.Sequence(lambda n: f"series-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    series = factory.SubFactory(SeriesFactory)
    category = factory.SubFactory(CategoryFactory)
    short_description = "A good product."
    description = "A long description of a good product."
    price = Decimal("19.99")
    is_active = True

    @factory.post_generation
    def stock(self, create, extracted, **kwargs):
        """``ProductFactory(stock=3)`` gives the product one variant with 3 units."""
        if not create or extracted is False:
            return
        VariantFactory(product=self, stock=10 if extracted is None else extracted)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory, stock=False)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    stock = 10
