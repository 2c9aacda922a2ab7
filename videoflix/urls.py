from django.contrib import admin
from django.urls import path

from videoflix.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler404 = "videoflix.errors.not_found"
handler500 = "videoflix.errors.server_error"
