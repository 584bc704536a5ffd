import pytest

from scraping.domains.wordlist import read_wordlist


def test_a_wordlist_is_read_in_order_lower_cased_and_each_word_once():
    words = read_wordlist("top-5000")

    assert words[:5] == ["www", "mail", "ftp", "localhost", "webmail"]
    assert len(words) == len(set(words)) == 4984
    assert all(w == w.lower() for w in words)


def test_the_size_takes_the_first_words_and_entries_that_are_no_labels_are_skipped():
    words = read_wordlist("top-20000", 10_000)

    assert len(words) == 10_000
    assert "#www" not in read_wordlist("top-20000")
    assert "www.blog" in read_wordlist("top-5000")


def test_an_unknown_wordlist_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="top-5000, top-20000, namelist"):
        read_wordlist("everything")
