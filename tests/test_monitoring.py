"""Metrics as operators see them: a real Prometheus scrapes a running bot, the webhook serves /metrics,
and deploy/'s configuration, alert rules and dashboard are checked by Prometheus' own tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.postgres import free_port
from tests.prometheus import INSTALL_HINT, PrometheusServer, binaries

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ANSWERED = "Sektor strategis apa yang dicakup kesepakatan ekonomi ini?"
NOT_SURE = "How do I bake sourdough bread at home?"


@pytest.fixture(scope="module")
def prometheus_binaries() -> tuple[str, str]:
    found = binaries()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Prometheus on this machine: {INSTALL_HINT}")
        pytest.skip(f"no Prometheus on this machine: {INSTALL_HINT}")
    return found


def scrape(port: int) -> dict[str, float]:
    """Every sample of a /metrics page, by name and labels (``name{label="value"}``)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        page = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            labels = ",".join(f'{key}="{value}"' for key, value in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_a_real_prometheus_scrapes_the_bot_and_answers_how_many_questions_it_got(bot_factory, prometheus_binaries):
    port = free_port()
    bot = bot_factory(metrics_port=port)
    before = scrape(port)
    prometheus = PrometheusServer(prometheus_binaries[0], [f"127.0.0.1:{port}"]).start()
    try:
        bot.ask(ANSWERED)
        bot.ask(NOT_SURE)
        expected = {
            outcome: before[f'tanya_questions_total{{outcome="{outcome}"}}'] + 1 for outcome in ("answered", "not_sure")
        }
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = {r["metric"]["outcome"]: float(r["value"][1]) for r in prometheus.query("tanya_questions_total")}
            if all(got.get(outcome) == count for outcome, count in expected.items()):
                break
            time.sleep(0.5)
        assert {outcome: got.get(outcome) for outcome in expected} == expected
        [passages] = prometheus.query("tanya_index_passages")
        assert float(passages["value"][1]) == bot.application.bot_data["knowledge"].manifest.passages
        [searched] = prometheus.query("tanya_search_seconds_count")
        assert float(searched["value"][1]) >= before["tanya_search_seconds_count"] + 2
    finally:
        prometheus.stop()


def test_the_webhook_serves_metrics_on_its_port_and_counts_outcomes(bot_factory):
    port = free_port()
    bot = bot_factory(mode="webhook", webhook_port=port, access="members")
    before = scrape(port)
    bot.standin.deliver_to(f"http://127.0.0.1:{port}/hook", secret="s3cret-token")
    assert "Sektor" not in bot.ask(ANSWERED, user_id=5555)["text"]  # a non-member: refused
    bot.ask(ANSWERED, user_id=42)  # the admin
    deadline = time.monotonic() + 30
    while (after := scrape(port))["tanya_reply_seconds_count"] == before["tanya_reply_seconds_count"]:
        assert time.monotonic() < deadline  # observed once the reply's request has returned to the handler
        time.sleep(0.1)

    def grew(name: str) -> float:
        return after[name] - before.get(name, 0.0)

    assert grew('tanya_questions_total{outcome="refused"}') == 1
    assert grew('tanya_questions_total{outcome="answered"}') == 1
    assert grew("tanya_updates_total") == 2
    assert grew("tanya_reply_seconds_count") == 1
    while (after := scrape(port))["tanya_history_queue"] != 0:  # the two questions' rows, written within a second
        assert time.monotonic() < deadline, after["tanya_history_queue"]
        time.sleep(0.1)


def test_deploy_configuration_and_alert_rules_pass_promtool(prometheus_binaries):
    promtool = prometheus_binaries[1]
    folder = DEPLOY / "prometheus"
    for command in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ):
        run = subprocess.run([promtool, *command], cwd=folder, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr


def test_the_dashboard_and_the_alerts_use_only_metrics_the_bot_exports(bot_factory):
    port = free_port()
    bot_factory(metrics_port=port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        families = {family.name: family.type for family in text_string_to_metric_families(response.read().decode())}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    exported = {name + suffix for name, kind in families.items() for suffix in suffixes.get(kind, ("",))}
    dashboard = json.loads((DEPLOY / "grafana" / "tanya-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions.append((DEPLOY / "prometheus" / "alerts.yml").read_text())
    used = {name for expression in expressions for name in re.findall(r"\b(tanya_[a-z_]+)", expression)}
    assert used and used <= exported, used - exported
