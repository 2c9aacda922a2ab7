"""The cache-backed attempt counters behind the 429 answers."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from accounts import throttling
from accounts.throttling import Rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/min", Rate(5, 60)),
        ("10/15min", Rate(10, 900)),
        ("3/hour", Rate(3, 3600)),
        (" 100 / day ", Rate(100, 86400)),
        ("1/s", Rate(1, 1)),
    ],
)
def test_rates_parse(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["5", "five/min", "5/fortnight", "5/min/extra", "-1/min"])
def test_malformed_rates_are_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured, match="Throttle rate"):
        Rate.parse(text)


def test_an_empty_rate_switches_a_scope_off(settings):
    settings.AUTH_THROTTLE_RATES = {"login_ip": ""}

    assert all(throttling.hit("login_ip", "203.0.113.1") is None for _ in range(100))


def test_counters_are_per_scope_and_identity(settings):
    settings.AUTH_THROTTLE_RATES = {"login_ip": "2/min", "login_email": "2/min"}

    assert [throttling.hit("login_ip", "a") for _ in range(2)] == [None, None]
    assert throttling.hit("login_ip", "a") is not None
    assert throttling.hit("login_ip", "b") is None
    assert throttling.hit("login_email", "a") is None


def test_retry_after_points_at_the_end_of_the_window(settings, monkeypatch):
    settings.AUTH_THROTTLE_RATES = {"login_ip": "1/min"}
    monkeypatch.setattr(throttling.time, "time", lambda: 6_000_045.2)  # 45.2 s into a window

    throttling.hit("login_ip", "a")

    assert throttling.hit("login_ip", "a") == 15


def test_a_new_window_starts_a_new_count(settings, monkeypatch):
    settings.AUTH_THROTTLE_RATES = {"login_ip": "1/min"}
    now = [6_000_000.0]
    monkeypatch.setattr(throttling.time, "time", lambda: now[0])
    throttling.hit("login_ip", "a")
    assert throttling.hit("login_ip", "a") is not None

    now[0] += 60

    assert throttling.hit("login_ip", "a") is None


def test_first_refusal_stops_counting_at_the_first_exhausted_scope(settings):
    settings.AUTH_THROTTLE_RATES = {"login_ip": "1/min", "login_email": "1/min"}
    assert throttling.first_refusal(("login_ip", "ip"), ("login_email", "victim")) is None

    assert throttling.first_refusal(("login_ip", "ip"), ("login_email", "victim")) is not None
    # the refused attempt never reached the per-email counter, so the owner can still try
    settings.AUTH_THROTTLE_RATES = {"login_ip": "", "login_email": "2/min"}
    assert throttling.first_refusal(("login_email", "victim")) is None


def request_from(remote_addr: str, forwarded_for: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().post("/api/login/", REMOTE_ADDR=remote_addr, **extra)


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert throttling.client_ip(request_from("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


def test_behind_one_proxy_the_address_it_saw_is_used_not_what_the_client_claims(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = request_from("10.0.0.2", "6.6.6.6, 198.51.100.7")

    assert throttling.client_ip(spoofed) == "198.51.100.7"
    assert throttling.client_ip(request_from("10.0.0.2", "198.51.100.8")) == "198.51.100.8"
    assert throttling.client_ip(request_from("10.0.0.2")) == "10.0.0.2"
