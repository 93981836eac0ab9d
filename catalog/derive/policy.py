"""How careful a feed's sync is: the knobs the catalog's safety rules read.

The scheduler builds one from the config (``[sync]`` defaults, per-feed overrides); the catalog
never reads the config itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class HarvestPolicy:
    #: A complete full harvest at least this often, so withdrawals are noticed even on feeds
    #: that are otherwise harvested incrementally.
    full_sync_every: timedelta = timedelta(days=7)
    #: Hold back a run's withdrawals when they would withdraw more than this share of the
    #: feed's active courses.
    max_withdraw_fraction: float = 0.2
    #: Mark a run degraded (and hold its withdrawals) past this share of rejected records.
    max_rejected_fraction: float = 0.1
    #: A lease not renewed for this long belongs to a dead process and may be taken over.
    lease_ttl: timedelta = timedelta(minutes=5)
    #: An unfinished harvest older than this is restarted rather than resumed.
    resume_max_age: timedelta = timedelta(hours=24)
