from django.urls import path

from . import views

app_name = "cart"

urlpatterns = [
    path("", views.cart_detail, name="detail"),
    path("add/", views.add, name="add"),
    path("lines/<int:line_id>/", views.update_line, name="update_line"),
    path("lines/<int:line_id>/remove/", views.remove_line, name="remove_line"),
    path("clear/", views.clear, name="clear"),
]
