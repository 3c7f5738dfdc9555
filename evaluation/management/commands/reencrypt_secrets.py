"""Move every stored team secret (target-model keys) to the current encryption key: the step of a
key rotation between putting the new key first and dropping the old one (common/encryption.py).
It lives here because the models holding secrets are evaluation's; it covers every SecretField."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from common.encryption import secrets_reencrypt_all


class Command(BaseCommand):
    help = ("Re-encrypt every stored team secret under the current key (the first of BENCH_SECRETS_KEYS, "
            "or SECRET_KEY). Run it after a new key is put first, before the old one is removed.")

    def handle(self, *args, **options):
        result = secrets_reencrypt_all()
        self.stdout.write(f"{result['reencrypted']} secret(s) re-encrypted under the current key.")
        if result["unreadable"]:
            raise CommandError(f"{len(result['unreadable'])} secret(s) no configured key opens, left as they are: "
                               f"{', '.join(result['unreadable'])}. Put the key they were stored under back "
                               "among the keys, or have their teams give them again.")
