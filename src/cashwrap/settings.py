"""All settings of a cashwrap process, read from ``CASHWRAP_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASHWRAP_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/cashwrap.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections a process keeps (as many more at peaks)",
    )
    database_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a request waits for the database (a free connection; SQLite's "
        "write lock) before 503 database_busy.",
    )
    database_statement_timeout_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a statement waits for PostgreSQL's answer before its connection is "
        "dropped and the request answered 503 database_unavailable (a network gone silent); "
        "0: forever.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs access tokens. Unset: a key is generated once and kept in the database.",
    )
    token_ttl_seconds: int = Field(default=3600, ge=60)
    issuer: str = "cashwrap"
    log_level: str = "INFO"
    log_json: bool = True
    run_migrations_on_start: bool = True
    dispatcher_enabled: bool = Field(
        default=True, description="Deliver the event stream from inside `cashwrap serve`."
    )
    # The event stream's dispatcher (docs/event-stream.md, "Delivery policy").
    event_batch_size: int = Field(default=200, ge=1, le=5000)
    event_concurrency: int = Field(default=32, ge=1, le=1024)
    event_per_integration_concurrency: int = Field(default=16, ge=1, le=1024)
    event_claim_seconds: float = Field(default=30.0, gt=0)
    event_poll_seconds: float = Field(default=1.0, gt=0)
    event_delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    event_retry_base_seconds: float = Field(default=1.0, gt=0)
    event_retry_max_seconds: float = Field(default=60.0, gt=0)
    event_retry_horizon_seconds: float = Field(default=3 * 24 * 3600.0, gt=0)
    outbound_timeout_seconds: float = Field(default=10.0, gt=0)
    # Imports (docs/catalog-and-availability.md, "Import jobs").
    import_batch_size: int = Field(default=2000, ge=1, le=20000)
    import_heartbeat_seconds: float = Field(default=5.0, gt=0)
    import_stale_after_seconds: float = Field(default=60.0, gt=0)
    import_allow_local_files: bool = Field(
        default=False,
        description=(
            "Let import jobs read file:// URIs and paths on this host (off: a tenant could "
            "otherwise have the platform read any file its process can)."
        ),
    )
    # Order injection and store fulfillment (docs/order-injection.md, docs/store-fulfillment.md).
    injection_rate_limit_per_second: float = Field(
        default=1000.0,
        ge=0,
        description="POST /v0/d/fulfill_order per tenant and process (token bucket); 0: no limit.",
    )
    injection_rate_limit_burst: int = Field(default=1000, ge=1)
    injection_config_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="Order injection reuses a tenant's configuration and known locations this "
        "long (0: read them for every order).",
    )
    injection_big_order_soft_limit: int = Field(
        default=300,
        ge=0,
        description="Injected orders with more items wait on hold when a big_sales_order hard "
        "limit is configured (the hard limit cancels them).",
    )
    fulfillment_handover_poll_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Ask the carrier this often whether booked parcels were picked up; 0: never.",
    )
    checkout_config_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="Carts and checkouts reuse a tenant's selling settings and a store's "
        "location this long; a change made through this process applies at once (0: read them "
        "for every request).",
    )
    atp_config_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="POST /v0/availability reuses a tenant's ATP webhook settings this long.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
