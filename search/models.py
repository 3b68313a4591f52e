from django.contrib.postgres.search import SearchVectorField
from django.db import models

from catalog.models import Product


class ProductDocument(models.Model):
    """What search matches a product by, kept current when the product or its taxonomy changes.

    On PostgreSQL ``document`` is a weighted tsvector with a GIN index (name and SKUs A,
    series and category B, description D) that finds the matches; ``title`` (name A, series and
    category B) is the small vector they are ranked by, so ranking thousands of matches never
    unpacks their descriptions. The text columns are what the vectors are built from; on
    PostgreSQL ``index_products`` empties ``skus``, ``taxonomy`` and ``body`` once the vectors
    are built (a narrow table is half the pages to visit). On SQLite they are matched directly.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    name = models.CharField(max_length=200)
    skus = models.TextField(blank=True)
    taxonomy = models.TextField(blank=True)
    body = models.TextField(blank=True)
    document = SearchVectorField(null=True)
    title = SearchVectorField(null=True)
    # Denormalized so a plain search never joins the product table (see index_products).
    is_active = models.BooleanField(default=True)
    # Denormalized so ranking never scans variants: refreshed on variant saves and orders.
    in_stock = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Lexeme(models.Model):
    """A word of the catalog, for "Did you mean …?" suggestions (trigram index on PostgreSQL)."""

    word = models.CharField(max_length=60, unique=True)

    def __str__(self) -> str:
        return self.word


class SearchCount(models.Model):
    """How often a normalized query was searched on a day (no personal data)."""

    query = models.CharField(max_length=100)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    results = models.PositiveIntegerField(default=0, help_text="Results of the latest search.")

    class Meta:
        ordering = ["-day", "-count"]
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="searchcount_query_day"),
        ]
        indexes = [
            models.Index(fields=["day", "-count"], name="searchcount_day_count"),
            models.Index(fields=["results", "day"], name="searchcount_results_day"),
        ]
        verbose_name = "search count"

    def __str__(self) -> str:
        return f"{self.query} ({self.day}: {self.count})"
