"""The investigation's mode decides how deep sources dig."""

import pytest

from scraping.services import github
from scraping.services.domain.subdomains import _wordlist


def languages_requests(replay):
    return sorted(r.path for r in replay.requests if r.path.endswith("/languages"))


@pytest.mark.django_db
def test_a_comprehensive_run_reads_the_languages_of_a_users_own_repositories(
    github_replay, make_target, make_context
):
    quick = make_target("github", "jacquev6")
    quick.investigation.mode = "quick"
    quick.investigation.save()
    github.scrape_user(make_context(quick), "jacquev6")
    assert languages_requests(github_replay) == []

    deep = make_target("github", "jacquev6")
    deep.investigation.mode = "comprehensive"
    deep.investigation.save()
    github.scrape_user(make_context(deep), "jacquev6")

    # Nine of the eleven recorded repositories are the user's own (two are forks).
    requested = languages_requests(github_replay)
    assert len(requested) == 9
    assert "/repos/jacquev6/PyGithub/languages" in requested
    assert "/repos/jacquev6/django/languages" not in requested


@pytest.mark.django_db
# The shipped lists hold a few entries that are no label, or repeats in another case:
# the 5,000 list gives 4,984 usable labels and the 20,000 list 19,957.
@pytest.mark.parametrize(
    ("mode", "words"), [("quick", 1000), ("detailed", 4984), ("comprehensive", 19957)]
)
def test_the_subdomain_wordlist_follows_the_mode(settings, make_target, make_context, mode, words):
    settings.SUBDOMAIN_WORDLIST, settings.SUBDOMAIN_WORDLIST_SIZE = "top-5000", 5000
    target = make_target("domain", "example.com")
    target.investigation.mode = mode
    target.investigation.save()

    assert len(_wordlist(make_context(target, source="domain"))) == words
