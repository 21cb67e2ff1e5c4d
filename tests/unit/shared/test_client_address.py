"""The client behind trusted proxies (shared.client_address)."""

from __future__ import annotations

import pytest

from shared.client_address import client_address, networks

TRUSTED = networks("127.0.0.1/32, 10.42.0.0/16, ::1/128")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # an untrusted peer's header: ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # the portal names the browser
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # written by the client: ignored
        ("10.42.3.4", "198.51.100.1, 127.0.0.1", "198.51.100.1"),  # ingress, then the portal
        ("127.0.0.1", None, "127.0.0.1"),  # a local call without the header
        ("127.0.0.1", "not-an-address", "not-an-address"),  # one hop named, whatever it says
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_vouches_for(
    peer: str, forwarded: str | None, client: str
) -> None:
    assert client_address(peer, forwarded, TRUSTED) == client


def test_a_malformed_network_fails_at_start() -> None:
    with pytest.raises(ValueError):
        networks("10.0.0.0/8, everywhere")
