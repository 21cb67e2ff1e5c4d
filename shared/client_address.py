"""Who sent a request, when proxies stand between: the peer's address, unless the peer is a
proxy the deployment trusts (``OCOP_TRUSTED_PROXIES``: networks, comma-separated), in which
case the address that proxy says it got the request from (the last ``X-Forwarded-For`` entry),
and so on while the addresses are trusted proxies.

A proxy that is not trusted cannot make anyone look like someone else: its header is ignored.
The portal is such a proxy for the people who sign in through it: it passes the browser's
address on, so the sign-in limits count per person, not per portal (ADR 0002). By default
only this machine is trusted (``ocop up``: the portal and the APIs on 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

Network = IPv4Network | IPv6Network


def networks(spec: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1/32"`` as networks; a malformed entry fails at start."""
    return tuple(ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _trusted(address: str, trusted: Iterable[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    trusted = tuple(trusted)
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    address = peer
    while hops and _trusted(address, trusted):
        address = hops.pop()
    return address


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR`` becomes the client's address as above, so everything
    downstream (rate limits, logs) sees the person, not the proxy."""

    def __init__(self, app: Callable[..., Any], trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = environ.get("REMOTE_ADDR") or ""
        environ["REMOTE_ADDR"] = client_address(
            peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted
        )
        return self.app(environ, start_response)
