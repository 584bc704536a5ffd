import json
from pathlib import Path

import pytest

from scraping.clients.rdap import NoRdapService, RdapClient
from scraping.registration.bootstrap import rdap_bases
from scraping.registration.rdap import parse_rdap, related_links

FIXTURES = Path(__file__).resolve().parents[3] / "replay" / "rdap" / "fixtures" / "domain"


def test_the_shipped_bootstrap_names_each_tlds_rdap_server():
    assert rdap_bases("google.com") == ["https://rdap.verisign.com/com/v1/"]
    assert rdap_bases("bbc.co.uk") == ["https://rdap.nominet.uk/uk/"]
    assert rdap_bases("example.invalid-tld") == []


def test_a_tld_without_rdap_is_said_so():
    with pytest.raises(NoRdapService):
        RdapClient().domain_url("google.de")


def test_rdap_url_carries_the_original_host_in_the_path():
    client = RdapClient(base_override="http://127.0.0.1:9999/")

    assert client.routed("https://rdap.markmonitor.com/rdap/domain/GOOGLE.COM") == (
        "http://127.0.0.1:9999/rdap.markmonitor.com/rdap/domain/GOOGLE.COM"
    )


def test_a_thin_registry_answer_links_to_the_registrar_and_names_it():
    data = json.loads((FIXTURES / "com_themarquetry.com_rdap.verisign.com.json").read_text())

    record = parse_rdap("themarquetry.com", data)

    assert related_links(data) == ["https://rdap.registrar.eu/v1/domain/THEMARQUETRY.COM"]
    assert record.registrar == "Hosting Concepts B.V. d/b/a Registrar.eu"
    assert record.registrar_iana_id == "1647"
    assert record.statuses == ["client transfer prohibited"]
    assert record.registrant_organization == ""  # a thin registry publishes none


def test_a_redacted_registrant_stays_empty():
    data = json.loads((FIXTURES / "com_google.com_rdap.markmonitor.com.json").read_text())
    for entity in data["entities"]:
        if "registrant" in entity.get("roles", []):
            entity["vcardArray"][1] = [["org", {}, "text", "REDACTED FOR PRIVACY"]]

    assert parse_rdap("google.com", data).registrant_organization == ""
