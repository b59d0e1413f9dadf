"""A team's chat channel: the team's review events are posted to its Slack-compatible incoming
webhook (a local HTTP server here), headlines and links only, after the commit."""

from __future__ import annotations

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from notifications import chat, services, tasks
from notifications.models import TeamChat
from reviews.cycles import services as cycle_services
from reviews.writing import services as review_services

D = datetime.date
# The receiver listens on PORT and PORT + 1: two more for each worker of pytest-xdist.
PORT = 8246 + 2 * settings.XDIST_WORKER


@pytest.fixture
def receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {"path": self.path, "type": self.headers["Content-Type"], "json": json.loads(body)}
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def posts_run_here(monkeypatch):
    monkeypatch.setattr(
        services,
        "_enqueue_chat",
        lambda chat_id, text, url: tasks.post_to_chat.apply(args=[chat_id, text, url]).get(),
    )


def test_the_teams_review_events_are_posted_to_its_channel(
    org, receiver, posts_run_here, django_capture_on_commit_callbacks
):
    TeamChat.objects.create(team=org.team_a, webhook_url=f"http://127.0.0.1:{PORT}/hooks/team-a")
    with django_capture_on_commit_callbacks(execute=True):
        cycle = cycle_services.cycle_create(
            user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
        )
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
        review = cycle.reviews.get(csm=org.csm_a)
        review = review_services.review_send_to_csm(user=org.manager_a, review=review, version=review.version)
        review = review_services.review_save_self(
            user=org.csm_a, review=review, version=review.version, sections={"outcomes": "Kept my book."}
        )
        review = review_services.review_submit_self(user=org.csm_a, review=review, version=review.version)
        review = review_services.review_save_manager(
            user=org.manager_a,
            review=review,
            version=review.version,
            final_rating="3",
            sections={"outcomes": "Secret text"},
        )
        review_services.review_submit(user=org.manager_a, review=review, version=review.version)
        b = cycle.reviews.get(csm=org.csm_b)  # team B has no channel
        b = review_services.review_send_to_csm(user=org.manager_b, review=b, version=b.version)
        b = review_services.review_save_self(
            user=org.csm_b, review=b, version=b.version, sections={"outcomes": "Kept my book."}
        )
        review_services.review_submit_self(user=org.csm_b, review=b, version=b.version)
    texts = [r["json"]["text"] for r in receiver]
    assert texts == [
        "The Q3 2026 review cycle is open: self-reviews are due on 10 Oct 2026. <http://testserver/reviews/>",
        f"CSM A submitted their Q3 2026 self-review. <http://testserver/reviews/{review.pk}/>",
        f"The Q3 2026 review of CSM A was submitted. <http://testserver/reviews/{review.pk}/>",
    ]
    assert {r["path"] for r in receiver} == {"/hooks/team-a"}
    assert {r["type"] for r in receiver} == {"application/json; charset=utf-8"}
    assert not any("Secret" in t or t == "3" for t in texts)  # never texts nor ratings


def test_a_channel_that_refuses_raises_for_the_task_to_retry():
    with pytest.raises(chat.ChatError):
        chat.post(f"http://127.0.0.1:{PORT}/nobody-listens", "hello")
    with pytest.raises(chat.ChatError):
        chat.post("file:///etc/passwd", "hello")


# --- where a webhook may point (production rules: CHAT_WEBHOOK_ALLOW_INTERNAL off) ----------------

INTERNAL = [
    ("https://127.0.0.1/hook", "127.0.0.1 points to an address inside a private network or this server"),
    ("https://localhost:8443/hook", "localhost points to an address inside a private network"),
    ("https://10.1.2.3/hook", "10.1.2.3 points to"),
    ("https://192.168.0.10/hook", "192.168.0.10 points to"),
    ("https://172.16.5.4/hook", "172.16.5.4 points to"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 points to"),  # cloud metadata
    ("https://100.64.0.1/hook", "100.64.0.1 points to"),  # shared address space (CGNAT)
    ("https://0.0.0.0/hook", "0.0.0.0 points to"),
    ("https://[::1]/hook", "::1 points to"),
    ("https://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 points to"),
    ("https://[fe80::1]/hook", "fe80::1 points to"),
    ("https://240.0.0.1/hook", "240.0.0.1 points to"),  # reserved
    ("http://hooks.example.com/services/T0/B0/x", "must use https://"),
    ("ftp://hooks.example.com/x", "starts with https://"),
]


@pytest.fixture
def production_rules(settings, monkeypatch):
    settings.CHAT_WEBHOOK_ALLOW_INTERNAL = False
    # Names resolve without a network: a public chat service, and one whose name points inside.
    real = chat.socket.getaddrinfo
    names = {"hooks.example.com": "8.8.8.8", "sneaky.example.com": "10.0.0.7"}

    def resolve(host, port, *args, **kwargs):
        if host in names:
            return [(chat.socket.AF_INET, chat.socket.SOCK_STREAM, 6, "", (names[host], port))]
        if host.endswith(".invalid"):
            raise chat.socket.gaierror("Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(chat.socket, "getaddrinfo", resolve)


@pytest.mark.parametrize("url, says", INTERNAL)
def test_saving_a_channel_refuses_internal_or_plain_http_targets(org, production_rules, url, says):
    with pytest.raises(ValidationError) as refused:
        TeamChat(team=org.team_a, webhook_url=url).full_clean()
    assert says in " ".join(refused.value.message_dict["webhook_url"])
    assert not TeamChat.objects.exists()


def test_a_name_that_resolves_inside_or_nowhere_is_refused_and_a_public_one_taken(org, production_rules):
    with pytest.raises(ValidationError, match=r"sneaky\.example\.com points to an address inside"):
        TeamChat(team=org.team_a, webhook_url="https://sneaky.example.com/hook").full_clean()
    with pytest.raises(ValidationError, match=r"The host nowhere\.invalid could not be found"):
        TeamChat(team=org.team_a, webhook_url="https://nowhere.invalid/hook").full_clean()
    TeamChat(team=org.team_a, webhook_url="https://hooks.example.com/services/T0/B0/x").full_clean()


def test_the_admin_says_why_a_webhook_is_refused_and_saves_nothing(org, production_rules, client):
    from django.urls import reverse

    client.force_login(org.admin)
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save()
    response = client.post(
        reverse("admin:notifications_teamchat_add"),
        {"team": org.team_a.pk, "webhook_url": "https://169.254.169.254/latest/", "active": "on"},
    )
    assert response.status_code == 200
    assert "169.254.169.254 points to an address inside a private network or this server" in (
        response.content.decode()
    )
    assert not TeamChat.objects.exists()


def test_a_stored_internal_target_is_refused_again_at_send_time(org, production_rules, receiver):
    # Stored before the rule (or by a name that pointed outside then): nothing reaches the listener,
    # and the task does not retry a refusal.
    team_chat = TeamChat.objects.create(team=org.team_a, webhook_url=f"http://127.0.0.1:{PORT}/hooks/a")
    with pytest.raises(chat.ChatRefused, match="must use https"):
        chat.post(team_chat.webhook_url, "hello")
    assert tasks.post_to_chat.apply(args=[team_chat.pk, "hello", ""]).get() == "refused"
    TeamChat.objects.filter(pk=team_chat.pk).update(webhook_url="https://sneaky.example.com/hook")
    with pytest.raises(chat.ChatRefused, match="points to an address inside"):
        chat.post("https://sneaky.example.com/hook", "hello")
    assert receiver == []


def test_a_redirect_is_not_followed(settings, receiver):
    # A public channel answering 302 to an internal address would bypass the check: never followed.
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{PORT}/internal")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT + 1), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(chat.ChatRefused, match="redirect"):
            chat.post(f"http://127.0.0.1:{PORT + 1}/hook", "hello")
    finally:
        server.shutdown()
        server.server_close()
    assert receiver == []
