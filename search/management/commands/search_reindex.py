from django.core.management.base import BaseCommand

from catalog.models import Product
from core.progress import ProgressBar
from search.services import index_all_products


class Command(BaseCommand):
    help = "Rebuild the search document of every product (after bulk imports)."

    def handle(self, *args, **options):
        bar = ProgressBar(Product.objects.count(), label="Indexing", stream=self.stdout)
        total = index_all_products(progress=bar.update)
        bar.close()
        self.stdout.write(self.style.SUCCESS(f"Indexed {total:,} products."))
