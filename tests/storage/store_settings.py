"""Point the s3_media fixture's settings at another bucket, endpoint or credentials, as an
operator's mistaken .env would: the S3_* settings and django-storages' options move together."""

from django.conf import settings as django_settings

_OPTION_OF_SETTING = {
    "S3_BUCKET": "bucket_name",
    "S3_ENDPOINT_URL": "endpoint_url",
    "S3_ACCESS_KEY_ID": "access_key",
    "S3_SECRET_ACCESS_KEY": "secret_key",
    "S3_SESSION_TOKEN": "security_token",
}


def reconfigure_store(settings, **values: str) -> None:
    """reconfigure_store(settings, S3_BUCKET="other") after the s3_media fixture."""
    options = dict(django_settings.STORAGES["default"]["OPTIONS"])
    for name, value in values.items():
        setattr(settings, name, value)
        options[_OPTION_OF_SETTING[name]] = value
    # Assigning STORAGES fires setting_changed, which drops Django's cached storages.
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {**django_settings.STORAGES["default"], "OPTIONS": options},
    }


def store_environment(settings) -> dict[str, str]:
    """The current s3 settings as the environment a manage.py child process reads."""
    return {
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
        "S3_BUCKET": settings.S3_BUCKET,
        "S3_REGION": settings.S3_REGION,
        "S3_ACCESS_KEY_ID": settings.S3_ACCESS_KEY_ID,
        "S3_SECRET_ACCESS_KEY": settings.S3_SECRET_ACCESS_KEY,
        "S3_SESSION_TOKEN": settings.S3_SESSION_TOKEN,
    }
