from django.apps import AppConfig


class VideoflixConfig(AppConfig):
    name = "videoflix"
    verbose_name = "Videoflix"
