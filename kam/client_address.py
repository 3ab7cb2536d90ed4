"""The address a request comes from, proxy-aware through a configured list of trusted proxies.

X-Forwarded-For is written by whoever sends the request, so it is read only when the peer
(REMOTE_ADDR) is one of settings.TRUSTED_PROXIES, and then from the right: each trusted proxy
appends the address it received the request from, so the first hop, right to left, that is not
a trusted proxy is the client. Anything to its left was written by the client and is ignored.
django-ipware is not used: its trusted-proxy test matches addresses inside the header and
never the peer, so a client that connects directly can still name any address it likes.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(value: str) -> Address | None:
    """An address as a proxy writes it (optionally with a port), or None when it is not one."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 203.0.113.9:443
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def trusted_proxy_networks() -> list[Network]:
    # The settings hold the list already checked and normalised (kam/settings/base.py).
    return [ipaddress.ip_network(proxy) for proxy in settings.TRUSTED_PROXIES]


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the peer's, or the one our trusted proxies say they received."""
    address = parse_address(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return None
    trusted = trusted_proxy_networks()
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if not any(address in network for network in trusted):
            break
        forwarded = parse_address(hop)
        if forwarded is None:
            # No client of ours has this for an address: keep the last proxy that we trust.
            break
        address = forwarded
    return str(address)
