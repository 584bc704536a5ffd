"""Domain names as python-whois expects them."""


def python_whois_name(domain: str) -> str:
    """python-whois picks a registry's parser by the Unicode suffix (``.рф``, ``.укр``),
    so A-labels are turned back to Unicode where they can be; a label that cannot be
    is passed as it is."""
    labels = []
    for label in domain.lower().rstrip(".").split("."):
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except UnicodeError:
                pass
        labels.append(label)
    return ".".join(labels)
