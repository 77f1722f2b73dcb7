"""The write service: the only way records change.

    result = service.save("merimee", {"REF": "PA00078014", "TICO": "Château"}, actor="Jeanne Martin", channel="manual")
    batch = service.save_many([("palissy", {...}), ...], channel="import", channel_ref="42")
    service.delete("merimee", "PA00078014", actor=...)
    service.restore_revision("merimee", "PA00078014", seq=1234, actor=...)

Every call runs validate → compute → store → link → history → bump ``seq`` in one transaction.
A batch is atomic: if any record has an error, ``WriteRejected`` is raised and nothing is written.
Updates are partial (absent fields are kept; "" or [] clears a field), as in POP.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pop.catalog import bulksql, producers
from pop.catalog.computed import ComputeContext, compute, flags
from pop.catalog.models import Link, Record, Revision
from pop.catalog.producers import INPUT_FIELDS as PRODUCER_INPUTS, producer_for
from pop.catalog.validation import ERROR, Issue, check_record, clean_input, link_issue
from pop.schema import Base, Field, registry
from pop.schema.registry import UnknownBase

PARIS = ZoneInfo("Europe/Paris")
CHUNK = 500
CREATED, UPDATED, UNCHANGED, DELETED, RESTORED, REJECTED = "created", "updated", "unchanged", "deleted", "restored", "rejected"


@dataclass(slots=True)
class ItemResult:
    base: str
    ref: str
    status: str                         # created | updated | unchanged | deleted | restored | rejected
    issues: list[Issue] = dc_field(default_factory=list)
    seq: int | None = None
    record_id: int | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR] if self.issues else []

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level != ERROR]

    def as_dict(self) -> dict:
        return {"base": self.base, "ref": self.ref, "status": self.status, "seq": self.seq,
                "errors": [i.as_dict() for i in self.errors], "warnings": [i.as_dict() for i in self.warnings]}


class WriteRejected(Exception):
    """Raised when at least one item has an error; nothing was written."""

    def __init__(self, results: list[ItemResult]):
        self.results = results
        bad = [r for r in results if r.errors]
        first = bad[0].errors[0].message if bad else "erreur"
        super().__init__(f"{len(bad)} notice(s) rejetée(s) ; première erreur : {first}")

    @property
    def errors(self) -> list[Issue]:
        return [i for r in self.results for i in r.errors]


@dataclass
class Actor:
    name: str = "système"
    user_id: int | None = None
    channel: str = "manual"
    channel_ref: str = ""


def _actor(actor, channel: str, channel_ref: str) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if actor is not None and hasattr(actor, "pk"):
        name = actor.get_full_name() or actor.get_username()
        return Actor(name=name, user_id=actor.pk, channel=channel, channel_ref=str(channel_ref or ""))
    return Actor(name=str(actor or "système"), channel=channel, channel_ref=str(channel_ref or ""))


# --------------------------------------------------------------------------------------------
# sequence


def allocate_seq(n: int) -> int:
    """Reserve ``n`` consecutive change numbers inside the current transaction; returns the first.

    The UPDATE takes the counter row's lock until commit (SQLite: the write lock), so numbers are
    committed in increasing order and a follower never sees seq k+1 before seq k.
    """
    assert connection.in_atomic_block, "allocate_seq must run inside a transaction"
    with connection.cursor() as cur:
        cur.execute("UPDATE pop_change_counter SET value = value + %s WHERE id = 1 RETURNING value", [n])
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO pop_change_counter (id, value) VALUES (1, %s)", [n])
            last = n
        else:
            last = row[0]
    return last - n + 1


def current_seq() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT value FROM pop_change_counter WHERE id = 1")
        row = cur.fetchone()
    return row[0] if row else 0


# --------------------------------------------------------------------------------------------
# public entry points


def save(base: str, data: dict, *, actor=None, channel: str = "manual", channel_ref: str = "", mode: str = "upsert") -> ItemResult:
    """Create or update one record; raises WriteRejected on error."""
    return save_many([(base, data)], actor=actor, channel=channel, channel_ref=channel_ref, mode=mode)[0]


def save_many(items: Iterable, *, actor=None, channel: str = "manual", channel_ref: str = "",
              mode: str = "upsert", dry_run: bool = False) -> list[ItemResult]:
    """Validate and write a batch atomically. ``mode``: upsert | create | update.

    ``dry_run=True`` validates and reports (created/updated/unchanged + issues) without writing.
    ``items`` are (base, data) pairs or ``Cleaned`` items from ``clean_items``.
    """
    act = _actor(actor, channel, channel_ref)
    items = list(items)
    # mode="create": REFs are not looked up first; the unique index (base, ref) rejects one that
    # exists (tombstones included), and then the batch is planned again with the look-ups.
    optimistic = mode == "create" and not dry_run
    while True:
        plan = _Plan(items, mode, optimistic=optimistic)
        plan.prepare()
        if any(r.errors for r in plan.results):
            if dry_run:
                return plan.results
            raise WriteRejected(plan.results)
        if dry_run:
            return plan.results
        try:
            with transaction.atomic():
                plan.write(act)
        except IntegrityError:
            if not optimistic:
                raise
            optimistic = False  # rolled back (seq numbers too): the full path decides
            continue
        return plan.results


def delete(base: str, ref: str, *, actor=None, channel: str = "manual", channel_ref: str = "") -> ItemResult:
    """Tombstone a record: status 'deleted', its outgoing links removed, history and seq recorded."""
    b = registry.get(base)
    act = _actor(actor, channel, channel_ref)
    with transaction.atomic():
        rec = Record.objects.select_for_update().filter(base=b.slug, ref=ref).first()
        if rec is None or rec.is_deleted:
            raise WriteRejected([ItemResult(b.slug, ref, REJECTED, [Issue(ERROR, "NOT_FOUND", "REF", f"Notice {b.short_label} « {ref} » introuvable.")])])
        targets = _link_targets_with_effects(b, [rec.id])
        seq = allocate_seq(1)
        now = timezone.now()
        Link.objects.filter(src=rec).delete()
        rec.status, rec.seq, rec.updated_at = Record.DELETED, seq, now
        rec.save(update_fields=["status", "seq", "updated_at"])
        Revision.objects.create(record=rec, seq=seq, action=Revision.DELETE, at=now, actor=act.name, user_id=act.user_id,
                                channel=act.channel, channel_ref=act.channel_ref, changes={"__status__": [Record.PUBLISHED, Record.DELETED]})
        _touch(targets, exclude={(b.slug, ref)})
    return ItemResult(b.slug, ref, DELETED, seq=seq, record_id=rec.id)


def state_at(rec: Record, seq: int) -> tuple[dict, str]:
    """(data, status) of a record as it was right after revision ``seq``: undo the later revisions."""
    data = dict(rec.data)
    status = rec.status
    for rev in rec.revisions.filter(seq__gt=seq).order_by("-seq"):
        for code, (old, _new) in (rev.changes or {}).items():
            if code == "__status__":
                status = old
            elif old in (None, "", []):
                data.pop(code, None)
            else:
                data[code] = old
    return data, status


def restore_revision(base: str, ref: str, *, seq: int, actor=None) -> ItemResult:
    """Bring a record back to its state at revision ``seq`` (a new revision records the restore)."""
    b = registry.get(base)
    rec = Record.objects.filter(base=b.slug, ref=ref).first()
    if rec is None or not rec.revisions.filter(seq=seq).exists():
        raise WriteRejected([ItemResult(b.slug, ref, REJECTED, [Issue(ERROR, "NOT_FOUND", None, f"Révision {seq} introuvable pour {b.short_label} « {ref} ».")])])
    data, status = state_at(rec, seq)
    if status == Record.DELETED:
        return delete(b.slug, ref, actor=actor, channel="restore", channel_ref=str(seq))
    settable = {f.code: data.get(f.code, [] if f.multi else "") for f in b.fields if f.settable}
    settable["REF"] = ref
    result = save(b.slug, settable, actor=actor, channel="restore", channel_ref=str(seq), mode="upsert")
    if rec.is_deleted:
        result.status = RESTORED
    return result


class Cleaned:
    """One input item already typed by ``clean_items``; ``save_many`` accepts these in place of
    (base, raw) pairs and runs every other step (merge with the stored record, compute, rules,
    links) as usual, or stores ``created`` as it is when that precomputed creation still holds."""

    __slots__ = ("base", "data", "issues", "created")

    def __init__(self, base: str, data: dict, issues: tuple, created: _Created | None = None):
        self.base, self.data, self.issues, self.created = base, data, issues, created


# Input values the batch plan reads from every item besides its REF: the museum of a Joconde
# record, the image and links of a Mémoire photo, and what the producer rules read.
FACT_CODES = ("MUSEO", "IMG", "LBASE", *PRODUCER_INPUTS)


@dataclass(slots=True)
class _Created:
    """What compute + check_record gave for the item as a creation, with the inputs they read
    beyond the item itself; ``save_many`` reuses it only when those inputs are still the same.

    It carries the record as it will be stored, ready to write: its JSON text (POP_FLAGS included),
    its link rows and the records its links show something on, so that the writing process only
    checks and stores (a compact message when it comes from a worker process)."""

    ref: str
    facts: dict                  # the input's values for FACT_CODES (present ones)
    today: str
    museum: dict | None          # Joconde: the museum data copied
    memoire_image: bool | None   # Mérimée/Palissy/Autor: illustrated by a Mémoire photo with an image
    producer: str
    producers: int               # producers.generation() when ``producer`` was found
    json: str | bytes            # the stored data, as bulksql.dumps gives it
    issues: tuple
    links: tuple = ()            # (field, position, target base, target REF) per link value
    effects: tuple = ()          # (base, REF) of the link targets that show something derived from it
    illustrates: tuple = ()      # (base, REF) of the link targets it gives an image to (see _illustrated)

    @property
    def data(self) -> dict:
        return bulksql.loads(self.json)


def clean_items(items: Iterable[tuple[str, dict]], *, as_creations: bool = False) -> list:
    """The input-typing step of ``save_many`` on its own, so that a bulk loader can run it in
    worker processes and hand the results to ``save_many``. Items of an unknown base are passed
    through unchanged (``save_many`` reports them).

    ``as_creations=True`` also runs compute + check_record as if every item were a new record
    (reading museums from the database); ``save_many`` keeps that result for the items that are
    indeed created, when the date, the museum data, the in-batch Mémoire images and the producer
    it relied on are unchanged, and recomputes otherwise: the outcome is the same either way.
    """
    typed: list = []   # (base, data, issues) or an unknown base's item as given
    for base_name, raw in items:
        base = registry.find(base_name) if isinstance(base_name, str) else None
        if base is None:
            typed.append((base_name, raw))
            continue
        data, issues = clean_input(base, raw)
        typed.append((base, data, tuple(issues)))
    if not as_creations:
        return [Cleaned(t[0].slug, t[1], t[2]) if len(t) == 3 else t for t in typed]
    today = datetime.now(PARIS).strftime("%Y-%m-%d")
    generation = producers.generation()
    ctx = ComputeContext(today=today)
    cleaned = [t for t in typed if len(t) == 3]
    ctx.museums = museums({d.get("MUSEO") for b, d, _i in cleaned if b.slug == "joconde"} - {None, ""})
    for b, d, _i in cleaned:
        if b.slug == "museo" and isinstance(d.get("REF"), str) and d["REF"].strip():
            ctx.museums[d["REF"].strip()] = dict(d)
    _batch_memoire_images(ctx, [(b.slug, d) for b, d, _i in cleaned])
    final = []
    for t in typed:
        if len(t) != 3:
            final.append(t)
            continue
        base, raw, raw_issues = t
        ref = raw.get("REF", "")
        if not isinstance(ref, str) or not ref.strip():
            final.append(Cleaned(base.slug, raw, raw_issues))
            continue
        data = dict(raw)
        ref = data["REF"] = ref.strip()
        issues = compute(base, data, ctx, created=True)
        issues += check_record(base, data)
        if "POP_FLAGS" in base:  # as save_many sets it (the errors it may add do not count)
            data["POP_FLAGS"] = flags([*raw_issues, *issues])
        museum = ctx.museums.get(raw.get("MUSEO", "")) if base.slug == "joconde" else None
        image = ctx.memoire_images.get((base.slug, ref), False) if base.image_fields == ("MEMOIRE",) else None
        facts = {code: raw[code] for code in FACT_CODES if code in raw}
        final.append(Cleaned(base.slug, raw, raw_issues, _Created(
            ref, facts, today, museum, image, data.get("PRODUCTEUR", ""), generation, bulksql.dumps(data), tuple(issues),
            *_link_facts(base, data))))
    return final


def _batch_memoire_images(ctx: ComputeContext, items: list[tuple[str, dict]]) -> None:
    """Photos of a batch illustrate targets of the same batch too."""
    lbase = registry.get("memoire").field("LBASE")
    for slug, data in items:
        if slug == "memoire" and data.get("IMG"):
            for v in _values(data.get("LBASE")):
                ctx.memoire_images[(_resolve_base(lbase, v), v)] = True


# --------------------------------------------------------------------------------------------
# the batch plan


@dataclass(slots=True)
class _Item:
    base: Base
    ref: str
    source: dict | Cleaned        # the typed input, or the Cleaned item holding it
    existing: Record | None = None
    data: dict | None = None
    changes: dict | None = None
    result: ItemResult | None = None
    created: _Created | None = None
    pre: _Created | None = None   # the precomputed creation being stored (then ``data`` stays None)

    @property
    def input(self) -> dict:
        if isinstance(self.source, Cleaned):
            data = self.source.data
            if isinstance(data.get("REF"), str):
                data["REF"] = data["REF"].strip()
            self.source = data
        return self.source

    @property
    def facts(self) -> dict:
        """The input itself, or (precomputed creation) its values for FACT_CODES: all the plan reads
        from an item that is not written from its input."""
        if isinstance(self.source, Cleaned) and self.created is not None:
            return self.created.facts
        return self.input


class _Plan:
    def __init__(self, items: list[tuple[str, dict]], mode: str, *, optimistic: bool = False):
        self.raw = items
        self.mode = mode
        self.optimistic = optimistic  # plan every item as a creation (see save_many)
        self.items: list[_Item] = []
        self.results: list[ItemResult] = []
        self.today = datetime.now(PARIS).strftime("%Y-%m-%d")

    # ---- validation and computing (no writes)
    def prepare(self) -> None:
        seen: set[tuple[str, str]] = set()
        bases: dict[str, Base] = {}
        for entry in self.raw:
            created = None
            if isinstance(entry, Cleaned) and entry.created is not None:  # its input is read only if needed
                base = bases.get(entry.base)
                if base is None:
                    base = bases[entry.base] = registry.get(entry.base)
                issues, created = list(entry.issues), entry.created
                ref = created.ref
                res = ItemResult(base.slug, ref, CREATED, issues)
                if (base.slug, ref) in seen:
                    res.issues.append(Issue(ERROR, "DUPLICATE_REF", "REF", f"Référence « {ref} » présente plusieurs fois dans le lot."))
                seen.add((base.slug, ref))
                self.items.append(_Item(base, ref, entry, result=res, created=created))
                self.results.append(res)
                continue
            if isinstance(entry, Cleaned):  # typed already by clean_items
                base, data, issues, created = registry.get(entry.base), entry.data, list(entry.issues), entry.created
            else:
                base_name, raw = entry
                try:
                    base = registry.get(base_name)
                except UnknownBase as exc:
                    self.results.append(ItemResult(str(base_name), "", REJECTED, [Issue(ERROR, "UNKNOWN_BASE", None, str(exc))]))
                    continue
                data, issues = clean_input(base, raw)
            ref = data.get("REF", "") if isinstance(data.get("REF", ""), str) else ""
            if ref:
                data["REF"] = ref = ref.strip()
            res = ItemResult(base.slug, ref, CREATED, issues)
            if (base.slug, ref) in seen and ref:
                res.issues.append(Issue(ERROR, "DUPLICATE_REF", "REF", f"Référence « {ref} » présente plusieurs fois dans le lot."))
            seen.add((base.slug, ref))
            self.items.append(_Item(base, ref, data, result=res, created=created))
            self.results.append(res)
        self._load_existing()
        ctx = self._context()
        batch_refs = {(it.base.slug, it.ref) for it in self.items if it.ref}
        for it in self.items:
            res = it.result
            if res.errors and not it.ref:
                continue
            existing = it.existing
            if existing is not None and not existing.is_deleted:
                if self.mode == "create":
                    res.issues.append(Issue(ERROR, "REF_EXISTS", "REF", f"La notice {it.base.short_label} « {it.ref} » existe déjà."))
                data = {**existing.data, **it.input}
                res.status = UPDATED
            else:
                if self.mode == "update":
                    res.issues.append(Issue(ERROR, "NOT_FOUND", "REF", f"La notice {it.base.short_label} « {it.ref} » n'existe pas."))
                res.status = RESTORED if existing is not None else CREATED
                if existing is None and self._still_valid(it, ctx):
                    # computed and checked by clean_items with the same inputs: stored as it was
                    # prepared (POP_FLAGS too: the only issues added here are errors, which reject the batch)
                    res.issues += it.created.issues
                    it.pre = it.created
                    continue
                data = dict(it.input)
            res.issues += compute(it.base, data, ctx, created=existing is None)
            res.issues += check_record(it.base, data)  # after compute: rules also see computed values (Joconde CONTACT)
            if "POP_FLAGS" in it.base:
                data["POP_FLAGS"] = flags(res.issues)
            it.data = data
            if existing is not None:  # a restore keeps its field-level diff too, so that state_at can undo it
                it.changes = _diff(it.base, existing.data, data)
                if not it.changes and not existing.is_deleted:
                    res.status = UNCHANGED
        self._check_links(batch_refs)

    def _load_existing(self) -> None:
        if self.optimistic:
            return
        by_base: dict[str, list[_Item]] = defaultdict(list)
        for it in self.items:
            if it.ref:
                by_base[it.base.slug].append(it)
        for slug, its in by_base.items():
            # which REFs exist (one light query per chunk), then full records for those only
            refs = [ref for (ref,) in bulksql.select_in("SELECT ref FROM pop_record WHERE base = %s AND ref", [slug],
                                                        [it.ref for it in its])]
            found: dict[str, Record] = {}
            for i in range(0, len(refs), CHUNK):
                for rec in Record.objects.filter(base=slug, ref__in=refs[i:i + CHUNK]):
                    found[rec.ref] = rec
            for it in its:
                it.existing = found.get(it.ref)
                if it.existing is not None:
                    it.result.record_id = it.existing.id

    def _context(self) -> ComputeContext:
        ctx = ComputeContext(today=self.today)
        museo_refs = {it.facts.get("MUSEO") for it in self.items if it.base.slug == "joconde"}
        museo_refs |= {it.existing.data.get("MUSEO") for it in self.items if it.base.slug == "joconde" and it.existing}
        ctx.museums = museums(museo_refs - {None, ""})
        for it in self.items:  # museums of this batch win
            if it.base.slug == "museo" and it.ref:
                ctx.museums[it.ref] = {**(it.existing.data if it.existing else {}), **it.input}
        # Only records that existed can already be the target of stored Mémoire links: a link is
        # accepted only towards an existing record, and records are never removed (tombstones).
        mem_targets = [(it.base.slug, it.ref) for it in self.items
                       if it.base.image_fields == ("MEMOIRE",) and it.ref and it.existing is not None]
        ctx.memoire_images = memoire_images(mem_targets)
        plain = []
        for it in self.items:  # the targets a precomputed creation illustrates were found by clean_items
            if it.created is None:
                plain.append((it.base.slug, it.facts))
            elif it.created.illustrates:
                ctx.memoire_images.update(dict.fromkeys(it.created.illustrates, True))
        _batch_memoire_images(ctx, plain)
        return ctx

    def _still_valid(self, it: _Item, ctx: ComputeContext) -> bool:
        """Whether the creation precomputed by clean_items read the same inputs as this plan would."""
        pre = it.created
        if pre is None or pre.today != self.today:
            return False
        if it.base.slug == "joconde" and ctx.museums.get(it.facts.get("MUSEO", "")) != pre.museum:
            return False
        if it.base.image_fields == ("MEMOIRE",) and ctx.memoire_images.get((it.base.slug, it.ref), False) != pre.memoire_image:
            return False
        return pre.producers == producers.generation() or producer_for(it.base.slug, it.ref, it.facts) == pre.producer

    def _check_links(self, batch_refs: set[tuple[str, str]]) -> None:
        """A link value must name a published record, or one of this batch, in one of its field's
        target bases. Asked first in the base its REF resolves to (where the link row points),
        then, for the values not found there, in the field's other target bases."""
        links = []  # (item, field, value, resolved base, level if not found)
        for it in self.items:
            if it.pre is not None:  # a creation: no link was there before
                by_code = it.base.by_code
                for code, _pos, dst, v in it.pre.links:
                    f = by_code[code]
                    links.append((it, f, v, dst, "warning" if f.links_to == ("*",) else ERROR))
                continue
            if it.data is None:
                continue
            old = it.existing.data if it.existing is not None and not it.existing.is_deleted else {}
            for f in it.base.link_fields:
                before = set(_values(old.get(f.code))) if old else ()
                for v in _values(it.data.get(f.code)):
                    # a link that was already there and whose target was deleted since is only a warning
                    links.append((it, f, v, _resolve_base(f, v), "warning" if v in before or f.links_to == ("*",) else ERROR))
        if not links:
            return
        existing = set(batch_refs)
        wanted: dict[str, set[str]] = defaultdict(set)
        for _it, _f, v, dst, _level in links:
            if (dst, v) not in existing:
                wanted[dst].add(v)
        existing |= existing_refs(wanted)
        missing = [link for link in links if (link[3], link[2]) not in existing]
        if not missing:
            return
        wanted = defaultdict(set)
        for _it, f, v, dst, _level in missing:
            for b in _candidate_bases(f, v):
                if b != dst and (b, v) not in existing:
                    wanted[b].add(v)
        existing |= existing_refs(wanted)
        for it, f, v, _dst, level in missing:
            if not any((b, v) in existing for b in _candidate_bases(f, v)):
                it.result.issues.append(link_issue(f, v, level))

    # ---- writing (inside a transaction)
    def write(self, act: Actor) -> None:
        todo = [it for it in self.items if it.result.status in (CREATED, UPDATED, RESTORED)]
        if not todo:
            return
        first = allocate_seq(len(todo))
        now = timezone.now()
        ts = bulksql.db_datetime(now)
        was_deleted = [it.existing is not None and it.existing.is_deleted for it in todo]  # before status changes below
        creates, updates = [], []
        for n, it in enumerate(todo):
            it.result.seq = first + n
            (creates if it.existing is None else updates).append(it)
        # Effect targets of the updated records' current links, read before the links are replaced
        # (created records have no links yet).
        old_targets = _link_targets_with_effects_items(updates)
        # Moving seq values around must never collide with the unique index: writes get their new
        # (never used) numbers, which are all above every stored seq.
        bulksql.insert("pop_record", ("base", "ref", "data", "producer", "status", "created_at", "updated_at", "seq"),
                       [(it.base.slug, it.ref, it.pre.json, it.pre.producer, Record.PUBLISHED, ts, ts, it.result.seq) if it.pre else
                        (it.base.slug, it.ref, bulksql.dumps(it.data), it.data.get("PRODUCTEUR", ""), Record.PUBLISHED, ts, ts, it.result.seq)
                        for it in creates], json_columns=("data",))
        if creates:
            ids = bulksql.ids_by_seq(creates[0].result.seq, creates[-1].result.seq)
            for it in creates:
                it.result.record_id = ids[it.result.seq]
        rows = []
        for it in updates:
            rec = it.existing
            rec.data, rec.producer, rec.status, rec.updated_at, rec.seq = it.data, it.data.get("PRODUCTEUR", ""), Record.PUBLISHED, now, it.result.seq
            it.result.record_id = rec.id
            rows.append((bulksql.dumps(rec.data), rec.producer, rec.status, ts, rec.seq, rec.id))
        bulksql.update("pop_record", ("data", "producer", "status", "updated_at", "seq"), rows, json_columns=("data",))

        # links: replace the outgoing links of every written record
        if updates:
            ids = [it.result.record_id for it in updates]
            for i in range(0, len(ids), bulksql.READ_CHUNK):
                Link.objects.filter(src_id__in=ids[i:i + bulksql.READ_CHUNK]).delete()
        links = [(it.result.record_id, *row) for it in todo for row in (it.pre.links if it.pre else _link_rows(it.base, it.data))]
        bulksql.insert("pop_link", ("src_id", "field", "position", "dst_base", "dst_ref"), links)

        columns = ("record_id", "seq", "action", "at", "user_id", "actor", "channel", "channel_ref", "changes")
        if not updates:
            # only creations (imports, harvests, demo data): their revisions, alike but for the
            # record and its seq, are made by the database from the records just stored (their seq
            # numbers are first..last), instead of one row of parameters each
            bulksql.insert_select("pop_revision", columns,
                                  "SELECT id, seq, %s, %s, %s, %s, %s, %s, NULL FROM pop_record WHERE seq BETWEEN %s AND %s ORDER BY seq",
                                  [Revision.CREATE, ts, act.user_id, act.name, act.channel, act.channel_ref, first, first + len(todo) - 1])
        else:
            revisions = []
            for it, restoring in zip(todo, was_deleted):
                if it.existing is None:
                    action, changes = Revision.CREATE, None
                elif restoring:
                    action, changes = Revision.RESTORE, {**(it.changes or {}), "__status__": [Record.DELETED, Record.PUBLISHED]}
                else:
                    action, changes = Revision.UPDATE, it.changes
                revisions.append((it.result.record_id, it.result.seq, action, ts, act.user_id, act.name, act.channel,
                                  act.channel_ref, bulksql.dumps(changes)))
            bulksql.insert("pop_revision", columns, revisions, json_columns=("changes",))
        new_targets = _effect_targets_of_data(todo)
        illustrated = {t for it in todo for t in (it.pre.illustrates if it.pre else _illustrated(it.base, it.data))}
        _touch(old_targets | new_targets, exclude={(it.base.slug, it.ref) for it in todo}, illustrated=illustrated)


# --------------------------------------------------------------------------------------------
# helpers


def _values(value) -> list[str]:
    if not value:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]


def _candidate_bases(field: Field, ref: str) -> tuple[str, ...]:
    if field.links_to == ("*",):
        return registry.slugs()
    return field.links_to


_RESOLVERS: dict[tuple[str, tuple[str, ...]], tuple] = {}


def _resolver(field: Field) -> tuple:
    """(candidate bases, (base, REF pattern) in test order) of a link field, cached per field:
    Autor last, its pattern is the loosest."""
    key = (field.code, field.links_to)
    plan = _RESOLVERS.get(key)
    if plan is None:
        candidates = registry.slugs() if field.links_to == ("*",) else field.links_to
        order = [s for s in candidates if s != "autor"] + [s for s in candidates if s == "autor"]
        plan = _RESOLVERS[key] = (candidates, tuple((s, registry.get(s).ref_regex) for s in order), {})
    return plan


_RESOLVED_MAX = 10_000


def _resolve_with(plan: tuple, ref: str) -> str:
    """Target base of a link value, given its field's ``_resolver``: the only candidate, or the
    one whose REF pattern fits (remembered: the photos of a record, one after the other, name
    the same record)."""
    candidates, order, resolved = plan
    if len(candidates) == 1:
        return candidates[0]
    slug = resolved.get(ref)
    if slug is None:
        slug = candidates[0]
        for candidate, regex in order:
            if regex.match(ref):
                slug = candidate
                break
        if len(resolved) >= _RESOLVED_MAX:
            resolved.clear()
        resolved[ref] = slug
    return slug


def _resolve_base(field: Field, ref: str) -> str:
    """Target base of a link value: the only candidate, or the one whose REF pattern/prefix fits."""
    return _resolve_with(_resolver(field), ref)


def _diff(base: Base, old: dict, new: dict) -> dict:
    """{code: [old, new]} over settable fields whose value changed."""
    out = {}
    for f in base.fields:
        if not f.settable:
            continue
        a, b = old.get(f.code), new.get(f.code)
        if (a in (None, "", []) and b in (None, "", [])) or a == b:
            continue
        out[f.code] = [a, b]
    return out


def existing_refs(wanted: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(base, ref) pairs among ``wanted`` that exist as published records."""
    found: set[tuple[str, str]] = set()
    for slug, refs in wanted.items():
        refs = list(refs)
        for (ref,) in bulksql.select_in("SELECT ref FROM pop_record WHERE status = %s AND base = %s AND ref",
                                        [Record.PUBLISHED, slug], refs):
            found.add((slug, ref))
    return found


def museums(refs: set[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    refs = list(refs)
    for i in range(0, len(refs), CHUNK):
        for ref, data in Record.objects.filter(base="museo", ref__in=refs[i:i + CHUNK], status=Record.PUBLISHED).values_list("ref", "data"):
            out[ref] = data
    return out


def memoire_images(targets: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Which (base, ref) are illustrated by at least one published Mémoire record with an image."""
    out: dict[tuple[str, str], bool] = {}
    by_base: dict[str, list[str]] = defaultdict(list)
    for b, r in targets:
        by_base[b].append(r)
    for slug, refs in by_base.items():
        for i in range(0, len(refs), CHUNK):
            rows = Link.objects.filter(field="LBASE", src__base="memoire", src__status=Record.PUBLISHED,
                                       src__data__CONTIENT_IMAGE="oui", dst_base=slug, dst_ref__in=refs[i:i + CHUNK])
            for ref in rows.values_list("dst_ref", flat=True):
                out[(slug, ref)] = True
    return out


def _effect_fields() -> dict[str, set[str]]:
    """base -> link fields whose targets show something derived from the source (inverse fields,
    Mémoire images, museum data copied into Joconde)."""
    out: dict[str, set[str]] = defaultdict(set)
    for b, f in registry.all_fields():
        if f.inverse_of:
            out[f.inverse_of[0]].add(f.inverse_of[1])
    return out


EFFECT_FIELDS = _effect_fields()


def _link_targets_with_effects(base: Base, record_ids: list[int]) -> set[tuple[str, str]]:
    fields = EFFECT_FIELDS.get(base.slug, set())
    targets = set(Link.objects.filter(src_id__in=record_ids, field__in=fields).values_list("dst_base", "dst_ref"))
    if base.slug == "museo":  # Joconde records copy their museum's data
        refs = Record.objects.filter(id__in=record_ids).values_list("ref", flat=True)
        targets |= {("joconde", r) for r in Record.objects.filter(
            id__in=Link.objects.filter(field="MUSEO", dst_base="museo", dst_ref__in=list(refs)).values("src_id")).values_list("ref", flat=True)}
    return targets


def _link_targets_with_effects_items(items: list[_Item]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    by_base: dict[str, list[int]] = defaultdict(list)
    for it in items:
        if it.result.record_id and (EFFECT_FIELDS.get(it.base.slug) or it.base.slug == "museo"):
            by_base[it.base.slug].append(it.result.record_id)
    for slug, ids in by_base.items():
        for i in range(0, len(ids), CHUNK):
            out |= _link_targets_with_effects(registry.get(slug), ids[i:i + CHUNK])
    return out


def _effect_targets_of_data(items: list[_Item]) -> set[tuple[str, str]]:
    """Effect targets of the links the written records now hold, read from their data (the same
    values and target bases as the Link rows just stored), plus the Joconde objects of written museums."""
    out: set[tuple[str, str]] = set()
    museo_ids = []
    for it in items:
        if it.pre is not None:
            out.update(it.pre.effects)
        else:
            out.update(_effect_targets(it.base, it.data))
        if it.base.slug == "museo" and it.result.record_id:
            museo_ids.append(it.result.record_id)
    for i in range(0, len(museo_ids), CHUNK):
        out |= _link_targets_with_effects(registry.get("museo"), museo_ids[i:i + CHUNK])
    return out


_LINK_PLANS: dict[str, tuple] = {}


def _link_plan(base: Base) -> tuple:
    """(code, resolver) of each link field of ``base`` (see ``_resolver``), looked up once per base."""
    plan = _LINK_PLANS.get(base.slug)
    if plan is None:
        plan = _LINK_PLANS[base.slug] = tuple((f.code, _resolver(f)) for f in base.link_fields)
    return plan


def _link_rows(base: Base, data: dict) -> tuple:
    """(field, position, target base, target REF) of every link value of a record."""
    rows = []
    get = data.get
    for code, resolver in _link_plan(base):
        value = get(code)
        if value:
            for pos, v in enumerate(_values(value)):
                rows.append((code, pos, _resolve_with(resolver, v), v))
    return tuple(rows)


def _link_facts(base: Base, data: dict) -> tuple[tuple, tuple, tuple]:
    """``_link_rows``, ``_effect_targets`` and ``_illustrated`` of a record from one pass over its
    link values (the same values in the same order: each target base is resolved once)."""
    links = _link_rows(base, data)
    if not links:
        return links, (), ()
    codes = EFFECT_FIELDS.get(base.slug, ())
    effects = tuple((dst, v) for code, _pos, dst, v in links if code in codes)
    illustrated = ()
    if base.slug == "memoire" and data.get("CONTIENT_IMAGE") == "oui":
        illustrated = tuple((dst, v) for code, _pos, dst, v in links if code == "LBASE")
    return links, effects, illustrated


def _effect_targets(base: Base, data: dict) -> list[tuple[str, str]]:
    """(base, REF) of the link targets of a record that show something derived from it."""
    return [(_resolve_base(f, v), v) for f in _effect_link_fields(base) for v in _values(data.get(f.code))]


_EFFECT_LINK_FIELDS: dict[str, tuple[Field, ...]] = {}


def _effect_link_fields(base: Base) -> tuple[Field, ...]:
    """The link fields of ``base`` whose targets show something derived from it (cached per base)."""
    out = _EFFECT_LINK_FIELDS.get(base.slug)
    if out is None:
        codes = EFFECT_FIELDS.get(base.slug, set())
        out = _EFFECT_LINK_FIELDS[base.slug] = tuple(f for f in base.link_fields if f.code in codes)
    return out


def _illustrated(base: Base, data: dict) -> tuple:
    """(base, REF) of the records a stored Mémoire record with an image shows its image on: what
    ``memoire_images`` finds through its LBASE links once it is stored (same values, same target bases)."""
    if base.slug != "memoire" or data.get("CONTIENT_IMAGE") != "oui":
        return ()
    lbase = base.field("LBASE")
    return tuple((_resolve_base(lbase, v), v) for v in _values(data.get("LBASE")))


def _touch(targets: set[tuple[str, str]], exclude: set[tuple[str, str]], illustrated: set[tuple[str, str]] = frozenset()) -> None:
    """Recompute the computed fields of records whose derived view changed and give them a new seq,
    so that every follower (index, OAI, dumps) picks the change up. No revision: their own data did not change.

    ``illustrated``: records known to be illustrated by a Mémoire photo just written in this
    transaction (``memoire_images`` is asked only about the others)."""
    targets = targets - exclude
    if not targets:
        return
    by_base: dict[str, list[str]] = defaultdict(list)
    for b, r in sorted(targets):
        by_base[b].append(r)
    rows: list[tuple] = []
    for slug, refs in by_base.items():
        rows += bulksql.select_in("SELECT id, base, ref, data FROM pop_record WHERE status = %s AND base = %s AND ref",
                                  [Record.PUBLISHED, slug], refs)
    if not rows:
        return
    recs = [(rid, base, ref, bulksql.loads(data)) for rid, base, ref, data in rows]
    ctx = ComputeContext(today=datetime.now(PARIS).strftime("%Y-%m-%d"))
    ctx.museums = museums({d.get("MUSEO") for _i, b, _r, d in recs if b == "joconde"} - {None, ""})
    ctx.memoire_images = memoire_images([(b, r) for _i, b, r, _d in recs
                                         if (b, r) not in illustrated and registry.get(b).image_fields == ("MEMOIRE",)])
    ctx.memoire_images.update(dict.fromkeys(illustrated, True))
    first = allocate_seq(len(recs))
    ts = bulksql.db_datetime(timezone.now())
    changed = []
    for n, (rid, slug, _ref, data) in enumerate(recs):
        dmaj = data.get("DMAJ")
        compute(registry.get(slug), data, ctx, created=False)
        data["DMAJ"] = dmaj or data.get("DMAJ")
        changed.append((bulksql.dumps(data), first + n, ts, rid))
    bulksql.update("pop_record", ("data", "seq", "updated_at"), changed, json_columns=("data",))
