"""Every HTTP request Gatehouse sends to another server (identity providers, applications'
jwksUrl through federation.key_sets, phone providers, DaVinci HTTP calls) goes under one policy,
so an administrator cannot make Gatehouse reach what it should not:

- only http(s) URLs without credentials in them; https only unless `allow_http`;
- the host is resolved first and every address it resolves to must be public (not loopback,
  private, link-local, multicast, reserved or unspecified) unless `allow_private`; the connection
  then goes to the checked address itself (the Host header and TLS server name stay the host's),
  so a second DNS answer cannot swap in another address (DNS rebinding);
- redirects are followed for GET only, at most 3, and only on the same host;
- the whole exchange has one time limit, and the response body a size limit;
- TLS certificates are verified against certifi's authorities (httpx's default), plus those of `ca_file` when set
  (an internal certificate authority);
- proxies from the process environment are ignored (they would bypass the address check).

Every refusal or failure is an OutboundError whose message names the problem and the URL.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from gatehouse.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_BYTES = 1_048_576
MAX_REDIRECTS = 3
DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(Exception):
    """An outbound request refused by the policy or failed; the message names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OutboundPolicy:
    allow_http: bool = False
    allow_private: bool = False
    timeout: float = 5.0
    max_bytes: int = MAX_BYTES
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(
            allow_http=settings.outbound_allow_http,
            allow_private=settings.outbound_allow_private,
            timeout=settings.outbound_timeout_seconds,
            ca_file=str(settings.outbound_ca_file) if settings.outbound_ca_file else None,
        )


@dataclass(frozen=True)
class OutboundResponse:
    url: str
    status_code: int
    content_type: str
    body: bytes


def url_problem(url: str, *, allow_http: bool) -> str | None:
    """Why the policy refuses `url` before any network access; None when it does not."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decoded lazily: an invalid IDNA name fails here
    except (httpx.InvalidURL, ValueError):
        return f"{url!r} is not a valid URL."
    if parsed.scheme not in DEFAULT_PORTS:
        return f"{url!r} must be an {'http(s)' if allow_http else 'https'} URL."
    if parsed.scheme == "http" and not allow_http:
        return f"{url!r} must use https."
    if not host:
        return f"{url!r} has no host."
    if parsed.userinfo:
        return f"{url!r} must not carry credentials."
    if parsed.fragment:
        return f"{url!r} must not have a fragment."
    return None


async def request(
    method: str,
    url: str,
    policy: OutboundPolicy,
    *,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> OutboundResponse:
    """Send one request under the policy (redirects followed for GET) and read the response.
    The body is `form` (url-encoded) or `content` (raw bytes, its Content-Type in `headers`)."""
    try:
        async with asyncio.timeout(policy.timeout):
            return await _follow(method, url, policy, dict(headers or {}), form, content)
    except TimeoutError:
        raise OutboundError(f"{url} did not answer within {policy.timeout:g} seconds.") from None


async def _follow(
    method: str,
    url: str,
    policy: OutboundPolicy,
    headers: dict[str, str],
    form: Mapping[str, str] | None,
    content: bytes | None = None,
) -> OutboundResponse:
    current = _checked(url, policy)
    async with httpx.AsyncClient(
        trust_env=False,
        follow_redirects=False,
        timeout=policy.timeout,
        verify=tls_context(policy.ca_file),
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            outgoing = await _pinned_request(
                client, method, current, policy, headers, form, content
            )
            response = await _send(client, outgoing, current, policy)
            try:
                location = response.headers.get("location")
                if method != "GET" or not response.is_redirect or not location:
                    return await _read(current, response, policy)
            finally:
                await response.aclose()
            current = _redirect_target(current, location, policy)
    raise OutboundError(f"{url} redirected more than {MAX_REDIRECTS} times.")


@functools.lru_cache(maxsize=8)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The verifying TLS context of outbound requests (built once per CA file)."""
    context = httpx.create_ssl_context(trust_env=False)  # certifi's authorities
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError):
            raise OutboundError(
                f"The certificate authorities in {ca_file} cannot be read."
            ) from None
    return context


def _checked(url: str, policy: OutboundPolicy) -> httpx.URL:
    problem = url_problem(url, allow_http=policy.allow_http)
    if problem:
        raise OutboundError(problem)
    return httpx.URL(url)


def _redirect_target(current: httpx.URL, location: str, policy: OutboundPolicy) -> httpx.URL:
    try:
        joined = str(current.join(location))
    except (httpx.InvalidURL, ValueError):
        raise OutboundError(f"{current} redirected to an invalid URL.") from None
    target = _checked(joined, policy)
    if target.host != current.host or _port(target) != _port(current):
        raise OutboundError(f"{current} redirected to another host ({target.host}).")
    return target


async def _pinned_request(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    policy: OutboundPolicy,
    headers: dict[str, str],
    form: Mapping[str, str] | None,
    content: bytes | None = None,
) -> httpx.Request:
    """The request addressed to the checked address of the URL's host, which stays the Host
    header and the TLS server name (the certificate is verified against it)."""
    address = (await resolve(url.host, _port(url), policy))[0]
    sni = {"sni_hostname": url.host} if url.scheme == "https" and not _is_ip(url.host) else {}
    return client.build_request(
        method,
        url.copy_with(host=str(address)),
        headers={**headers, "Host": url.netloc.decode("ascii")},
        data=dict(form) if form is not None else None,
        content=content if form is None else None,
        extensions=sni,
    )


async def _send(
    client: httpx.AsyncClient, outgoing: httpx.Request, url: httpx.URL, policy: OutboundPolicy
) -> httpx.Response:
    try:
        return await client.send(outgoing, stream=True)
    except httpx.TimeoutException:
        raise OutboundError(f"{url} did not answer within {policy.timeout:g} seconds.") from None
    except httpx.HTTPError as error:
        raise OutboundError(f"Could not connect to {url} ({type(error).__name__}).") from None


async def _read(
    url: httpx.URL, response: httpx.Response, policy: OutboundPolicy
) -> OutboundResponse:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_large(url, policy)
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > policy.max_bytes:
                raise _too_large(url, policy)
    except httpx.HTTPError as error:
        raise OutboundError(
            f"Reading the answer of {url} failed ({type(error).__name__})."
        ) from None
    return OutboundResponse(
        url=str(url),
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=bytes(body),
    )


def _too_large(url: httpx.URL, policy: OutboundPolicy) -> OutboundError:
    return OutboundError(f"The answer of {url} is larger than {policy.max_bytes} bytes.")


async def resolve(host: str, port: int, policy: OutboundPolicy) -> list[IPAddress]:
    """The addresses of `host`, every one of them allowed by the policy."""
    if _is_ip(host):
        addresses = [ipaddress.ip_address(host)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            raise OutboundError(f"The host {host} cannot be resolved.") from None
        # an IPv6 link-local answer may carry its zone ("fe80::1%eth0")
        found = (str(info[4][0]).split("%", 1)[0] for info in infos)
        addresses = list(dict.fromkeys(ipaddress.ip_address(address) for address in found))
    if not addresses:
        raise OutboundError(f"The host {host} cannot be resolved.")
    if not policy.allow_private:
        for address in addresses:
            if is_forbidden(address):
                raise OutboundError(
                    f"The host {host} resolves to {address}, a loopback, private or otherwise "
                    "non-public address."
                )
    return addresses


def is_forbidden(address: IPAddress) -> bool:
    """Whether an address is not a public unicast one (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port(url: httpx.URL) -> int:
    return url.port or DEFAULT_PORTS[url.scheme]
