from django.core.management.base import BaseCommand

from catalog.images import fill_small_thumbnails


class Command(BaseCommand):
    help = (
        "Write the small thumbnail (240 px: gallery, cart, search suggestions) of every product "
        "picture uploaded before it existed. Safe to run again; pictures that have one are "
        "left alone."
    )

    def handle(self, *args, **options):
        written, unreadable = fill_small_thumbnails()
        for name in unreadable:
            self.stderr.write(f"Could not read {name}: it keeps its listing thumbnail.")
        self.stdout.write(f"{written} small thumbnail{'' if written == 1 else 's'} written.")
