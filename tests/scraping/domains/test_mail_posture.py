from scraping.domains.mail_posture import read_dmarc, read_mta_sts, read_spf, read_tls_rpt

# The SPF record of github.com as recorded in 2025 (two TXT strings, joined).
GITHUB_SPF = (
    "v=spf1 ip4:192.30.252.0/22 include:_netblocks.google.com include:_netblocks2.google.com "
    "include:_netblocks3.google.com include:spf.protection.outlook.com include:mail.zendesk.com "
    "include:_spf.salesforce.com include:servers.mcsv.net include:mktomail.com ip"
    "4:166.78.69.169 ip4:166.78.69.170 ip4:166.78.71.131 ip4:167.89.101.2 ip4:167.89.101.192/28 "
    "ip4:192.254.112.60 ip4:192.254.112.98/31 ip4:192.254.113.10 ip4:192.254.113.101 "
    "ip4:192.254.114.176 ip4:62.253.227.114 ~all"
)


def test_spf_of_github_is_read_with_its_includes_and_softfail_default():
    spf = read_spf(["MS=ms44452932", GITHUB_SPF])

    assert spf["present"] is True
    assert spf["all"] == "softfail"
    assert spf["includes"][:2] == ["_netblocks.google.com", "_netblocks2.google.com"]
    assert len(spf["includes"]) == 8
    assert spf["dns_lookups"] == 8
    assert {"qualifier": "pass", "mechanism": "ip4", "value": "166.78.69.169"} in spf["mechanisms"]
    assert spf["errors"] == []


def test_two_spf_records_and_too_many_lookups_are_errors():
    many = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(11)) + " -all"
    spf = read_spf([many, "v=spf1 -all"])

    assert spf["all"] == "fail"
    assert any("2 SPF records" in e for e in spf["errors"])
    assert any("11 terms need DNS lookups" in e for e in spf["errors"])


def test_no_spf_record_is_reported_as_absent():
    assert read_spf(["google-site-verification=abc"]) == {"present": False}


def test_dmarc_gives_policy_subdomain_policy_and_report_addresses():
    dmarc = read_dmarc(
        [
            "v=DMARC1; p=quarantine; sp=reject; pct=100; rua=mailto:dmarc@example.com; "
            "ruf=mailto:dmarc@example.com; fo=1"
        ]
    )

    assert dmarc["policy"] == "quarantine"
    assert dmarc["subdomain_policy"] == "reject"
    assert dmarc["percent"] == 100
    assert dmarc["rua"] == ["mailto:dmarc@example.com"]
    assert dmarc["failure_options"] == "1"
    assert dmarc["enforced"] is True


def test_dmarc_without_a_valid_policy_is_not_enforced():
    dmarc = read_dmarc(["v=DMARC1; rua=mailto:a@example.com; pct=150"])

    assert dmarc["policy"] is None
    assert dmarc["enforced"] is False
    assert "no policy (p=)" in dmarc["errors"]
    assert any("pct='150'" in e for e in dmarc["errors"])


def test_dmarc_policy_none_is_present_but_not_enforced():
    dmarc = read_dmarc(["v=DMARC1;p=none"])

    assert dmarc["policy"] == "none"
    assert dmarc["enforced"] is False


def test_mta_sts_and_tls_reporting_presence_is_read():
    assert read_mta_sts(["v=STSv1; id=20240101T000000Z"]) == {
        "present": True,
        "record": "v=STSv1; id=20240101T000000Z",
        "id": "20240101T000000Z",
        "errors": [],
    }
    assert read_mta_sts([])["present"] is False
    assert read_mta_sts(["v=STSv1; id=bad-id!"])["errors"]
    assert read_tls_rpt(["v=TLSRPTv1; rua=mailto:t@example.com"])["rua"] == ["mailto:t@example.com"]
