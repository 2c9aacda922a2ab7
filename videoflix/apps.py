from django.apps import AppConfig


class VideoflixConfig(AppConfig):
    name = "videoflix"
    verbose_name = "Videoflix"

    def ready(self) -> None:
        from videoflix import checks  # noqa: F401  (registers the system checks)
