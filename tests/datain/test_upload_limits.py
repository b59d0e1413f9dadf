"""An upload above the size limit is refused with a clear message and writes nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datain.models import ImportRun


def test_an_upload_above_the_limit_is_refused_with_a_clear_message(client, org, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client.force_login(org.admin)
    body = b"external_id,account_external_id,opened_at\n" + b"T,A-1,2026-07-03T10:00:00Z\n" * 10
    response = client.post(
        reverse("import-list"), {"kind": "tickets", "file": SimpleUploadedFile("t.csv", body, "text/csv")}
    )
    assert response.status_code == 200
    assert "the largest file the page takes is 100\xa0bytes" in response.content.decode()
    assert ImportRun.objects.count() == 0
