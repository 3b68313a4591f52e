from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout_contact, name="checkout"),
    path("checkout/contact/", views.checkout_contact, name="checkout_contact"),
    path("checkout/address/", views.checkout_address, name="checkout_address"),
    path("checkout/delivery/", views.checkout_delivery, name="checkout_delivery"),
    path("checkout/payment/", views.checkout_payment, name="checkout_payment"),
    path("checkout/review/", views.checkout_review, name="checkout_review"),
    path("checkout/place/", views.place_order, name="place_order"),
    path("orders/inquiry/", views.inquiry, name="inquiry"),
    path("orders/mine/", views.my_orders, name="my_orders"),
    path("orders/mine/<str:number>/", views.my_order, name="detail"),
    path("orders/confirmation/<str:number>/", views.confirmation, name="confirmation"),
]
