"""One course, one entry: which courses of one institution, harvested from several platforms or
through a partner node, are the same course.

:func:`cluster` takes every course as a :class:`ClusterCandidate` and gives the clusters of two
or more, each with the evidence of every join; :func:`explain` says why two candidates are or
are not joined, with the rule that decided and its score. Both ask
:func:`catalog.derive.clusters_match.decide`, so what ``explain`` says is what the clustering did:

1. never across institutions; 2. the admin's overrides (:mod:`.clusters_overrides`) win both
ways; 3. identity: the same Open edX course key, about URL or origin; 4. similarity of the
normalised titles (rapidfuzz), with the same part, organisation, language and runs that meet.

Joins are closed transitively with union–find, strongest evidence first (overrides, identities,
then titles by score), and a join that would put a ``not same`` pair in one cluster is refused.
Each institution is clustered apart, and in it only the pairs that share a block — the same
title signature (:func:`blocks`) — are compared: clustering 100,000 courses is about one pass.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from catalog.derive.clusters_match import (
    SMALL_WORDS,
    TITLE_THRESHOLD,
    ClusterCandidate,
    Decision,
    Prepared,
    decide,
    edx_course_key,
    organization_table,
    prepare,
)
from catalog.derive.clusters_overrides import Override, OverrideError, parse_overrides
from catalog.ids import course_id
from connectors.records import CourseRecord

__all__ = [
    "Cluster",
    "ClusterCandidate",
    "Decision",
    "Evidence",
    "Override",
    "OverrideError",
    "candidate_from_record",
    "cluster",
    "explain",
    "parse_overrides",
]

log = logging.getLogger(__name__)

#: Letters of each word a title's block signature keeps: a plural shares them with its singular.
_SIGNATURE_LETTERS = 5


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why ``a`` and ``b`` (``a`` < ``b``) were joined."""

    a: str
    b: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class Cluster:
    """Courses that are one course: ``id`` is the smallest member's id, ``members`` sorted."""

    id: str
    members: tuple[str, ...]
    evidence: tuple[Evidence, ...]


def candidate_from_record(
    feed_id: str, record: CourseRecord, *, institution: str | None, platform: str, base_url: str
) -> ClusterCandidate:
    """``record`` of feed ``feed_id`` (at ``base_url``) as clustering sees it: its origins are its
    own identifier at its feed and every provenance hop."""
    hops = tuple((hop.base_url, hop.identifier) for hop in record.provenance)
    origins = ((base_url, record.key), *hops)
    return ClusterCandidate(
        id=course_id(feed_id, record.key),
        institution=institution,
        platform=platform,
        title=record.title,
        language=record.language,
        organization=record.organization,
        url=record.url,
        starts=tuple(run.start for run in record.runs if run.start is not None),
        origins=origins,
        course_key=edx_course_key(record.key),
    )


def explain(
    a: ClusterCandidate,
    b: ClusterCandidate,
    overrides: Iterable[Override] = (),
    organizations: Iterable[Iterable[str]] = (),
) -> Decision:
    """Why ``a`` and ``b`` are, or are not, one course by their own evidence (a cluster may
    also hold them through a third course: see its :attr:`Cluster.evidence`). ``organizations``
    are groups of spellings of one organisation, as for :func:`cluster`."""
    pair = tuple(sorted((a.id, b.id)))
    said = next((o for o in overrides if (o.a, o.b) == pair), None)
    table = organization_table(organizations)
    return decide(
        prepare(a, table), prepare(b, table), None if said is None else (said.same, said.why())
    )


def cluster(
    candidates: Sequence[ClusterCandidate],
    overrides: Sequence[Override] = (),
    organizations: Iterable[Iterable[str]] = (),
) -> list[Cluster]:
    """The clusters of two or more among ``candidates`` (ids unique), sorted by id.
    ``organizations`` are groups of spellings of one organisation (``["TsinghuaX", "清华大学"]``:
    edX's org code and XuetangX's name), compared as one.

    Each institution is clustered on its own (no join crosses one), so memory follows the
    largest institution, not the catalog. Raises :class:`OverrideError` when an override pairs
    two institutions' courses; an override naming a course that is not among ``candidates`` is
    skipped with a warning."""
    table = organization_table(organizations)
    by_institution: defaultdict[str, list[ClusterCandidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.institution is not None:  # a course of no known institution joins nothing
            by_institution[candidate.institution].append(candidate)
    said = _checked_overrides({c.id: c for c in candidates}, overrides)
    clusters: list[Cluster] = []
    for institution in sorted(by_institution):
        members = by_institution[institution]
        clusters += _cluster_one(members, said.get(institution, []), table)
    return sorted(clusters, key=lambda c: c.id)


def _cluster_one(
    candidates: Sequence[ClusterCandidate], overrides: Sequence[Override], table: dict[str, str]
) -> list[Cluster]:
    """The clusters of one institution's ``candidates``."""
    prepared = [prepare(candidate, table) for candidate in candidates]
    index = {p.candidate.id: i for i, p in enumerate(prepared)}
    said = {_pair(index[o.a], index[o.b]): o for o in overrides}
    id_of = [p.candidate.id for p in prepared]
    edges = sorted(
        _edges(prepared, said),
        key=lambda e: (e[0], -(e[3].score or 0), *sorted((id_of[e[1]], id_of[e[2]]))),
    )
    forest = _Forest(len(prepared))
    for o in overrides:
        if not o.same:
            forest.forbid(index[o.a], index[o.b])
    joined: defaultdict[int, list[Evidence]] = defaultdict(list)
    for _rank, i, j, decision in edges:
        if forest.union(i, j):
            a, b = sorted((id_of[i], id_of[j]))
            joined[i].append(Evidence(a, b, decision))
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for i in range(len(prepared)):
        groups[forest.find(i)].append(i)
    clusters = []
    for members in groups.values():
        if len(members) > 1:
            ids = tuple(sorted(id_of[i] for i in members))
            evidence = (e for i in members for e in joined.get(i, ()))
            clusters.append(Cluster(ids[0], ids, tuple(sorted(evidence, key=lambda e: (e.a, e.b)))))
    return clusters


def _checked_overrides(
    by_id: dict[str, ClusterCandidate], overrides: Sequence[Override]
) -> dict[str, list[Override]]:
    """The overrides of known courses by institution; every cross-institution one is an error."""
    said: defaultdict[str, list[Override]] = defaultdict(list)
    problems = []
    for o in overrides:
        if o.a not in by_id or o.b not in by_id:
            log.warning("overrides line %d: %s or %s is not in the catalog", o.line, o.a, o.b)
            continue
        ia, ib = by_id[o.a].institution, by_id[o.b].institution
        if ia is None or ia != ib:
            problems.append(
                f"overrides line {o.line}: {o.a} and {o.b} are of different institutions"
                f" ({ia} / {ib}); no override joins or splits across institutions"
            )
            continue
        said[ia].append(o)
    if problems:
        raise OverrideError(problems)
    return said


def _pair(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


_Edge = tuple[int, int, int, Decision]
#: Identity groups up to this size are paired every way (see :func:`_edges`).
_EVERY_WAY = 16


def _edges(prepared: Sequence[Prepared], said: dict[tuple[int, int], Override]) -> Iterator[_Edge]:
    """Every join the rules make: overrides (rank 0), identities (1), similar titles (2). The
    members of a small identity group are paired every way, so that a ``not same`` between two
    of them leaves the others joined; a large group (rare) is joined from its first member."""

    def joined(i: int, j: int, rank: int) -> Iterator[_Edge]:
        i, j = _pair(i, j)
        o = said.get((i, j))
        decision = decide(prepared[i], prepared[j], None if o is None else (o.same, o.why()))
        if decision.joined:
            yield (0 if decision.rule == "override" else rank, i, j, decision)

    for i, j in said:
        yield from joined(i, j, 0)
    for group in _identity_groups(prepared):
        members = sorted(group, key=lambda m: prepared[m].candidate.id)
        firsts = members if len(members) <= _EVERY_WAY else members[:1]
        for n, first in enumerate(firsts):
            for other in members[n + 1 :]:
                if _pair(first, other) not in said:
                    yield from joined(first, other, 1)
    seen: set[tuple[int, int]] = set()
    for members in blocks(prepared).values():
        for n, i in enumerate(members):
            for j in members[n + 1 :]:
                if (i, j) in seen or (i, j) in said:
                    continue
                seen.add((i, j))
                if fuzz.ratio(prepared[i].title, prepared[j].title) >= TITLE_THRESHOLD:
                    yield from joined(i, j, 2)


def _identity_groups(prepared: Sequence[Prepared]) -> Iterator[list[int]]:
    """Indices (of one institution) sharing a course key, an about URL or an origin. A URL that
    two courses of one feed carry is a landing page, not a course's: it joins nothing."""
    groups: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if p.course_key:
            groups[("key", p.course_key, "")].append(i)
        if p.url:
            groups[("url", p.url, "")].append(i)
        for base, identifier in p.origins:
            groups[("origin", base, identifier)].append(i)
    for (kind, _value, _more), members in groups.items():
        if len(members) < 2:
            continue
        feeds = [prepared[m].candidate.feed for m in members]
        if kind == "url" and len(set(feeds)) < len(feeds):
            continue
        yield members


def blocks(prepared: Sequence[Prepared]) -> dict[tuple[str, str], list[int]]:
    """Candidates (of one institution) that may be similar: the same signature (the first
    letters of each word but the small ones, sorted — what the words rule lets differ is left
    out) or the same letters without spaces (hyphenation)."""
    found: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if p.words:
            letters = sorted({w[:_SIGNATURE_LETTERS] for w in p.words if w not in SMALL_WORDS})
            found[("w", " ".join(letters))].append(i)
            found[("c", "".join(p.words))].append(i)
    return found


class _Forest:
    """Union–find by size with path halving, and pairs that must stay apart."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size
        self.apart: defaultdict[int, set[int]] = defaultdict(set)  # root → members kept apart

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def forbid(self, i: int, j: int) -> None:
        self.apart[self.find(i)].add(j)
        self.apart[self.find(j)].add(i)

    def union(self, i: int, j: int) -> bool:
        """Join the trees of ``i`` and ``j``; False when already one, or a forbidden pair."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if any(self.find(m) == rj for m in self.apart.get(ri, ())) or any(
            self.find(m) == ri for m in self.apart.get(rj, ())
        ):
            log.debug("not joining %d and %d: an override keeps their clusters apart", i, j)
            return False
        if self.size[ri] < self.size[rj]:
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.size[ri] += self.size[rj]
        if rj in self.apart:
            self.apart[ri] |= self.apart.pop(rj)
        return True
