"""The REST API of the dataset pool: hybrid search, the datasets the caller's teams may use, and
the team's edits of a dataset's card.

Views are thin: reads go through datapool.selectors and datapool.search, scoped to the caller's
teams (their own datasets and the shared ones); another team's private dataset is a 404.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datapool import services
from datapool.search import WEIGHTS, dataset_search
from datapool.selectors import dataset_list
from datapool.serializers import (
    DatasetSerializer,
    SearchInputSerializer,
    SearchOutputSerializer,
)
from teams.selectors import team_ids_for_user

SEARCH_ERRORS_400 = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description="Invalid parameters: each parameter maps to a list of messages.",
    examples=[OpenApiExample("Empty query", value={"q": ["Type what you are looking for; the query is empty."]})])


def _error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


class DatasetSearchApi(APIView):
    @extend_schema(
        operation_id="pool_search", tags=["pool"], parameters=[SearchInputSerializer],
        responses={200: SearchOutputSerializer, 400: SEARCH_ERRORS_400},
        summary="Search your teams' datasets (own and shared)",
        description="Hybrid search: BM25 over each card's text and the cosine of sentence embeddings, plus "
                    "bonuses for cards that give question-answer items and map the requested roles, behind a hard "
                    "modality filter. Every hit carries its score parts; total = 0.4 lexical + 0.4 semantic + "
                    "0.1 qa_bonus + 0.1 role_bonus.",
    )
    def get(self, request: Request) -> Response:
        params = SearchInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        fields = params.validated_data
        try:
            hits = dataset_search(team_ids=team_ids_for_user(user=request.user), query=fields["q"],
                                  modalities=fields["modality"] or None, roles=fields["role"], limit=fields["limit"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_error_detail(exc)) from exc
        return Response(SearchOutputSerializer({
            "query": fields["q"], "modalities": fields["modality"], "roles": fields["role"], "weights": WEIGHTS,
            "count": len(hits), "results": hits,
        }).data)


@extend_schema_view(
    list=extend_schema(summary="Datasets your teams may use (own and shared), by name", tags=["pool"]),
    retrieve=extend_schema(summary="A dataset with its card", tags=["pool"]),
)
class DatasetViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DatasetSerializer

    def get_queryset(self):
        return (dataset_list(team_ids=team_ids_for_user(user=self.request.user))
                .defer("card__embedding", "card__raw", "card__profile").order_by("name", "id"))


class DatasetCardApi(APIView):
    class CardEditInputSerializer(serializers.Serializer):
        description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        card_text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        domain = serializers.CharField(required=False, allow_blank=True)
        tasks = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
        license = serializers.CharField(required=False, allow_blank=True)
        fields = serializers.JSONField(required=False, help_text=(
            'Roles to change, as {role: {"paths": [...], "modality", "semantics", ...}}: merged into the card\'s '
            "role map (a role's keys into its spec); a role set to null is removed; roles not named stay."))

    @extend_schema(operation_id="pool_dataset_card_update", tags=["pool"], request=CardEditInputSerializer,
                   responses={200: DatasetSerializer, 400: OpenApiTypes.OBJECT},
                   summary="Edit a dataset's card (owners and editors of its team); what is left out stays")
    def patch(self, request: Request, pk: int) -> Response:
        dataset = dataset_list(team_ids=team_ids_for_user(user=request.user)).filter(pk=pk).first()
        if dataset is None:
            return Response({"detail": "No such dataset in your teams' pool."}, status=status.HTTP_404_NOT_FOUND)
        data = self.CardEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.card_update(dataset=dataset, user=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_error_detail(exc)) from exc
        dataset = dataset_list(team_ids=team_ids_for_user(user=request.user)).get(pk=pk)
        return Response(DatasetSerializer(dataset).data)
