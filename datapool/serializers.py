"""Shapes of the pool's REST API: the search parameters, search hits with their score parts, and
datasets with their cards.

Serializers only shape data. The rules a search must meet live in search.check_search_input, so
the input serializer checks structure alone and lets that function word the errors a person sees.
"""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datapool.models import Dataset, DatasetCard
from datapool.search import MAX_LIMIT, MODALITIES

# --- Search --------------------------------------------------------------------------------------


class SearchInputSerializer(serializers.Serializer):
    # An empty q and an unknown modality reach search.check_search_input, which says what is wrong.
    q = serializers.CharField(required=False, default="", allow_blank=True, trim_whitespace=False,
                              help_text="What you are looking for, in your own words.")
    modality = serializers.ListField(
        child=serializers.CharField(), required=False, default=list,
        help_text=f"Repeatable; any of {', '.join(MODALITIES)}. A dataset qualifies only when its non-text "
                  "modalities are exactly the non-text ones asked for (modality=text: text-only datasets).")
    role = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list,
        help_text="Repeatable; field roles the dataset should map, e.g. question, answer, options, context, image.")
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_LIMIT)


class ScoresSerializer(serializers.Serializer):
    lexical = serializers.FloatField(help_text="BM25 of the query against the card, divided by the best hit's.")
    semantic = serializers.FloatField(help_text="Cosine of the query's and the card's embeddings (at least 0).")
    qa_bonus = serializers.FloatField(help_text="question+answer 1.0, context+answer 0.7, context 0.4, else 0.1.")
    role_bonus = serializers.FloatField(help_text="Share of the requested roles the card maps; 0 when none asked.")
    total = serializers.FloatField(help_text="0.4 lexical + 0.4 semantic + 0.1 qa_bonus + 0.1 role_bonus.")


class SearchHitSerializer(serializers.Serializer):
    """Expects a search.SearchHit."""

    dataset = serializers.IntegerField(source="dataset_id")
    slug = serializers.CharField()
    name = serializers.CharField()
    team = serializers.CharField(help_text="Slug of the owning team.")
    is_shared = serializers.BooleanField()
    modalities = serializers.ListField(child=serializers.CharField())
    scores = ScoresSerializer(source="*")
    matched_terms = serializers.ListField(child=serializers.CharField(),
                                          help_text="Query terms (stemmed) found in the card's text.")
    roles_present = serializers.ListField(child=serializers.CharField(),
                                          help_text="Requested roles the card maps.")
    url = serializers.SerializerMethodField(help_text="The dataset in the API.")

    def get_url(self, hit) -> str:
        return reverse("api-pool-dataset-detail", args=[hit.dataset_id])


class SearchOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    modalities = serializers.ListField(child=serializers.CharField())
    roles = serializers.ListField(child=serializers.CharField())
    weights = serializers.DictField(child=serializers.FloatField(), help_text="Weight of each score part in total.")
    count = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


# --- Datasets ------------------------------------------------------------------------------------

class CardSerializer(serializers.ModelSerializer):
    class Meta:
        model = DatasetCard
        fields = ["description", "card_text", "tasks", "domain", "fields", "io_schemas", "written_by",
                  "embedding_model", "updated_at"]


class DatasetSerializer(serializers.ModelSerializer):
    """Expects selectors.dataset_list (team and card joined)."""

    team = serializers.CharField(source="team.slug", read_only=True)
    card = serializers.SerializerMethodField()
    bad_row_count = serializers.SerializerMethodField(help_text="Rows the import refused (see the import report).")

    class Meta:
        model = Dataset
        fields = ["id", "slug", "name", "team", "is_shared", "source_format", "modalities", "license",
                  "size_declared", "record_count", "bad_row_count", "created_at", "updated_at", "card"]

    @extend_schema_field(CardSerializer(allow_null=True))
    def get_card(self, dataset: Dataset) -> dict | None:
        card = getattr(dataset, "card", None)
        return CardSerializer(card).data if card is not None else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_bad_row_count(self, dataset: Dataset) -> int:
        report = dataset.import_report if isinstance(dataset.import_report, dict) else {}
        return int(report.get("bad_row_count", len(report.get("bad_rows", []))))
