"""The outbound policy for team-supplied addresses: which addresses are refused and why, what the
operator's BENCH_OUTBOUND_ALLOW allows, how URLs are read."""
from __future__ import annotations

from ipaddress import ip_address

import pytest
from django.core.exceptions import ImproperlyConfigured

from common import outbound


@pytest.mark.parametrize(("address", "reason"), [
    ("8.8.8.8", ""), ("93.184.215.14", ""), ("2606:4700::1111", ""),
    ("127.0.0.1", "a loopback address"), ("127.255.0.9", "a loopback address"), ("::1", "a loopback address"),
    ("169.254.169.254", "a link-local address"), ("fe80::1", "a link-local address"),
    ("10.0.0.5", "a private address"), ("172.31.255.255", "a private address"), ("192.168.0.1", "a private address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"), ("fd00::1", "a private (unique local) address"),
    ("0.0.0.0", "an unspecified address"), ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"), ("ff02::1", "a multicast address"),
    ("240.0.0.1", "a reserved address"), ("255.255.255.255", "a reserved address"),
    ("192.0.2.1", "a documentation address"), ("2001:db8::1", "a documentation address"),
    ("::ffff:127.0.0.1", "a loopback address (127.0.0.1)"),
    ("::ffff:169.254.169.254", "a link-local address (169.254.169.254)"),
    ("::ffff:8.8.8.8", ""), ("2002:0a00:0001::1", "a private address (10.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", "a link-local address (169.254.169.254)"),
])
def test_what_is_refused_and_why(address, reason):
    assert outbound.blocked_reason(ip_address(address)) == reason


def test_the_operators_allow_list():
    policy = outbound._policy(("10.0.0.0/8", "fd00::/8", "192.168.1.7", "vllm.internal:8000", "[::1]:9000",
                               "ollama"), (), ())
    assert [str(n) for n in policy.networks] == ["10.0.0.0/8", "fd00::/8", "192.168.1.7/32"]
    assert policy.hosts == {("vllm.internal", 8000), ("::1", 9000), ("ollama", None)}
    assert policy.allows_address(ip_address("10.9.9.9")) and policy.allows_address(ip_address("::ffff:10.0.0.1"))
    assert not policy.allows_address(ip_address("192.168.1.8"))
    assert policy.allows_host("ollama", 11434) and policy.allows_host("vllm.internal", 8000)
    assert not policy.allows_host("vllm.internal", 8001)
    with pytest.raises(ImproperlyConfigured) as bad:
        outbound._policy(("vllm.internal:http",), (), ())
    assert str(bad.value) == "BENCH_OUTBOUND_ALLOW: 'vllm.internal:http' is neither a CIDR nor a host[:port]."


def test_the_platform_is_its_urls_and_allowed_hosts_on_its_ports():
    policy = outbound._policy((), ("https://bench.example.org", "http://10.0.0.2:8000"), (".example.net", "*"))
    assert policy.is_platform("bench.example.org", 443) and policy.is_platform("10.0.0.2", 8000)
    assert policy.is_platform("api.example.net", 8000) and policy.is_platform("example.net", 443)
    assert not policy.is_platform("bench.example.org", 8443) and not policy.is_platform("example.com", 443)


@pytest.mark.parametrize(("url", "result"), [
    ("https://API.Example.com/v1", "https://api.example.com:443"),
    ("http://[::1]:8080/v1", "http://[::1]:8080"),
    ("http://example.com./v1", "http://example.com:80"),
    ("ftp://example.com/", "The URL must start with http:// or https://."),
    ("http:///v1", "The URL names no host."),
    ("http://user:pw@example.com/", "Put no credentials in the URL; give the key as the API key."),
    ("http://example.com:99999/", "'http://example.com:99999/' is not a valid URL."),
    ("http://exa_mple$.com/", "'exa_mple$.com' is not a valid host name."),
])
def test_urls_are_read_to_their_origin(url, result):
    try:
        assert str(outbound.url_origin(url)) == result
    except outbound.OutboundRefused as exc:
        assert str(exc) == result


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.url_check("http://nowhere.invalid/v1", policy=outbound.OutboundPolicy())
    assert str(refused.value) == "nowhere.invalid does not resolve."
