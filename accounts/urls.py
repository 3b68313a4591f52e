from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<int:pk>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", views.address_make_default, name="address_make_default"),
    path("data/", views.your_data, name="your_data"),
    path("close/", views.close_account, name="close_account"),
]
