from investigations.forms import InvestigationForm


def test_the_form_lists_every_bad_line_with_its_number_and_reason(db):
    form = InvestigationForm(
        data={
            "name": "Case",
            "mode": "quick",
            "targets": "github:nvie\n\ntwitter:alice\ngithub:<script>\nhttps://github.com/settings",
        }
    )

    assert not form.is_valid()
    assert form.errors["targets"] == [
        "Line 3 ('twitter:alice'): 'twitter:alice' has an unknown kind 'twitter'. Write targets "
        "as kind:value, one of: bluesky:HANDLE; domain:example.com; github:LOGIN (a GitHub "
        "user); github-org:LOGIN (a GitHub organization); github-repo:OWNER/NAME (a GitHub "
        "repository); mastodon:USER@INSTANCE; username:NAME (a username across many sites).",
        "Line 4 ('github:<script>'): '<script>' is not a GitHub user login: use letters, digits "
        "and hyphens, starting with a letter or digit.",
        "Line 5 ('https://github.com/settings'): 'https://github.com/settings' is a page of "
        "GitHub's own (github.com/settings), not a user, organization or repository: give an "
        "address such as https://github.com/LOGIN.",
    ]


def test_a_line_holding_a_nul_is_named_with_its_number_among_the_other_bad_lines(db):
    form = InvestigationForm(
        data={"name": "Case", "mode": "quick", "targets": "github:nvie\ngithub:x\x00y\ngithub:-x"}
    )

    assert not form.is_valid()
    assert form.errors["targets"] == [
        "Line 2 ('github:x\\x00y'): 'github:x\\x00y' contains control or invisible characters.",
        "Line 3 ('github:-x'): '-x' is not a GitHub user login: use letters, digits and "
        "hyphens, starting with a letter or digit.",
    ]
