"""Media files for API clients: a sample's media URL, as the API lists it, answers the API token
(Authorization: Token ...) with the same team scoping as the pages; browsers keep the login redirect."""
from __future__ import annotations

from django.conf import settings
from rest_framework.test import APIClient

from benchmarks.models import Sample


def _media_url(api, started) -> tuple[str, object]:
    sample = Sample.objects.filter(version=started.version, status="ok").order_by("id").first()
    listed = api.get(f"/api/samples/{sample.id}/").json()["media"][0]
    return listed["url"], sample.media.get()


def test_a_token_client_follows_a_samples_media_url(api_a, built_image_benchmark):
    url, asset = _media_url(api_a, built_image_benchmark)

    response = api_a.get(url)

    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    body = b"".join(response.streaming_content)
    response.close()
    assert body == (settings.MEDIA_ROOT / asset.file).read_bytes()
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_another_teams_token_gets_404(api_a, api_b, built_image_benchmark):
    url, _ = _media_url(api_a, built_image_benchmark)

    assert api_b.get(url).status_code == 404


def test_a_wrong_or_inactive_token_gets_401_and_no_token_the_login_redirect(api_a, user_a, built_image_benchmark):
    url, _ = _media_url(api_a, built_image_benchmark)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    refused = wrong.get(url)
    anonymous = APIClient().get(url)
    user_a.is_active = False
    user_a.save(update_fields=["is_active"])
    inactive = api_a.get(url)

    assert (refused.status_code, refused.json(), refused["WWW-Authenticate"]) == (401, {"detail": "Invalid token."},
                                                                                 "Token")
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/accounts/login/?next={url}")
    assert (inactive.status_code, inactive.json()) == (401, {"detail": "User inactive or deleted."})
