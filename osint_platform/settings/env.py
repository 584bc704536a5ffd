"""Read settings from the environment, one helper per type.

Every setting the project reads from the environment goes through these helpers, so a
typo or a bad value stops start-up with the variable's name instead of failing later.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def is_production() -> bool:
    return env_str("OSINT_ENV", "development").lower() == "production"


def env_str(name: str, default: str | None = None, *, secret: bool = False) -> str:
    """A string from the environment.

    A secret has no usable default in production: there, a missing value stops start-up.
    """
    value = os.environ.get(name)
    if value is not None and value != "":
        return value
    if secret and is_production():
        raise ImproperlyConfigured(f"{name} must be set when OSINT_ENV=production")
    if default is None:
        raise ImproperlyConfigured(f"{name} must be set")
    return default


def env_optional(name: str) -> str | None:
    value = os.environ.get(name, "")
    return value or None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_map(name: str, default: dict[str, str]) -> dict[str, str]:
    """``name=value`` pairs, comma separated, laid over the defaults: with
    ``SOURCE_CACHE_SECONDS=github=600`` only GitHub's entry changes."""
    merged = dict(default)
    raw = os.environ.get(name, "")
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(
                f"{name} must be name=value pairs, comma separated; got {raw!r}"
            )
        merged[key.strip()] = value.strip()
    return merged
