"""A team's chat channel: the team's review events are posted to its Slack-compatible incoming
webhook (a local HTTP server here), headlines and links only, after the commit."""

from __future__ import annotations

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications import chat, services, tasks
from notifications.models import TeamChat
from reviews import services as review_services

D = datetime.date
PORT = 8246


@pytest.fixture
def receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
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
        cycle = review_services.cycle_create(
            user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
        )
        review_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
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
    assert not any("Secret" in t or "3" == t for t in texts)  # never texts nor ratings


def test_a_channel_that_refuses_raises_for_the_task_to_retry():
    with pytest.raises(chat.ChatError):
        chat.post(f"http://127.0.0.1:{PORT}/nobody-listens", "hello")
    with pytest.raises(chat.ChatError):
        chat.post("file:///etc/passwd", "hello")
