from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product"),
    path("series/<slug:slug>/", views.SeriesView.as_view(), name="series"),
    path("category/<slug:slug>/", views.CategoryView.as_view(), name="category"),
]
