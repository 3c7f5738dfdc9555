"""Teams' secrets at rest: encrypted under keys derived from settings, readable under every
configured key, moved to the current key by `manage.py reencrypt_secrets`."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from common.encryption import SecretUnreadable, secret_decrypt, secret_encrypt, secret_fields
from evaluation.models import ModelEndpoint


def _stored(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted FROM evaluation_modelendpoint WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_secret_is_encrypted_and_each_token_is_new(settings):
    settings.BENCH_SECRETS_KEYS = ["key-one"]
    first, second = secret_encrypt("sk-abc"), secret_encrypt("sk-abc")
    assert "sk-abc" not in first and first != second  # a fresh IV each time
    assert secret_decrypt(first) == secret_decrypt(second) == "sk-abc"


def test_the_keys_derive_from_secret_key_and_its_fallbacks(settings):
    settings.BENCH_SECRETS_KEYS = []
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-django-key", []
    token = secret_encrypt("sk-abc")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-django-key", ["old-django-key"]
    assert secret_decrypt(token) == "sk-abc"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_rotation_old_tokens_still_open_then_the_command_moves_them_to_the_new_key(settings, team_a):
    settings.BENCH_SECRETS_KEYS = ["old-key"]
    endpoints = [ModelEndpoint.objects.create(team=team_a, name=f"m{i}", base_url="https://example.org/v1", model="m",
                                              api_key_encrypted=secret_encrypt(f"sk-{i}"),
                                              api_key_origin="https://example.org:443") for i in range(3)]
    keyless = ModelEndpoint.objects.create(team=team_a, name="keyless", base_url="https://example.org/v1", model="m")
    before = [_stored(e.pk) for e in endpoints]

    settings.BENCH_SECRETS_KEYS = ["new-key", "old-key"]  # rotate: the new key first, the old one still opens
    assert [secret_decrypt(token) for token in before] == ["sk-0", "sk-1", "sk-2"]
    out = io.StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert out.getvalue() == "3 secret(s) re-encrypted under the current key.\n"
    after = [_stored(e.pk) for e in endpoints]
    assert all(a != b for a, b in zip(after, before)) and _stored(keyless.pk) == ""

    settings.BENCH_SECRETS_KEYS = ["new-key"]  # the old key dropped: the re-encrypted secrets still open
    assert [secret_decrypt(token) for token in after] == ["sk-0", "sk-1", "sk-2"]
    with pytest.raises(SecretUnreadable):
        secret_decrypt(before[0])


def test_the_command_reports_secrets_no_key_opens(settings, team_a):
    settings.BENCH_SECRETS_KEYS = ["lost-key"]
    lost = ModelEndpoint.objects.create(team=team_a, name="lost", base_url="https://example.org/v1", model="m",
                                        api_key_encrypted=secret_encrypt("sk-lost"))
    settings.BENCH_SECRETS_KEYS = ["current-key"]
    ModelEndpoint.objects.create(team=team_a, name="fine", base_url="https://example.org/v1", model="m",
                                 api_key_encrypted=secret_encrypt("sk-fine"))
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("reencrypt_secrets", stdout=out)
    assert out.getvalue() == "1 secret(s) re-encrypted under the current key.\n"
    assert str(refused.value) == (
        f"1 secret(s) no configured key opens, left as they are: evaluation.ModelEndpoint {lost.pk}. Put the key "
        "they were stored under back among the keys, or have their teams give them again.")


def test_every_secret_column_is_known_to_the_reencryption():
    assert [(model._meta.label, name) for model, name in secret_fields()] == [
        ("evaluation.ModelEndpoint", "api_key_encrypted")]
