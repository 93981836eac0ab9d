"""The catalog's tables as ORM classes, for the readers that want objects
(``catalog/store/queries.py``, the tests). The tables themselves — columns, types, defaults — are
defined once, in ``catalog/store/tables.py``, which the harvest uses directly without the ORM.

``Course.__table__`` *is* ``tables.courses``; ``Course.key`` is its column, as before.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase, relationship

from catalog.store import tables
from catalog.store.tables import UTCDateTime, utcnow

__all__ = [
    "Base",
    "Course",
    "CourseEvent",
    "CourseRun",
    "Derivation",
    "Feed",
    "HarvestPage",
    "HarvestRun",
    "HeldWithdrawal",
    "Institution",
    "Offer",
    "RejectedRecord",
    "UTCDateTime",
    "utcnow",
]


class Base(DeclarativeBase):
    metadata = tables.metadata


class Institution(Base):
    __table__ = tables.institutions

    feeds = relationship("Feed", back_populates="institution")


class Feed(Base):
    __table__ = tables.feeds

    institution = relationship("Institution", back_populates="feeds")


class Course(Base):
    __table__ = tables.courses

    runs = relationship(
        "CourseRun",
        back_populates="course",
        cascade="all, delete-orphan",
        order_by="CourseRun.start",
    )


class CourseRun(Base):
    __table__ = tables.course_runs

    course = relationship("Course", back_populates="runs")


class HarvestRun(Base):
    __table__ = tables.harvest_runs

    rejected_records = relationship(
        "RejectedRecord",
        back_populates="harvest",
        cascade="all, delete-orphan",
        order_by="RejectedRecord.id",
    )


class RejectedRecord(Base):
    __table__ = tables.rejected_records

    harvest = relationship("HarvestRun", back_populates="rejected_records")


class HarvestPage(Base):
    """What one committed page saw: enough to judge absence after a resumed harvest."""

    __table__ = tables.harvest_pages


class HeldWithdrawal(Base):
    """A withdrawal a guard held back, waiting for ``moocx sync --accept-withdrawals``."""

    __table__ = tables.held_withdrawals


class CourseEvent(Base):
    """A course's history: when it appeared, changed, was withdrawn or came back."""

    __table__ = tables.course_events


class Offer(Base):
    """One course run open to one audience institution's students, from one exchange rule."""

    __table__ = tables.offers


class Derivation(Base):
    """What a value the catalog derives and stores was derived with (``courses.isced``)."""

    __table__ = tables.derivations
