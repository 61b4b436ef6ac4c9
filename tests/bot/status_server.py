"""The voice and SMS channels on a real Sanic server, in a process of its own, for the status tests:
`python -m tests.bot.status_server PORT TOKEN` on the database SCREENING_DATABASE_URL names.
Two routes report on the process for the tests: GET /commits (commits on that database so far)
and GET /waiting (statuses waiting for the group being written to finish)."""
from __future__ import annotations

import logging
import sys

import sqlalchemy as sa
from sanic import Sanic, response

from bot.channels import storage
from bot.channels.sms import SmsInput
from bot.channels.twilio_base import TwilioWebhookConfig
from bot.channels.voice import VoiceInput
from campaigns.records.db import get_engine
from campaigns.settings import get_settings


def app_for(port: int, token: str) -> Sanic:
    config = TwilioWebhookConfig(auth_token=token, public_url=f"http://127.0.0.1:{port}")
    app = Sanic("status_server")
    for channel in (VoiceInput(config), SmsInput(config)):
        app.blueprint(channel.blueprint(lambda message: None), url_prefix=f"/webhooks/{channel.url_prefix()}")
    app.ctx.agent = None  # no status tried here reaches the bot
    commits = [0]

    def counted(_connection) -> None:
        commits[0] += 1

    sa.event.listen(get_engine(get_settings().database_url), "commit", counted)

    @app.get("/commits")
    async def committed(_request):
        return response.json(commits[0])

    @app.get("/waiting")
    async def waiting(_request):
        return response.json(sum(len(writer.waiting) for writer in storage._WRITERS.values()))

    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app_for(int(sys.argv[1]), sys.argv[2]).run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False)
