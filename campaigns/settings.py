"""One settings object, built by a function from the environment (never at import)."""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseSettings, validator

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
    # Region used to read national phone numbers when no + prefix is given.
    default_region: str = "US"
    secret_key: str = DEFAULT_SECRET

    class Config:
        env_prefix = "SCREENING_"

    @validator("default_timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
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
