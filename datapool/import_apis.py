"""REST API of background dataset imports: upload a file (multipart) and follow its import."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.json_input import JSONInputError, json_loads_bounded
from datapool import services
from datapool.models import ImportJob
from datapool.selectors import import_job_get
from teams.selectors import access_team_for_write, team_ids_for_user


class ImportJobInputSerializer(serializers.Serializer):
    team = serializers.CharField(max_length=64, help_text="Slug of the team to import into (as owner or editor).")
    file = serializers.FileField(help_text=".zip/.tar(.gz) archive, or one .jsonl/.csv/.tsv/.parquet file.")
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    license = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    mapping = serializers.CharField(required=False, default="", allow_blank=True,
                                    help_text='Role to column, as JSON: {"question": "q", "answer": "label"}.')


class ImportJobSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.slug", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "url", "team", "status", "source_format", "options", "progress_done", "dataset", "report",
                  "error", "created_at", "finished_at"]

    def get_url(self, job: ImportJob) -> str:
        return reverse("api-pool-import-detail", args=[job.id])


class ImportJobCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="pool_imports_create", tags=["pool"], request={"multipart/form-data": ImportJobInputSerializer},
                   responses={201: ImportJobSerializer}, summary="Upload a dataset and import it in the background")
    def post(self, request: Request) -> Response:
        data = ImportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        team = access_team_for_write(user=request.user, slug=fields["team"])
        if team is None:
            raise serializers.ValidationError({"team": [f"Unknown team '{fields['team']}', or you may not import into it."]})
        mapping = None
        if fields["mapping"].strip():
            try:
                mapping = json_loads_bounded(fields["mapping"])
            except JSONInputError as exc:
                raise serializers.ValidationError({"mapping": [f"The mapping is not valid JSON: {exc.reason}."]}) from exc
        try:
            job = services.import_job_create(team=team, user=request.user, upload=fields["file"], name=fields["name"],
                                             mapping=mapping, license=fields["license"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportJobDetailApi(APIView):
    @extend_schema(operation_id="pool_imports_retrieve", tags=["pool"], responses={200: ImportJobSerializer},
                   summary="An import's status, progress and report")
    def get(self, request: Request, pk: int) -> Response:
        job = import_job_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
        if job is None:
            return Response({"detail": "No such import in your teams."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ImportJobSerializer(job).data)
