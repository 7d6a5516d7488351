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


PRECISE = fake_dns(
    {
        "intranet.test": ["10.1.2.3"],
        "wiki.intranet.test": ["10.1.2.4"],
        "rebound.test": ["127.0.0.1"],
        "meta.test": ["169.254.169.254"],
        "linklocal.test": ["169.254.7.7"],
        "cgnat.test": ["100.64.0.9"],
        "public.test": ["93.184.215.14"],
    }
)


@pytest.mark.parametrize(
    ("entries", "host", "port", "allowed"),
    [
        # a bare host name: ports 80 and 443
        (["intranet.test"], "intranet.test", 443, True),
        (["intranet.test"], "intranet.test", 80, True),
        (["intranet.test"], "intranet.test", None, True),
        (["intranet.test"], "intranet.test", 8080, False),
        (["intranet.test"], "intranet.test", 22, False),
        # host:port: that port only
        (["intranet.test:8080"], "intranet.test", 8080, True),
        (["intranet.test:8080"], "intranet.test", 443, False),
        (["intranet.test:8080", "intranet.test:8443"], "intranet.test", 8443, True),
        # the exact name: no subdomains
        (["intranet.test"], "wiki.intranet.test", 443, False),
        (["INTRANET.test."], "intranet.test", 443, True),
        # the addresses a name may reach: private and carrier-grade NAT, nothing else
        (["cgnat.test"], "cgnat.test", 443, True),
        (["rebound.test"], "rebound.test", 443, False),
        (["meta.test"], "meta.test", 80, False),
        (["linklocal.test"], "linklocal.test", 80, False),
        # a network entry: every port, and it may open loopback if the operator says so
        (["10.0.0.0/8"], "intranet.test", 22, True),
        (["127.0.0.1/32"], "rebound.test", 9999, True),
        # public hosts need no entry, on any port
        ([], "public.test", 8080, True),
    ],
)
def test_allowed_entries_mean_exactly_this(entries, host, port, allowed):
    assert NetGuard(entries, resolver=PRECISE).check(host, port).allowed is allowed


def test_a_refusal_on_the_wrong_port_says_which_ports_are_allowed():
    decision = NetGuard(["intranet.test:8080"], resolver=PRECISE).check("intranet.test", 443)
    assert decision.reason == "private: 10.1.2.3 (intranet.test is allowed on port 8080 only)"


def test_connect_time_check_applies_the_same_address_rules():
    guard = NetGuard(["intranet.test"], resolver=PRECISE)
    assert guard.check_address("intranet.test", "10.9.9.9").allowed  # DNS may change: private ok
    assert not guard.check_address("intranet.test", "127.0.0.1").allowed  # rebound to loopback
    assert not guard.check_address("intranet.test", "169.254.169.254").allowed
    assert not guard.check_address("other.test", "10.9.9.9").allowed


@pytest.mark.parametrize(
    "entry", ["10.0.0.5:8080", "intranet.test:http", "intranet.test:0", "intra net", "http://x/"]
)
def test_entries_that_mean_nothing_precise_are_refused(entry):
    with pytest.raises(ValueError, match="intranet|port"):
        NetGuard([entry])
