"""The `send_account_email` Huey task: templates, links, mail backends and retries."""

import datetime

import pytest
from django.core import mail
from huey.contrib.djhuey import HUEY

from accounts.models import User
from accounts.tasks import send_account_email
from tests.accounts.helpers import link_in_mail, link_in_text, register_body, uid_and_token
from tests.accounts.smtp_sink import SmtpSink, part_text

pytestmark = pytest.mark.django_db


def test_links_follow_the_configured_url_templates(settings, make_user):
    settings.FRONTEND_URL = "https://front.example"
    settings.ACTIVATION_URL_TEMPLATE = "{frontend}/welcome/{uid}/{token}"
    settings.PASSWORD_RESET_URL_TEMPLATE = "{frontend}/reset#u={uid}&t={token}"
    settings.ACTIVATION_TIMEOUT_SECONDS = 2 * 3600
    inactive = make_user(email="inactive@example.com", is_active=False)
    active = make_user(email="active@example.com")

    send_account_email("activation", inactive.pk)
    send_account_email("password_reset", active.pk)

    activation, reset = mail.outbox
    assert link_in_mail(activation).startswith("https://front.example/welcome/")
    assert link_in_mail(reset).startswith("https://front.example/reset#u=")
    assert "expires after 2 hours" in activation.body


def test_each_mail_has_a_text_and_an_html_part_with_the_same_link(make_user):
    user = make_user(is_active=False)

    send_account_email("activation", user.pk)

    message = mail.outbox[0]
    assert message.subject == "Confirm your Videoflix account"
    assert message.from_email == "Videoflix <noreply@videoflix.local>"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert html.lstrip().startswith("<!DOCTYPE html>")
    # the button, and the fallback address as link and as text
    assert html.count(link_in_mail(message).replace("&", "&amp;")) == 3
    assert "<" not in message.body


def test_a_user_deleted_before_sending_gets_no_mail_and_no_error(make_user):
    user = make_user()
    user_id = user.pk
    user.delete()

    send_account_email("password_reset", user_id)

    assert mail.outbox == []


def test_mails_go_out_through_an_anymail_provider(settings, make_user):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    user = make_user(is_active=False)

    send_account_email("activation", user.pk)

    sent = mail.outbox[0]
    assert sent.anymail_status.status == {"sent"}
    assert link_in_mail(sent).replace("&", "&amp;") in sent.anymail_test_params["html_body"]


def test_mails_go_out_through_the_console_backend(settings, make_user, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    user = make_user(is_active=False)

    send_account_email("activation", user.pk)

    printed = capsys.readouterr().out
    assert "Subject: Confirm your Videoflix account" in printed
    assert "/pages/auth/activate.html?uid=" in printed


def test_mails_go_out_through_smtp_as_text_and_html(smtp_at, make_user):
    user = make_user(is_active=False)
    with SmtpSink() as sink:
        smtp_at(sink.port)

        send_account_email("activation", user.pk)

    (received,) = sink.messages
    assert received["To"] == user.email
    assert received["Subject"] == "Confirm your Videoflix account"
    link = link_in_text(part_text(received, "text/plain"))
    assert link.replace("&", "&amp;") in part_text(received, "text/html")


def test_a_refused_smtp_connection_is_retried_later_and_the_retry_delivers(
    api, settings, smtp_at, unused_tcp_port
):
    smtp_at(unused_tcp_port)
    assert api.post("/api/register/", register_body()).status_code == 201

    retries = HUEY.scheduled()
    assert len(retries) == 1
    assert retries[0].name == "send_account_email"
    assert retries[0].retries == settings.ACCOUNT_EMAIL_RETRIES - 1
    delay = retries[0].eta - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert 0 < delay.total_seconds() <= settings.ACCOUNT_EMAIL_RETRY_DELAY_SECONDS

    with SmtpSink(port=unused_tcp_port) as sink:  # the mail server is back
        for task in HUEY.read_schedule(retries[0].eta):
            HUEY.execute(task, timestamp=task.eta)  # as the worker would, once the delay is over

    (received,) = sink.messages
    uid, token = uid_and_token(link_in_text(part_text(received, "text/plain")))
    assert api.get(f"/api/activate/{uid}/{token}/").status_code == 200
    assert User.objects.get().is_active
