"""The REST API of human review: open a version's review in Label Studio, list review projects and
reviews, pull reviews now, resolve a flagged review (owners). Reads are scoped to the caller's teams
(another team's object is a 404);
writes go through annotation.services."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from annotation import selectors, services
from annotation.labelstudio import LabelStudioError
from annotation.models import HumanReview
from annotation.selectors import FLAGGED
from annotation.serializers import (HumanReviewSerializer, ReviewOpenInputSerializer, ReviewProjectSerializer,
                                    ReviewResolveInputSerializer)
from benchmarks import selectors as benchmark_selectors
from benchmarks.apis import ERRORS_400, validation_error_detail
from common.filters import FilterSet, IntegerFilter
from teams.selectors import access_team_for_write, team_ids_for_user


@extend_schema_view(
    list=extend_schema(summary="Your teams' review projects (one per benchmark version in review)", tags=["review"]),
    retrieve=extend_schema(summary="A review project", tags=["review"]),
)
class ReviewProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReviewProjectSerializer

    def get_queryset(self):
        return selectors.review_project_list(team_ids=team_ids_for_user(user=self.request.user))

    @extend_schema(request=ReviewOpenInputSerializer, responses={201: ReviewProjectSerializer, 400: ERRORS_400},
                   summary="Send a benchmark version to review in Label Studio (or change its overlap)", tags=["review"])
    def create(self, request):
        data = ReviewOpenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team_ids = team_ids_for_user(user=request.user)
        benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids, pk=data.validated_data["benchmark"])
        version = (benchmark_selectors.version_get(benchmark=benchmark, number=data.validated_data.get("version"))
                   if benchmark else None)
        if version is None:
            raise NotFound("No such benchmark version in your teams.")
        try:
            project = services.review_open(version=version, user=request.user, overlap=data.validated_data["overlap"])
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except LabelStudioError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)
        return Response(ReviewProjectSerializer(self.get_queryset().get(pk=project.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ReviewProjectSerializer}, tags=["review"],
                   summary="Pull every review changed since the last pull from Label Studio now")
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        project = self.get_object()
        if access_team_for_write(user=request.user, slug=project.team.slug) is None:
            raise ApiPermissionDenied("Only owners and editors of the team pull reviews.")
        try:
            services.review_reconcile(project_id=project.pk)
        except LabelStudioError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)
        return Response(ReviewProjectSerializer(self.get_queryset().get(pk=project.pk)).data)


class ReviewFilter(FilterSet):
    benchmark = IntegerFilter(field_name="project__version__benchmark", help_text="Benchmark id.")
    version = IntegerFilter(field_name="project__version__number", help_text="Version number.")
    sample = IntegerFilter(field_name="sample")
    accepted = filters.BooleanFilter()
    flagged = filters.BooleanFilter(method="filter_flagged",
                                    help_text="Changed by someone other than its author, or deleted, in Label Studio.")
    resolution = filters.ChoiceFilter(choices=[("none", "Awaiting an owner"), *HumanReview.Resolution.choices[1:]],
                                      method="filter_resolution")
    counted = filters.BooleanFilter(help_text="Counted by the numbers of human review.")

    class Meta:
        model = HumanReview
        fields = ["benchmark", "version", "sample", "accepted", "flagged", "resolution", "counted"]

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(FLAGGED) if value else queryset.exclude(FLAGGED)

    def filter_resolution(self, queryset, name, value):
        return queryset.filter(resolution="" if value == "none" else value)


@extend_schema_view(
    list=extend_schema(summary="Your teams' human reviews, newest first", tags=["review"]),
    retrieve=extend_schema(summary="A human review", tags=["review"]),
)
class HumanReviewViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HumanReviewSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        return selectors.review_list(team_ids=team_ids_for_user(user=self.request.user))

    @extend_schema(request=ReviewResolveInputSerializer, responses={200: HumanReviewSerializer, 400: ERRORS_400},
                   tags=["review"], summary="Resolve a flagged review (owners): accept it as is, or discard it")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        review = self.get_object()
        data = ReviewResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.review_resolve(review=review, user=request.user, decision=data.validated_data["decision"])
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(HumanReviewSerializer(self.get_queryset().get(pk=review.pk)).data)
