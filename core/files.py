"""API views that answer a file (a PDF, a zip) besides JSON."""

from rest_framework.renderers import JSONRenderer


class FileDownloads:
    """Actions answering a file (a PDF, a zip) negotiate JSON whatever the Accept header: the file
    itself is a plain HttpResponse, and a refusal (401, 403, 404) stays a JSON `{"detail": ...}`."""

    FILE_ACTIONS: tuple[str, ...] = ()

    def perform_content_negotiation(self, request, force=False):
        if getattr(self, "action", None) in self.FILE_ACTIONS:
            return (JSONRenderer(), JSONRenderer.media_type)
        return super().perform_content_negotiation(request, force)  # type: ignore[misc]
