"""Where webhooks may go: public http(s) addresses only, unless private ones are allowed.

A webhook URL is typed by an admin (or written in a workflow), and the worker that POSTs to
it sits inside the network: without a check, a URL could reach the metadata service, the
database or an internal admin page (server-side request forgery). `check_url` refuses such a
URL when it is saved and again right before each delivery (its DNS may have changed since);
`create_connection` repeats the address check when the socket connects, so a name that
resolves to a public address for the check and a private one for the request (DNS
rebinding) is refused as well.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import gettext as _

__all__ = ["RefusedAddress", "check_url", "create_connection", "refused"]

SCHEMES = ("http", "https")
# NAT64 (RFC 6052): the last 32 bits are the IPv4 address the gateway connects to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(OSError):
    """A webhook connection to an address the SSRF rule forbids."""


def _embedded(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), else `address`."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refused(address: str) -> bool:
    """True for an address a webhook must not reach: anything but a global unicast one."""
    try:
        ip = _embedded(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global  # shared address space (100.64.0.0/10) and the like
    )


def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (raises OSError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _parse(url: str) -> tuple[str, int] | str:
    """(host, port) of an acceptable URL, or the error message."""
    if not url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return _("The URL is empty or contains spaces or control characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        return _("The URL must start with http:// or https://.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return _("The URL must not contain a user name or password.")
    if not parts.hostname:
        return _("The URL has no host.")
    try:
        port = parts.port
    except ValueError:
        return _("The URL's port is not a number from 0 to 65535.")
    default = 443 if parts.scheme.lower() == "https" else 80
    return parts.hostname, default if port is None else port


def check_url(url: str, allow_private: bool) -> str | None:
    """Why a webhook may not POST to `url`, or None when it may.

    http and https only, a host, no user name or password; every address the host resolves
    to must be public unless `allow_private` (loopback, private, link-local, multicast,
    reserved, unspecified and IPv6 forms of such IPv4 addresses are refused).
    """
    parsed = _parse(url)
    if isinstance(parsed, str):
        return parsed
    host, port = parsed
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        return _("The host %(host)s does not resolve: %(error)s", host=host, error=exc)
    if not addresses:
        return _("The host %(host)s does not resolve.", host=host)
    if allow_private:
        return None
    for address in addresses:
        if refused(address) and address == host.strip("[]"):
            return _("The address %(address)s is not a public address.", address=address)
        if refused(address):
            return _(
                "The host %(host)s resolves to %(address)s, which is not a public address.",
                host=host,
                address=address,
            )
    return None


def create_connection(
    address: tuple[str, int],
    timeout: object = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool,
) -> socket.socket:
    """`socket.create_connection`, connecting only to addresses the SSRF rule allows.

    Raises RefusedAddress when every address of the host is refused.
    """
    host, port = address
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if not allow_private and refused(str(sockaddr[0])):
            last_error = RefusedAddress(
                _("Refused to connect to %(address)s: not a public address.",
                  address=sockaddr[0])
            )
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is None or isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address is not None:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock
    raise last_error or OSError(_("The host %(host)s does not resolve.", host=host))
