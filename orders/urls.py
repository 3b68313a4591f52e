from django.urls import path, register_converter

from . import views


class OrderNumberConverter:
    """Order numbers as typed in a URL (MP-7KQ4-X2HD): anything else is a 404 before any query
    (a NUL byte reached PostgreSQL as a 500)."""

    regex = "[A-Za-z0-9-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OrderNumberConverter, "order_number")

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout_details, name="checkout"),
    # The old checkout's step pages (bookmarks, tabs open over a deploy): redirects to their
    # section of the one details page.
    path("checkout/contact/", views.checkout_step_moved, {"section": "contact"}),
    path("checkout/address/", views.checkout_step_moved, {"section": "address"}),
    path("checkout/delivery/", views.checkout_step_moved, {"section": "delivery"}),
    path("checkout/payment/", views.checkout_step_moved, {"section": "payment"}),
    path("checkout/review/", views.checkout_review, name="checkout_review"),
    path("checkout/place/", views.place_order, name="place_order"),
    path("orders/inquiry/", views.inquiry, name="inquiry"),
    path("orders/mine/", views.my_orders, name="my_orders"),
    path("orders/mine/<order_number:number>/", views.my_order, name="detail"),
    path("orders/confirmation/<order_number:number>/", views.confirmation, name="confirmation"),
]
