"""Teams' secrets at rest (target-model API keys): Fernet tokens under keys derived from settings.

The keys are BENCH_SECRETS_KEYS, or else SECRET_KEY then SECRET_KEY_FALLBACKS; each is stretched
with HKDF (so the stored secrets never use the raw SECRET_KEY that also signs sessions) into a
Fernet key. The first encrypts; all of them decrypt, so an operator rotates by putting a new key
first, running `manage.py reencrypt_secrets` (every stored secret moves to the new key), then
dropping the old one.

Secrets are encrypted and decrypted explicitly, never by a model field on load: a model instance
only ever holds the token, so no serializer, admin form or log line can show the plaintext by
accident. `SecretField` marks the columns that hold tokens, so the re-encryption finds them all.
"""
from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

_HKDF_SALT = b"benchplatform/common.encryption"
_HKDF_INFO = b"team secrets at rest, v1"


class SecretUnreadable(Exception):
    """A stored token that none of the configured keys opens (a key was dropped too early)."""


class SecretField(models.TextField):
    """A column holding a Fernet token from `secret_encrypt` (or "" for none), never plaintext."""


def _derive(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=8)
def _box(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(secret)) for secret in secrets])


def _configured_box() -> MultiFernet:
    secrets = tuple(settings.BENCH_SECRETS_KEYS) or (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        raise ImproperlyConfigured("No key for teams' secrets: set BENCH_SECRETS_KEYS or DJANGO_SECRET_KEY.")
    return _box(secrets)


def secret_encrypt(plaintext: str) -> str:
    """The token to store for `plaintext`, under the current (first) key."""
    return _configured_box().encrypt(plaintext.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    """The plaintext of a stored token; SecretUnreadable when no configured key opens it."""
    try:
        return _configured_box().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys "
                               "(BENCH_SECRETS_KEYS, or SECRET_KEY and SECRET_KEY_FALLBACKS)") from exc


def secret_reencrypt(token: str) -> str:
    """The same secret under the current key (SecretUnreadable when no configured key opens it)."""
    try:
        return _configured_box().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from exc


def secret_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) of the installed apps that stores secrets."""
    return [(model, field.name) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, SecretField)]


def secrets_reencrypt_all() -> dict[str, object]:
    """Move every stored secret to the current key, row by row (each row locked while it changes, so
    a concurrent update is never overwritten with the old value). Rows no key opens are left as
    they are and reported: {"reencrypted": n, "unreadable": ["app.Model pk", ...]}."""
    done, unreadable = 0, []
    for model, name in secret_fields():
        for pk in model.objects.exclude(**{name: ""}).values_list("pk", flat=True).order_by("pk"):
            with transaction.atomic():
                token = model.objects.select_for_update().filter(pk=pk).values_list(name, flat=True).first()
                if not token:
                    continue
                try:
                    fresh = secret_reencrypt(token)
                except SecretUnreadable:
                    unreadable.append(f"{model._meta.label} {pk}")
                    continue
                model.objects.filter(pk=pk).update(**{name: fresh})
                done += 1
    return {"reencrypted": done, "unreadable": unreadable}
