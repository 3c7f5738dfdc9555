"""The Content-Security-Policy in a real headless Chromium: the pages' own scripts (the build progress
poller, the quota sum, the charts), Plotly, Swagger UI and the admin run with nothing blocked."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from benchmarks import services
from benchmarks.models import Sample
from tests.dashboards.test_browser import browser  # noqa: F401  (the Chromium fixture)


@pytest.mark.django_db(transaction=True)
def test_pages_run_their_scripts_under_the_csp(live_server, browser, client, team_a, user_a,  # noqa: F811
                                               built_text_benchmark):
    benchmark_id = built_text_benchmark.version.benchmark_id
    # A second build left queued: its page polls the progress fragment (an inline, nonced script + fetch).
    queued = services.build_start(team=team_a, user=user_a, text="Can a model pick the likely cause of an event?",
                                  target_size=5, run_in_background=False, benchmark=built_text_benchmark.version.benchmark)
    user_a.is_staff = user_a.is_superuser = True
    user_a.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user_a)
    context = browser.new_context()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.on("pageerror", lambda exc: blocked.append(str(exc)))
    sample = Sample.objects.filter(version=built_text_benchmark.version).first()

    for path in (reverse("portfolio"), reverse("spec-detail", args=[benchmark_id]) + "?version=1",
                 reverse("sample-detail", args=[sample.pk]), reverse("dashboard-quality", args=[benchmark_id]) + "?version=1",
                 reverse("admin:index")):
        assert page.goto(f"{live_server.url}{path}").status == 200, path
    page.goto(f"{live_server.url}{reverse('benchmark-detail', args=[benchmark_id])}?version={queued.version.number}")
    with page.expect_response(lambda response: f"/runs/{queued.run.id}/progress/" in response.url) as polled:
        pass
    assert polled.value.status == 200
    page.goto(f"{live_server.url}{reverse('api-docs')}")
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI drew the operations from the schema
    assert page.locator(".opblock").count() > 30
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""

    assert blocked == []
    context.close()
