"""The dashboards in a real headless Chromium (Debian's, driven by playwright): each page renders,
every chart draws, and a screenshot of each lands in var/screenshots/."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser(monkeypatch):
    if not Path(CHROMIUM).exists():  # never skipped: `make test` installs it (scripts/install-tools.sh)
        pytest.fail("chromium is not installed: run `bash scripts/install-tools.sh`")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes between
    # pages are synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield browser
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_dashboards_render_and_draw_in_chromium(live_server, browser, client, user_a, reviewed):
    from evaluation.services import judge_start

    judge_start(version=reviewed, user=user_a, engine="rules")  # runs at once (inline tasks, committed)
    client.force_login(user_a)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pages = {"portfolio": (reverse("dashboard-portfolio"), 3),
             "quality": (reverse("dashboard-quality", args=[reviewed.benchmark.pk]), 7),
             "cost": (reverse("dashboard-cost"), 4)}
    for name, (path, charts) in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        page.wait_for_function(f"document.querySelectorAll('[data-chart][data-drawn=true]').length === {charts}",
                               timeout=20_000)
        assert page.locator("[data-chart] .main-svg").count() >= charts
        assert page.locator("[data-chart] .trace").count() >= charts, f"{name}: a chart drew no trace"
        target = shots / f"dashboard-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 20_000
    # The numbers on the page are the API's.
    page.goto(f"{live_server.url}{reverse('dashboard-quality', args=[reviewed.benchmark.pk])}")
    assert page.locator("#kpi-acceptance").inner_text() == "50.0%"
    assert errors == []
    context.close()
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"


@pytest.mark.django_db(transaction=True)
def test_the_spec_page_says_first_what_the_plan_serves_and_what_it_does_not(live_server, browser, client, team_a,
                                                                            user_a, pool_a):
    """A request the pool serves in part (causes, yes; the sentiment of reviews, no dataset): the
    spec page opens with the coverage, the missing ask in words with its reason."""
    from benchmarks import services

    started = services.build_start(team=team_a, user=user_a, target_size=10, run_in_background=False,
                                   text="Can a model pick the most plausible cause of an event and tell the sentiment "
                                        "of a product review?")
    services.build_plan(run_id=started.run.id)
    client.force_login(user_a)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    response = page.goto(f"{live_server.url}{reverse('spec-detail', args=[started.version.benchmark_id])}")
    assert response.status == 200
    first = page.locator("main section.card, section.card").first
    assert first.get_attribute("id") == "coverage"
    assert first.locator("p.notice").first.inner_text().startswith("Partly served: the plan does not give the request")
    rows = {row.locator("td").nth(0).inner_text().split("\n")[0]: row.locator("td").nth(1).inner_text()
            for row in first.locator("tbody tr").all()}
    assert rows == {"causal reasoning": "served", "sentiment and opinion": "not served",
                    "items read from product reviews": "not served"}
    missing = first.locator("tr.cov-not_served td").nth(4).inner_text()
    assert missing.startswith("subtask ") and "no dataset in the pool is about what the request asks" in missing
    shots = Path(settings.VAR_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "spec-partial.png"), full_page=True)
