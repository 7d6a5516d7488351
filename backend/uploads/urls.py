from django.urls import path

from backend.uploads.views import serve_file

urlpatterns = [
    path("files/<int:upload_id>/<path:name>", serve_file, name="upload-file"),
]
