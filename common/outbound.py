"""Requests to team-supplied addresses (today: target models' base URLs), kept inside the public
internet and to the origin a team registered.

A team names a URL; the platform's workers POST to it from inside the operator's network. Unchecked,
that URL could be the cloud metadata service (169.254.169.254), the database, Label Studio or this
platform's own API (SSRF), and the reply would come back to the team in its run's errors. So:

- `url_check(url)`, at registration: http(s), a host, no credentials in the URL; the host is
  resolved and EVERY address must be public, or allowed by the operator (BENCH_OUTBOUND_ALLOW:
  CIDRs, or host[:port] entries that allow a named host whatever it resolves to). The platform's
  own origins are refused unless an entry names them exactly.
- `guarded_http_client(base_url=..., api_key=...)`, for the connection: an httpx2 client (what the
  `openai` package runs on) whose network backend resolves the host once, checks every address and
  connects to a checked one, while the Host header and TLS SNI still name the host: a DNS answer
  that changes between check and connection (rebinding) cannot slip through. It follows no
  redirect (a 3xx is an error), takes no proxy or .netrc from the environment, refuses a request
  that leaves the registered origin, and sends a fixed set of headers plus the team's own key, so
  nothing the SDK picks up from the server's environment (OPENAI_ORG_ID, OPENAI_PROJECT_ID,
  OPENAI_CUSTOM_HEADERS...) reaches a team's endpoint.

The platform's own LLM service (OPENAI_BASE_URL) and Label Studio are the operator's and are not
checked here."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

import httpcore2
import httpx2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_ALLOW_HINT = "the platform sends nothing there unless its operator allows it (BENCH_OUTBOUND_ALLOW)."

# Special-purpose ranges (IANA registries), each with the words the refusal uses.
_BLOCKED: list[tuple[IPNetwork, str]] = [(ip_network(net), why) for net, why in [
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a reserved address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a private (local-use NAT64) address"),
    ("100::/64", "a reserved address"),
    ("2001::/23", "a reserved address"),
    ("2001:db8::/32", "a documentation address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
    ("::/8", "a reserved address"),
]]
_NAT64 = ip_network("64:ff9b::/96")
# What a target model is sent besides the team's key; everything else the SDK adds is dropped.
_FORWARDED_HEADERS = frozenset({b"host", b"accept", b"accept-encoding", b"connection", b"content-type",
                                b"content-length", b"transfer-encoding", b"user-agent"})

# The resolver: the boundary tests stand in for when they need a name to resolve a given way.
_getaddrinfo = socket.getaddrinfo


class OutboundRefused(Exception):
    """A team-supplied address the platform will not send to; the message says why."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lower case, IDNA-encoded; an IP literal in its compressed form, without brackets
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _normal_host(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return ip_address(host).compressed
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise OutboundRefused(f"{host!r} is not a valid host name.") from exc
    if not host or any(not (c.isalnum() or c in "-._") for c in host):
        raise OutboundRefused(f"{host!r} is not a valid host name.")
    return host


def url_origin(url: str) -> Origin:
    """The origin (scheme, host, port) a URL sends to; OutboundRefused when it is not an http(s)
    URL with a host, or carries credentials (a key goes in the key field, stored encrypted)."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"{url!r} is not a valid URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("The URL must start with http:// or https://.")
    if not parts.hostname:
        raise OutboundRefused("The URL names no host.")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("Put no credentials in the URL; give the key as the API key.")
    return Origin(parts.scheme, _normal_host(parts.hostname), port or (443 if parts.scheme == "https" else 80))


def _embedded_ipv4(ip: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped ::ffff:a.b.c.d, 6to4, NAT64), else None."""
    if not isinstance(ip, IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str:
    """Why an address is not a public one ("a loopback address"), or "" when it is."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        reason = blocked_reason(embedded)
        return f"{reason} ({embedded})" if reason else ""
    for network, why in _BLOCKED:
        if ip.version == network.version and ip in network:
            return why
    return "" if ip.is_global else "not a public address"


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows (BENCH_OUTBOUND_ALLOW) and where the platform itself answers."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[tuple[str, int | None]] = frozenset()  # (host, port); port None: any port
    platform: frozenset[tuple[str, int]] = frozenset()  # (host or IP literal, port)
    platform_suffixes: tuple[tuple[str, int], ...] = field(default=())  # ALLOWED_HOSTS ".example.org"

    def allows_host(self, host: str, port: int) -> bool:
        return (host, port) in self.hosts or (host, None) in self.hosts

    def allows_address(self, ip: IPAddress) -> bool:
        candidates = [ip, *filter(None, [_embedded_ipv4(ip)])]
        return any(c.version == n.version and c in n for c in candidates for n in self.networks)

    def is_platform(self, host: str, port: int) -> bool:
        return (host, port) in self.platform or any(
            port == p and (host == suffix or host.endswith(f".{suffix}")) for suffix, p in self.platform_suffixes)


def _parse_allow_entry(entry: str) -> tuple[IPNetwork | None, tuple[str, int | None] | None]:
    """A CIDR or bare IP (any host resolving into it, any port), or host[:port] (that host as written)."""
    text = entry.strip()
    try:
        return ip_network(text, strict=False), None
    except ValueError:
        pass
    host, port = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        port_number = int(port) if port is not None else None
        if port_number is not None and not 0 < port_number < 65536:
            raise ValueError(port)
        return None, (_normal_host(host), port_number)
    except (ValueError, OutboundRefused) as exc:
        raise ImproperlyConfigured(f"BENCH_OUTBOUND_ALLOW: {entry!r} is neither a CIDR nor a host[:port].") from exc


@lru_cache(maxsize=16)
def _policy(allow: tuple[str, ...], platform_urls: tuple[str, ...], allowed_hosts: tuple[str, ...]) -> OutboundPolicy:
    networks, hosts = [], set()
    for entry in allow:
        network, host = _parse_allow_entry(entry)
        if network is not None:
            networks.append(network)
        else:
            hosts.add(host)
    origins = set()
    for url in platform_urls:
        try:
            origin = url_origin(url)
        except OutboundRefused:
            continue
        origins.add((origin.host, origin.port))
    ports = {port for _, port in origins} | {80, 443}
    suffixes = []
    for name in allowed_hosts:
        name = name.strip().lower().rstrip(".")
        if not name or name == "*":
            continue
        if name.startswith("."):
            suffixes.extend((name[1:], port) for port in sorted(ports))
            continue
        try:
            origins.update((_normal_host(name), port) for port in ports)
        except OutboundRefused:
            continue
    return OutboundPolicy(networks=tuple(networks), hosts=frozenset(hosts), platform=frozenset(origins),
                          platform_suffixes=tuple(suffixes))


def policy_from_settings() -> OutboundPolicy:
    """The operator's policy: BENCH_OUTBOUND_ALLOW, and the platform's own origins (its public and
    webhook URLs, Label Studio, and ALLOWED_HOSTS on the ports the platform serves)."""
    return _policy(tuple(settings.BENCH_OUTBOUND_ALLOW),
                   tuple(u for u in (settings.BENCH_PUBLIC_URL, settings.BENCH_WEBHOOK_BASE_URL,
                                     settings.LABEL_STUDIO_URL) if u),
                   tuple(settings.ALLOWED_HOSTS))


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = _getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"{host} does not resolve.") from exc
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            ip = ip_address(str(sockaddr[0]).split("%")[0])  # a scoped IPv6 address names its interface
            if ip not in addresses:
                addresses.append(ip)
    if not addresses:
        raise OutboundRefused(f"{host} does not resolve.")
    return addresses


def addresses_check(host: str, port: int, *, policy: OutboundPolicy) -> list[IPAddress]:
    """Resolve `host` and check every address it gives; the addresses to connect to, in the
    resolver's order. OutboundRefused names the first refused address (IPv4 before IPv6)."""
    host = _normal_host(host)
    if policy.allows_host(host, port):
        return _resolve(host, port)
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if policy.is_platform(host, port):
        raise OutboundRefused(f"{shown} is this platform itself: {_ALLOW_HINT}")
    addresses = _resolve(host, port)
    for ip in sorted(addresses, key=lambda a: (a.version, int(a))):
        reason = blocked_reason(ip)
        if reason and not policy.allows_address(ip):
            said = f"{ip} is" if ip.compressed == host else f"{host} resolves to {ip},"
            raise OutboundRefused(f"{said} {reason}: {_ALLOW_HINT}")
        if policy.is_platform(ip.compressed, port):  # e.g. another name of the platform's own address
            raise OutboundRefused(f"{shown} is this platform itself: {_ALLOW_HINT}")
    return addresses


def url_check(url: str, *, policy: OutboundPolicy | None = None) -> Origin:
    """Check a team-supplied URL before it is stored; its origin. OutboundRefused says why not."""
    origin = url_origin(url)
    addresses_check(origin.host, origin.port, policy=policy or policy_from_settings())
    return origin


class _PinnedBackend(httpcore2.SyncBackend):
    """Connects only to addresses checked a moment before, from one resolution of the host."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore2.NetworkStream:
        last: Exception | None = None
        for ip in addresses_check(host, port, policy=self._policy):
            try:
                return super().connect_tcp(ip.compressed, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except httpcore2.ConnectError as exc:  # the next address, as socket.create_connection would
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise OutboundRefused("A team's endpoint is never a local socket.")


class _GuardedTransport(httpx2.HTTPTransport):
    def __init__(self, *, origin: Origin, api_key: str, policy: OutboundPolicy, limits: httpx2.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx2 takes no network backend, its connection pool (httpcore2) does: the same pool as
        # httpx2 builds, on the pinned backend (HTTPTransport sends every request through _pool).
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(policy))
        self._origin = origin
        self._authorization = f"Bearer {api_key}".encode() if api_key else None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        try:
            origin = Origin(url.scheme, _normal_host(url.raw_host.decode("ascii")),
                            url.port or (443 if url.scheme == "https" else 80))
        except UnicodeError as exc:
            raise OutboundRefused("The request names an invalid host.") from exc
        if origin != self._origin:
            raise OutboundRefused(f"A request to {origin} left the registered origin {self._origin}.")
        headers = [(name, value) for name, value in request.headers.raw if name.lower() in _FORWARDED_HEADERS]
        if self._authorization is not None:
            headers.append((b"Authorization", self._authorization))
        request.headers = httpx2.Headers(headers)
        return super().handle_request(request)


def guarded_http_client(*, base_url: str, api_key: str = "", max_connections: int = 100,
                        policy: OutboundPolicy | None = None) -> httpx2.Client:
    """An httpx2 client for a team-supplied endpoint (pass it to `openai.OpenAI(http_client=...)`):
    checked and pinned addresses, no redirects, no environment, only `base_url`'s origin, and
    `api_key` (the team's own, or none) as the only credential."""
    limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport = _GuardedTransport(origin=url_origin(base_url), api_key=api_key,
                                  policy=policy or policy_from_settings(), limits=limits)
    return httpx2.Client(transport=transport, follow_redirects=False, trust_env=False)
