"""Background work of the accounts app: mail delivery and token housekeeping."""

import logging

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from ninja_jwt.token_blacklist.models import OutstandingToken

from accounts.emails import ACCOUNT_MAILS
from accounts.models import User

logger = logging.getLogger(__name__)


@db_task(
    retries=settings.ACCOUNT_EMAIL_RETRIES,
    retry_delay=settings.ACCOUNT_EMAIL_RETRY_DELAY_SECONDS,
    retry_backoff=2,
)
def send_account_email(kind: str, user_id: int) -> None:
    """Render and send one account mail; a failing mail server means a later retry.

    The link's token is made here, at sending time, so the queue only ever holds ids.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        logger.info("Not sending the %s mail: user %s no longer exists.", kind, user_id)
        return
    ACCOUNT_MAILS[kind].send(user)


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_tokens() -> int:
    """Delete refresh tokens past their expiry; their blacklist entries go with them."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    logger.info("Purged %s expired token rows.", deleted)
    return deleted


@db_periodic_task(crontab(minute="47"))
def purge_unactivated_accounts() -> int:
    """Delete accounts never activated whose links have expired: their addresses are free again."""
    deleted, _ = User.objects.unactivated_expired().delete()
    logger.info("Purged %s never-activated accounts.", deleted)
    return deleted
