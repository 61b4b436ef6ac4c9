"""One settings object, built by a function from the environment (never at import)."""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from typing import Optional

from pydantic import BaseSettings, Field, SecretStr, validator

DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    """Every value can be set by an environment variable named SCREENING_<FIELD>."""

    environment: str = "development"  # development | production
    database_url: str = "sqlite:///out/screening.db"
    office_name: str = "City Health Office"
    emergency_number: str = "120"
    # Abnormal rule: temperature at or above this, feeling feverish, or any symptom.
    fever_threshold_c: float = 37.3
    default_timezone: str = "UTC"
    # The office's own zone: the console, `campaign status` and the printed lists show times in it.
    office_timezone: str = "UTC"
    # Region used to read national phone numbers when no + prefix is given.
    default_region: str = "US"
    secret_key: str = DEFAULT_SECRET
    # Twilio. The account's credentials keep Twilio's own variable names; the auth token is
    # a SecretStr so it never shows in a repr or a log line.
    twilio_account_sid: Optional[str] = Field(None, env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: Optional[SecretStr] = Field(None, env="TWILIO_AUTH_TOKEN")
    twilio_caller_id: Optional[str] = Field(None, env="TWILIO_CALLER_ID")  # our number, E.164
    # The address Twilio reaches the Rasa server at, as Twilio sees it (behind any proxy).
    # Webhook signatures are checked against URLs rebuilt from it.
    public_url: Optional[str] = None
    # Where the dispatcher reaches the Rasa server itself (its `outreach` channel), to open and
    # close text conversations, and the token that channel asks for (Authorization: Bearer).
    rasa_url: str = "http://localhost:5005"
    bot_token: Optional[SecretStr] = None
    # Web chat rate limits, per sender id and per client address (behind a proxy, tell Sanic
    # which header holds the client's address, e.g. SANIC_PROXIES_COUNT=1, or every resident
    # shares the proxy's address).
    chat_messages_per_minute: float = 20
    chat_messages_per_minute_per_address: float = 120
    # Twilio's REST API; only tests and staging point it elsewhere (a local emulator).
    twilio_api_url: str = "https://api.twilio.com"
    # Conversations (Rasa's `events` rows, by sender) whose newest event is older than this are
    # deleted by the dispatcher's housekeeping. The screenings they produced are kept.
    conversation_retention_days: int = 30
    # Redis for the Rasa server's lock store (redis://[:password@]host[:port][/db]). When set,
    # the Rasa server runs one Sanic worker per core and replicas may share the database;
    # unset, one worker locks conversations in memory. A SecretStr: it may hold a password.
    redis_url: Optional[SecretStr] = None

    class Config:
        env_prefix = "SCREENING_"

    @validator("default_timezone", "office_timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @validator("public_url", "rasa_url", "twilio_api_url")
    def _base_url(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @validator("conversation_retention_days")
    def _positive_days(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 day")
        return value

    @validator("redis_url")
    def _redis_url(cls, value: Optional[SecretStr]) -> Optional[SecretStr]:
        if value is None or not value.get_secret_value():
            return None  # set but empty: no Redis
        if not value.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("is not a redis:// URL")  # the value itself may hold a password
        return value

    @validator("secret_key")
    def _no_default_secret_in_production(cls, value: str, values: dict) -> str:
        if values.get("environment") == "production" and value == DEFAULT_SECRET:
            raise ValueError("SCREENING_SECRET_KEY must be set in production")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
