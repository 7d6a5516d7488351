import pytest

from crawler.netguard import NetGuard


def fake_dns(table):
    def resolve(host):
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


DNS = fake_dns(
    {
        "public.test": ["93.184.215.14"],
        "intranet.test": ["10.1.2.3"],
        "mixed.test": ["93.184.215.14", "192.168.1.5"],
        "v6.test": ["2606:4700::1111"],
        "metadata.test": ["169.254.169.254"],
    }
)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.1", "loopback"),
        ("::1", "loopback"),
        ("[::1]", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "cloud_metadata"),
        ("fd00:ec2::254", "cloud_metadata"),
        ("169.254.10.1", "link_local"),
        ("fe80::1", "link_local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not_global"),
        ("intranet.test", "private"),
        ("mixed.test", "private"),
        ("metadata.test", "cloud_metadata"),
        ("nowhere.test", "dns_failed"),
    ],
)
def test_refuses_non_public_hosts(host, reason):
    decision = NetGuard(resolver=DNS).check(host)
    assert not decision.allowed
    assert decision.reason.startswith(reason)


@pytest.mark.parametrize("host", ["public.test", "v6.test", "93.184.215.14", "PUBLIC.test."])
def test_allows_public_hosts(host):
    assert NetGuard(resolver=DNS).check(host).allowed


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (["127.0.0.1/32"], "127.0.0.1"),
        (["10.0.0.0/8"], "intranet.test"),
        (["intranet.test"], "intranet.test"),
        (["::1"], "::1"),
        (["192.168.0.0/16"], "mixed.test"),
    ],
)
def test_operator_allowed_networks(allowed, host):
    assert NetGuard(allowed, resolver=DNS).check(host).allowed


def test_allowed_network_does_not_open_others():
    guard = NetGuard(["127.0.0.1/32"], resolver=DNS)
    assert not guard.check("127.0.0.2").allowed
    assert not guard.check("169.254.169.254").allowed
