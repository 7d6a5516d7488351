"""Uploads for integrators: the same role permissions as the admin
(``backend.ops.permissions.RolePermissions``): view to list, add to upload, change to replace,
delete to delete. One file per request (multipart ``file``); a refused file answers 400 (413
when it is over UPLOAD_MAX_MB) with the reason under ``file``, and nothing of it is kept."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from backend.uploads.api.serializers import ChunkSerializer, FileSerializer, UploadSerializer
from backend.uploads.limits import refusals
from backend.uploads.models import Upload
from backend.uploads.selectors import upload_chunks
from backend.uploads.services import TooBig, add_upload, read_file, replace_upload, too_big
from rag.parsing.sniff import RejectedUpload

REFUSED = OpenApiResponse(
    description="The file is refused (not what its extension says, empty, a zip bomb…): "
    "`file` says why"
)
TOO_BIG = OpenApiResponse(description="The file is over UPLOAD_MAX_MB: `file` says so")


def _file_body(request) -> tuple[str, bytes]:
    """The request's file as (name, bytes); RejectedUpload when it is missing or too big."""
    data = request.data  # parsed here: a file over the limit is dropped while it streams in
    if refusals(request):
        raise too_big(refusals(request)[0])
    serializer = FileSerializer(data=data)
    if not serializer.is_valid():
        raise RejectedUpload("; ".join(str(e) for e in serializer.errors.get("file", [])))
    uploaded = serializer.validated_data["file"]
    return uploaded.name, read_file(uploaded)


def _refused(exc: RejectedUpload) -> Response:
    big = isinstance(exc, TooBig)
    code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if big else status.HTTP_400_BAD_REQUEST
    return Response({"file": [exc.reason]}, status=code)


class UploadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Upload.objects.all()
    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser]
    action_permissions = {
        "replace": ["uploads.change_upload"],
        "chunks": ["uploads.view_upload"],
    }

    @extend_schema(
        request={"multipart/form-data": FileSerializer},
        responses={201: UploadSerializer, 400: REFUSED, 413: TOO_BIG},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file; it is indexed in the background (``status`` says when)."""
        try:
            name, body = _file_body(request)
            upload = add_upload(name, body, request.user)
        except RejectedUpload as exc:
            return _refused(exc)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": FileSerializer},
        responses={
            202: OpenApiResponse(UploadSerializer, description="The new version is queued"),
            200: OpenApiResponse(UploadSerializer, description="Unchanged: not indexed again"),
            400: REFUSED,
            413: TOO_BIG,
        },
    )
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """Upload a new version; the current one stays served and indexed until it is indexed,
        and stays for good if it cannot be (``error`` says why)."""
        upload = self.get_object()
        try:
            name, body = _file_body(request)
            changed = replace_upload(upload, name, body)
        except RejectedUpload as exc:
            return _refused(exc)
        code = status.HTTP_202_ACCEPTED if changed else status.HTTP_200_OK
        return Response(UploadSerializer(upload).data, status=code)

    @extend_schema(request=None, responses=ChunkSerializer(many=True))
    @action(detail=True, methods=["get"])
    def chunks(self, request, pk=None):
        """The upload's chunks as the chat retrieves them, in order."""
        chunks = upload_chunks(self.get_object())
        return Response(ChunkSerializer(chunks, many=True).data)
