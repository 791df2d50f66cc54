"""The SSRF rule: only public http(s) addresses, unless private ones are allowed."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from app.webhooks import ssrf
from app.webhooks.ssrf import RefusedAddress, check_url, create_connection

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://10.0.0.5/",
    "http://172.16.1.1/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",  # shared address space
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",  # reserved
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
]

PUBLIC = [
    "http://93.184.216.34/hook",
    "https://93.184.216.34:8443/hook?x=1",
    "https://[2606:4700:4700::1111]/hook",
    "http://[::ffff:93.184.216.34]/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_are_refused(url: str) -> None:
    error = check_url(url, allow_private=False)
    assert error is not None and "not a public address" in error


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_pass_when_allowed(url: str) -> None:
    assert check_url(url, allow_private=True) is None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_are_allowed(url: str) -> None:
    assert check_url(url, allow_private=False) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://93.184.216.34/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://93.184.216.34/", "http:// or https://"),
        ("93.184.216.34/hook", "http:// or https://"),
        ("http://user:pw@93.184.216.34/", "user name or password"),
        ("http://user@93.184.216.34/", "user name or password"),
        ("http:///hook", "no host"),
        ("http://93.184.216.34:99999/", "port"),
        ("http://93.184.216.34:x/", "port"),
        ("http://93.184.216.34/a b", "spaces or control characters"),
        ("http://93.184.216.34/\r\nX: y", "spaces or control characters"),
        ("", "empty"),
    ],
)
def test_malformed_urls_are_refused_even_when_private_is_allowed(url: str, words: str) -> None:
    error = check_url(url, allow_private=True)
    assert error is not None and words in error


def _resolving_to(*addresses: str) -> Any:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", _resolving_to("93.184.216.34", "10.1.2.3"))
    error = check_url("https://hooks.example.com/x", allow_private=False)
    assert error is not None and "10.1.2.3" in error and "hooks.example.com" in error


def test_a_name_with_public_addresses_only_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", _resolving_to("93.184.216.34"))
    assert check_url("https://hooks.example.com/x", allow_private=False) is None


def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fail)
    error = check_url("https://nowhere.invalid/", allow_private=True)
    assert error is not None and "does not resolve" in error


def test_the_connection_refuses_a_private_address_at_connect_time() -> None:
    """DNS rebinding: whatever the name said at check time, the socket's address counts."""
    with pytest.raises(RefusedAddress, match="not a public address"):
        create_connection(("127.0.0.1", 9), 1.0, allow_private=False)


def test_the_connection_reaches_a_private_address_when_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with create_connection(("127.0.0.1", port), 1.0, allow_private=True) as sock:
            assert sock.getpeername()[1] == port
