"""Keep the authentication cache true: a saved or deleted user is read afresh."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.auth import forget_user


def _forget(sender, instance, **kwargs) -> None:
    # Now, so this request sees the change, and after commit, so no other request
    # re-caches the old row from before the transaction ended.
    forget_user(instance.pk)
    transaction.on_commit(lambda: forget_user(instance.pk))


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_forget, sender=user_model, dispatch_uid="accounts-forget-saved-user")
    post_delete.connect(_forget, sender=user_model, dispatch_uid="accounts-forget-deleted-user")
