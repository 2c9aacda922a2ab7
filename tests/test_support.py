"""The suite's own helpers where a mistake would make other tests flaky."""

import socket

from tests.support import _ephemeral_range_start, free_port


def test_free_ports_come_from_below_the_ephemeral_range_and_never_twice():
    # Outgoing connections take their local ports from the ephemeral range; a port chosen now
    # and bound minutes later must not be one of those.
    ports = [free_port() for _ in range(200)]

    assert len(set(ports)) == len(ports)
    assert all(1024 < port < _ephemeral_range_start() for port in ports)


def test_the_preferred_port_when_it_is_free_and_another_when_it_is_not():
    preferred = free_port()
    assert free_port(preferred) == preferred  # released again: still the one asked for

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", preferred))
        taken.listen()
        other = free_port(preferred)

    assert other != preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", other))  # free indeed
