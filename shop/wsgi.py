import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

application = get_wsgi_application()

# Page-cache hits of visitors without a session are answered before Django's handler, when the
# page cache is on (imported after set-up: it reads the settings).
from core.pagecache_wsgi import with_page_cache_front  # noqa: E402

application = with_page_cache_front(application)
