"""The outbound policy itself: which addresses are refused, every resolved address is checked, and
the connection goes to the address that was checked (a second DNS answer cannot redirect it)."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

from gatehouse.federation.outbound import (
    OutboundError,
    OutboundPolicy,
    is_forbidden,
    request,
    resolve,
    url_problem,
)
from tests.federation.conftest import Upstream
from tests.notifications.smtp_servers import make_certificate, server_tls

pytestmark = pytest.mark.anyio

OPEN = OutboundPolicy(allow_http=True, allow_private=True, timeout=2.0)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("239.255.255.250", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_non_public_addresses_are_forbidden(address: str, forbidden: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    ("url", "allow_http", "refused"),
    [
        ("https://idp.example.com/as", False, False),
        ("http://idp.example.com/as", False, True),
        ("http://idp.example.com/as", True, False),
        ("file:///etc/passwd", True, True),
        ("gopher://idp.example.com", True, True),
        ("https://user:secret@idp.example.com", False, True),
        ("https:///path", False, True),
        ("https://idp.example.com/#frag", False, True),
    ],
)
def test_url_policy(url: str, allow_http: bool, refused: bool) -> None:
    assert (url_problem(url, allow_http=allow_http) is not None) is refused


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the names in `answers` as given (each lookup is recorded)."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    looked_up: list[str] = []

    async def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return await real(host, port, *args, **kwargs)
        looked_up.append(host)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in answers[host]
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return looked_up


async def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"mixed.test": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(OutboundError, match=r"10\.0\.0\.7"):
        await resolve("mixed.test", 443, OutboundPolicy())
    assert await resolve("mixed.test", 443, OPEN) == [
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("10.0.0.7"),
    ]


async def test_the_connection_goes_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, upstream: Upstream
) -> None:
    """`rebind.test` exists only in the checked answer: the request reaches the upstream server
    through that address, once, with the name kept in the Host header."""
    port = upstream.base_url.rsplit(":", 1)[1]
    looked_up = _fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1"]})
    upstream.answer("/pinned", {"ok": True})
    response = await request("GET", f"http://rebind.test:{port}/pinned", OPEN)
    assert response.status_code == 200 and response.body == b'{"ok": true}'
    assert upstream.hosts[-1] == f"rebind.test:{port}"
    assert looked_up == ["rebind.test"]


async def test_posts_send_forms_and_do_not_follow_redirects(upstream: Upstream) -> None:
    upstream.answer("/token", {}, status=302, headers={"Location": "/elsewhere"})
    response = await request("POST", f"{upstream.base_url}/token", OPEN, form={"a": "b c"})
    assert response.status_code == 302
    assert upstream.forms[-1] == b"a=b+c"


async def test_https_trusts_the_configured_certificate_authority(
    tmp_path: Path,
) -> None:
    certificate = make_certificate(tmp_path)
    server = Upstream(tls=server_tls(certificate))
    try:
        url = server.answer("/ok", {"ok": True})
        with pytest.raises(OutboundError, match="Could not connect"):
            await request("GET", url, OPEN)  # a self-signed certificate is not trusted
        trusting = dataclasses.replace(OPEN, ca_file=str(certificate[0]))
        assert (await request("GET", url, trusting)).body == b'{"ok": true}'
        unreadable = dataclasses.replace(OPEN, ca_file=str(tmp_path / "missing.pem"))
        with pytest.raises(OutboundError, match="cannot be read"):
            await request("GET", url, unreadable)
    finally:
        server.close()
