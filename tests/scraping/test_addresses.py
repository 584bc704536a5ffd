"""The address guard: which addresses count as public."""

import pytest

from scraping.addresses import is_public


@pytest.mark.parametrize(
    "ip",
    [
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",  # IPv4-mapped
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:808:808::1",  # 6to4 of 8.8.8.8
    ],
)
def test_global_addresses_and_ipv6_forms_of_a_global_ipv4_address_are_public(ip):
    assert is_public(ip) is True


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
    ],
)
def test_private_loopback_link_local_and_multicast_addresses_are_not_public(ip):
    assert is_public(ip) is False


@pytest.mark.parametrize(
    "ip",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::",  # 6to4 of 192.168.1.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    ],
)
def test_ipv6_forms_that_lead_to_a_private_ipv4_address_are_not_public(ip):
    assert is_public(ip) is False


@pytest.mark.parametrize(
    "ip",
    [
        "64:ff9b:1::808:808",  # local-use NAT64, even of a global IPv4 address
        "::8.8.8.8",  # IPv4-compatible (deprecated)
        "::127.0.0.1",
        "::ffff:0:808:808",  # IPv4-translated
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_deprecated_translated_and_tunnelled_ipv6_forms_are_refused(ip):
    assert is_public(ip) is False
