import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoflix.settings")

application = get_wsgi_application()

# Behind nginx in X-Accel-Redirect mode nginx sends segments; else the fast path does.
if settings.STREAMING_FAST_PATH and not settings.STREAMING_X_ACCEL:
    from streaming.fastpath import SegmentFastPath

    application = SegmentFastPath(application)
