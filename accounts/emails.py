"""The account mails: a plain-text and an HTML part, each linking to the front end."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts.models import User
from accounts.tokens import (
    ExpiringTokenGenerator,
    activation_token_generator,
    password_reset_token_generator,
    uid_encode,
)


@dataclass(frozen=True)
class AccountMail:
    template: str
    subject: str
    url_template_setting: str
    token_generator: ExpiringTokenGenerator

    def link(self, user: User) -> str:
        return getattr(settings, self.url_template_setting).format(
            frontend=settings.FRONTEND_URL,
            uid=uid_encode(user.pk),
            token=self.token_generator.make_token(user),
        )

    def send(self, user: User) -> None:
        context = {
            "email": user.email,
            "link": self.link(user),
            "valid_for": _duration_text(self.token_generator.lifetime_seconds),
        }
        send_mail(
            subject=self.subject,
            message=render_to_string(f"accounts/emails/{self.template}.txt", context),
            html_message=render_to_string(f"accounts/emails/{self.template}.html", context),
            from_email=None,
            recipient_list=[user.email],
        )


ACCOUNT_MAILS = {
    "activation": AccountMail(
        template="activation",
        subject="Confirm your Videoflix account",
        url_template_setting="ACTIVATION_URL_TEMPLATE",
        token_generator=activation_token_generator,
    ),
    "password_reset": AccountMail(
        template="password_reset",
        subject="Reset your Videoflix password",
        url_template_setting="PASSWORD_RESET_URL_TEMPLATE",
        token_generator=password_reset_token_generator,
    ),
}


def _duration_text(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"
