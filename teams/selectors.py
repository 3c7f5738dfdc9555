"""Reads about teams. Every other app scopes its querysets with `team_ids_for_user`."""
from __future__ import annotations

from django.db.models import QuerySet

from teams.models import WRITE_ROLES, Membership, Team


def team_list_for_user(*, user) -> QuerySet[Team]:
    if not user or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(pk__in=team_ids_for_user(user=user))


def team_ids_for_user(*, user) -> list[int]:
    """The teams whose objects the user may read. An annotator membership gives none of them: an
    annotator sees only the benchmarks assigned to them, through the review pages."""
    if not user or not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).exclude(role=Membership.Role.ANNOTATOR)
                .values_list("team_id", flat=True))


def access_team_for_write(*, user, slug: str) -> Team | None:
    """The team with this slug if the user may start work in it (owner or editor), else None.

    None for both "no such team" and "not yours", so callers cannot probe for other teams.
    """
    if not user or not user.is_authenticated or not slug:
        return None
    return Team.objects.filter(slug=slug, memberships__user=user, memberships__role__in=WRITE_ROLES).first()
