"""Writes about teams and their members."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from common.names import name_clean
from teams.models import Membership, Team


@transaction.atomic
def team_get_or_create(*, slug: str, name: str | None = None) -> Team:
    team, _ = Team.objects.get_or_create(slug=slugify(slug), defaults={"name": name_clean(name or slug, max_length=120)})
    return team


@transaction.atomic
def membership_set(*, team: Team, user, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def user_get_or_create(*, username: str, password: str, email: str = ""):
    """A user with this username; the password is set only when the user is created."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user
