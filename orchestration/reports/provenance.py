"""What a report was made from: the publication, the Dagster run that published it, the returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from orchestration.clock import beijing_text
from orchestration.home import Home

PUBLISHED_MARTS = "published_marts"


@dataclass(frozen=True)
class Provenance:
    """The run and publication a report states, and when it was generated."""

    run_id: str | None
    publication: str
    generated_at: str  # Beijing time, written out
    generated_at_utc: str


def latest_publish_run(home: Home) -> str | None:
    """The run of the latest `published_marts` materialisation in the home's Dagster instance."""
    import dagster as dg

    from orchestration.instance import instance_for

    instance = instance_for(home)
    try:
        event = instance.get_latest_materialization_event(dg.AssetKey(PUBLISHED_MARTS))
        return event.run_id if event else None
    finally:
        instance.dispose()


def provenance(run_id: str | None, publication: str, now: datetime | None = None) -> Provenance:
    now = now or datetime.now(UTC)
    return Provenance(
        run_id=run_id,
        publication=publication,
        generated_at=beijing_text(now),
        generated_at_utc=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
