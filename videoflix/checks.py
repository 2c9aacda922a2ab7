"""System checks of the deployment as a whole: with MEDIA_STORAGE=s3, `manage.py check` (and every
command that runs the checks, such as the worker's run_huey) says in one sentence when the object
store is unreachable, refuses our credentials or lacks the bucket."""

from django.conf import settings
from django.core.checks import Error, register

from catalog.objectstore import StoreProblem, admin_client, bucket_check


@register("storage")
def check_object_store(app_configs, **kwargs) -> list[Error]:
    if settings.MEDIA_STORAGE != "s3":
        return []
    try:
        bucket_check(admin_client())
    except StoreProblem as problem:
        return [Error(str(problem), id="videoflix.E001")]
    return []
