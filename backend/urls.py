from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("", include("backend.widget.urls")),  # before the admin: it owns admin/widget/
    path("", include("backend.handoff.urls")),  # before the admin: admin/handoff/inbox/
    path("admin/", admin.site.urls),
    path("api/v1/", include("backend.sources.api.urls")),
    path("", include("backend.uploads.urls")),  # files/<id>/<name>: public, for citations
    path("api/", include("backend.chat.api.urls")),
    path("api/v1/chat/handoff/", include("backend.handoff.api.urls")),
    path("", include("backend.ops.urls")),
]

# JSON under /api/, plain pages elsewhere (backend/ops/errors.py)
handler404 = "backend.ops.errors.not_found"
handler500 = "backend.ops.errors.server_error"
