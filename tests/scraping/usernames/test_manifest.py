import json
from pathlib import Path

import pytest

from scraping.usernames import build_manifest
from scraping.usernames.manifest import (
    DEFAULT_MANIFEST,
    DetectMethod,
    ManifestError,
    load_sites,
    parse_manifest,
    select_sites,
)

from .conftest import make_site

DATA = DEFAULT_MANIFEST.parent
REALDATA_SITES = Path(__file__).resolve().parents[4] / "shared" / "realdata" / "sites"


def test_the_shipped_manifest_has_over_300_tagged_sites_and_every_detection_method():
    sites = load_sites()

    assert len(sites) >= 300
    assert all(site.tags for site in sites)
    assert "other" not in {tag for site in sites for tag in site.tags}
    methods = {site.detect.method for site in sites}
    assert methods == set(DetectMethod)
    assert len({site.id for site in sites}) == len(sites)


def test_the_manifest_states_its_sources_licence_and_format():
    document = json.loads(DEFAULT_MANIFEST.read_text())
    provenance = (DATA / "PROVENANCE.md").read_text()

    assert {s["repository"] for s in document["sources"]} == {
        "sherlock-project/sherlock",
        "soxoj/maigret",
    }
    assert all(s["licence"] == "MIT" for s in document["sources"])
    assert "4e2a4f6b66433849abe46cae76ed557c6c8313c8" in provenance
    assert "Copyright (c) 2019 Sherlock Project" in (DATA / "LICENSE-sites.txt").read_text()
    assert "## Detection" in (DATA / "SITES.md").read_text()


@pytest.mark.skipif(not REALDATA_SITES.is_dir(), reason="shared/realdata is not beside the tree")
def test_the_build_script_rebuilds_the_shipped_manifest_exactly():
    rebuilt = build_manifest.build(REALDATA_SITES)

    assert rebuilt == json.loads(DEFAULT_MANIFEST.read_text())


def test_a_literal_json_answer_becomes_a_json_field_test_and_rate_limit_texts_unknown():
    sites = {site.id: site for site in load_sites()}

    assert sites["discord"].detect.method == DetectMethod.JSON
    assert (sites["discord"].detect.field, sites["discord"].detect.missing_values) == (
        "taken",
        (False,),
    )
    assert sites["twitter"].detect.missing_text == ('<div class="error-panel"><span>User ',)
    assert "<title>429 Too Many Requests</title>" in sites["twitter"].unknown_text
    assert sites["instagram"].walled is True


def test_a_broken_entry_is_refused_with_the_site_named():
    document = json.loads(DEFAULT_MANIFEST.read_text())
    document["sites"]["github"]["detect"] = {"method": "text", "missing_text": [""]}

    with pytest.raises(ManifestError, match="site 'github': an empty missing_text"):
        parse_manifest(document)


def test_sites_are_selected_by_id_or_tag_and_nsfw_ones_can_be_left_out():
    sites = load_sites()

    assert [s.id for s in select_sites(sites, ids=["GitHub", "gitlab"])] == ["github", "gitlab"]
    coding = select_sites(sites, tags=["coding"])
    assert coding and all("coding" in s.tags for s in coding)
    assert not any(s.nsfw for s in select_sites(sites, include_nsfw=False))
    assert any(s.nsfw for s in sites)


def test_a_name_that_cannot_be_part_of_the_address_is_not_asked():
    from scraping.usernames.rules import is_valid_for

    on_host = make_site("hosty", {"method": "status"}, profile="https://{username}.hosty.example/")
    on_path = make_site("pathy", {"method": "status"}, profile="https://pathy.example/u/{username}")

    assert is_valid_for(on_host, "alex-demo42") and is_valid_for(on_path, "alex.demo_42")
    assert not is_valid_for(on_host, "alex.demo") and not is_valid_for(on_host, "-alex")
    assert not is_valid_for(on_path, "..")
    assert on_path.profile_url("a@b") == "https://pathy.example/u/a%40b"
