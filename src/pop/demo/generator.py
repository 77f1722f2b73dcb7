"""Realistic demo records for the 8 bases, in POP's proportions, streamed in dependency order.

    plan = Plan.for_records(100_000, seed=1)
    for base, data in generate(plan):      # every base after the ones it links to (see ``stream``)
        ...

Everything is deterministic for a seed: each base draws from its own ``random.Random`` and every
attribute another base needs (a monument's REF, commune, title; a museum's REF…) is a pure function
of (seed, base, index) — ``_mix`` below — so links are built without holding records in memory.
Mémoire photos come right after the record they illustrate, and Palissy objects right after the
building that holds them (museo → [each Mérimée building followed by its photos, then by each object
it holds with its photos; the objects in no listed building; the Autor records, each with its
photos] → joconde, museum by museum → the photos that illustrate no record → mnr → enluminures). A photo or an object
is then nearly always stored in the same batch as the record it links to, whose derived fields are
computed once, at its creation, instead of being recomputed (and given a second ``seq``) when a
later batch brings the records that link to it.
"""
from __future__ import annotations

import random
import unicodedata
from array import array
from bisect import bisect_right
from functools import lru_cache
from dataclasses import dataclass, field as dc_field
from typing import Iterator

from pop.demo import vocab

ORDER = ("museo", "merimee", "palissy", "autor", "joconde", "memoire", "mnr", "enluminures")  # seeds: never reorder
ILLUSTRATED = ("merimee", "palissy", "autor")  # the bases Mémoire photos illustrate (see World._memoire_plan)
FULL_SIZE = 4_800_000
# POP's proportions (the real platform holds about 4.8 million records).
SHARES = {"memoire": 0.60, "joconde": 0.19, "merimee": 0.07, "palissy": 0.07,
          "museo": 1_200 / FULL_SIZE, "mnr": 2_200 / FULL_SIZE}
SHARES["enluminures"] = (1 - sum(SHARES.values())) * 0.6
SHARES["autor"] = 1 - sum(SHARES.values())
MIN_PER_BASE = 3
MASK = (1 << 64) - 1
_INDEX = (1 << 40) - 1  # a record's index in a code ``kind << 40 | index`` (see World._targets)
CONTACT_MH = "mediatheque.patrimoine@culture.gouv.fr"


def _mix(*parts: int) -> int:
    """splitmix64 over integers: a fast, well-spread deterministic hash (Python's hash() is salted for str)."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & MASK)) * 0xBF58476D1CE4E5B9 & MASK
        x = (x ^ (x >> 31)) * 0x94D049BB133111EB & MASK
        x ^= x >> 29
    return x


def _mix3(a: int, b: int, c: int) -> int:
    """``_mix(a, b, c)`` unrolled (the generator's hottest hash)."""
    x = (0x9E3779B97F4A7C15 ^ (a & MASK)) * 0xBF58476D1CE4E5B9 & MASK
    x = (x ^ (x >> 31)) * 0x94D049BB133111EB & MASK
    x ^= x >> 29
    x = (x ^ (b & MASK)) * 0xBF58476D1CE4E5B9 & MASK
    x = (x ^ (x >> 31)) * 0x94D049BB133111EB & MASK
    x ^= x >> 29
    x = (x ^ (c & MASK)) * 0xBF58476D1CE4E5B9 & MASK
    x = (x ^ (x >> 31)) * 0x94D049BB133111EB & MASK
    return x ^ (x >> 29)


class _Rng(random.Random):
    """``random.Random`` with the same draws and fewer Python calls for the two it makes most:
    ``choice`` and ``randint``. Both run the standard ``_randbelow`` (``getrandbits`` of n's bit
    length until below n) inline, so they give the very same values."""

    def choice(self, seq):
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return seq[r]

    def randint(self, a: int, b: int) -> int:
        if b < a:
            return super().randint(a, b)  # the standard error
        n = b - a + 1
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r


def _fold_code(text: str, width: int = 2) -> str:
    letters = [c for c in unicodedata.normalize("NFD", text.upper()) if "A" <= c <= "Z"]
    return ("".join(letters) + "XX")[:width]


@dataclass
class Plan:
    seed: int
    counts: dict[str, int]
    images: int = 0
    image_keys: list[str] = dc_field(default_factory=list)   # filled while generating (``--images``)

    @classmethod
    def for_records(cls, n: int, seed: int = 1, images: int = 0) -> "Plan":
        return cls(seed=seed, counts=split(n), images=images)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def split(n: int) -> dict[str, int]:
    """Records per base for ``n`` records in all: POP's shares, at least a few per base, summing to n."""
    n = max(0, int(n))
    if n < len(ORDER) * MIN_PER_BASE:
        counts = {b: 0 for b in ORDER}
        for k in range(n):  # round-robin, Mémoire last
            counts[ORDER[k % len(ORDER)]] += 1
        return counts
    counts = {b: max(MIN_PER_BASE, round(SHARES[b] * n)) for b in ORDER if b != "memoire"}
    counts["museo"] = min(counts["museo"], 9_000)  # M + 4 digits
    counts["memoire"] = n - sum(counts.values())
    return {b: counts[b] for b in ORDER}


# ---------------------------------------------------------------------------------------------
# attributes shared across bases (pure functions of seed and index)


class World:
    """Answers what one base needs to know about another's records, without storing them."""

    def __init__(self, plan: Plan):
        self.seed = plan.seed
        self.n = plan.counts
        self.places = vocab.places()
        self.metro = [p for p in self.places if vocab.metropolitan(p)] or list(self.places)
        self.mer_deno = vocab.terms("merimee_denominations")
        self.pal_deno = vocab.terms("palissy_denominations")
        self.protections = vocab.terms("protections")
        self.jc = _Joconde(self)
        # richer lists from vocabularies.json, built-in samples otherwise
        self.artists = vocab.terms_or("artists", vocab.PAINTERS)
        self.architects = vocab.terms_or("architects", vocab.ARCHITECTS)
        self.photographers = vocab.terms_or("photographers", vocab.PHOTOGRAPHERS)
        self.first_names = vocab.terms_or("first_names", vocab.FIRST_NAMES)
        self.last_names = vocab.terms_or("last_names", vocab.LAST_NAMES)
        self.techniques = vocab.terms_or("joconde_techniques", vocab.TECHNIQUES)
        self.materials = vocab.terms_or("palissy_materials", vocab.TECHNIQUES)
        self.schools = vocab.terms_or("schools", ["France"])
        self.epochs = vocab.terms("epochs")
        self.views = vocab.terms_or("memoire_subjects", vocab.VIEWS)
        self.typdoc = vocab.terms_or("memoire_typdoc", ["phototype argentique", "photographie numérique"])
        self.professions = vocab.terms_or("autor_professions", vocab.FUNCTIONS)
        self.museum_themes = vocab.terms_or("museum_themes", vocab.MUSEUM_THEMES)
        self.museum_names = vocab.terms_or("museum_name_patterns", [k + " de {city}" for k in vocab.MUSEUM_KINDS])
        self.decor_subjects = vocab.terms_or("enluminures_subjects", vocab.DECOR_SUBJECTS)
        self.provenances = vocab.terms("mnr_provenances")
        cents = [c for c in (vocab.raw("centuries") or []) if isinstance(c, dict) and c.get("label")]
        self.centuries = [(c["label"], int(c["start"]), int(c["end"])) for c in cents if int(c.get("start", 0)) >= 1001] or \
            [(label, 1001 + 100 * k, 1100 + 100 * k) for k, label in enumerate(vocab.CENTURIES)]
        series = [(s["prefix"], s["domain"]) for s in (vocab.raw("mnr_series") or [])
                  if isinstance(s, dict) and 2 <= len(str(s.get("prefix", ""))) <= 4 and str(s["prefix"]).isalpha()]
        self.mnr_series = series or [(p, d) for p, d, _deno in vocab.MNR_PREFIXES]
        libs = [i for i in (vocab.raw("enluminures_institutions") or []) if isinstance(i, dict) and i.get("name")]
        by_insee = {p.insee: p for p in self.places}
        self.libraries = [(i["name"], i.get("city") or "", by_insee.get(i.get("insee", ""))) for i in libs] or \
            [(lib, lib.split(" - ")[0], None) for lib in vocab.LIBRARIES]
        patterns = vocab.terms("title_patterns_joconde")
        fillers = vocab.raw("title_fillers") or {}
        self.title_patterns = patterns or [s[0].upper() + s[1:] for s in vocab.SUBJECTS]
        self.fillers = {k: v for k, v in fillers.items() if isinstance(v, list) and v} if isinstance(fillers, dict) else {}
        self._objects = self._object_plan(plan.counts["palissy"])
        self._order = array("q", self._targets())  # the illustrated block's records, in block order
        self._memoire = self._memoire_plan(plan.counts["memoire"])
        self._groups = self._group_plan()
        self._enl = self._enluminures_plan(plan.counts["enluminures"])
        self._subject: tuple = (None, None)  # see photo_subject
        self._buildings: dict[int, tuple] = {}  # see _building
        # Joconde asks for its museum's place for each object
        self._museum_places = [self.places[self.h(1, j) % len(self.places)] for j in range(self.n["museo"])]
        self._centuries: dict[tuple[int, int], list] = {}  # see century

    # Palissy objects kept in a building: runs of consecutive objects per Mérimée building (most
    # buildings hold none, a few hold several), then the objects that are in no listed building.
    # One compact array: objects in buildings 0..a (so object j is in building bisect(cum, j)).
    def _object_plan(self, objects: int):
        linked = int(objects * 0.62)
        buildings = self.n["merimee"]
        mean = max(1.0, linked / max(1.0, buildings * 0.3))
        spread = max(0, int(round(2 * (mean - 1))))
        cum = array("q")
        acc = 0
        for a in range(buildings):
            h = _mix(self.seed, 70, a)
            if acc < linked and h % 100 < 30:
                acc += min(1 + (h >> 8) % (spread + 1), linked - acc)
            cum.append(acc)
        return cum, acc

    def _targets(self) -> Iterator[int]:
        """The records of the illustrated block, in block order, as codes ``kind << 40 | index``
        (kind: position in ``ILLUSTRATED``): each Mérimée building followed by the Palissy objects
        it holds, then the objects in no listed building, then the Autor records."""
        cum, linked = self._objects
        j = 0
        for a in range(self.n["merimee"]):
            yield a
            while j < cum[a]:
                yield 1 << 40 | j
                j += 1
        for j in range(linked, self.n["palissy"]):
            yield 1 << 40 | j
        for j in range(self.n["autor"]):
            yield 2 << 40 | j

    # Mémoire photos: consecutive runs of photos per illustrated record (Mérimée, Palissy, Autor, in
    # block order), then photos that illustrate no record (archaeology). Kept as two compact arrays
    # (cumulative photo count, target code) so that photo i finds its target by bisection.
    def _memoire_plan(self, total: int):
        linked = int(total * 0.9)
        skips = (25, 25, 60)  # % of the records of each kind with no photo
        targets = sum(self.n[b] * (100 - skip) / 100 for b, skip in zip(ILLUSTRATED, skips))
        mean = max(1.0, linked / max(1.0, targets))
        spread = max(0, int(round(2 * (mean - 1))))
        cum, codes = array("q"), array("q")
        acc = 0
        for code in self._order:
            if acc >= linked:
                break
            kind, j = code >> 40, code & _INDEX
            h = _mix(self.seed, 50 + kind, j)
            if h % 100 < skips[kind]:
                continue  # a record with no photo
            acc += min(1 + (h >> 8) % (spread + 1), linked - acc)
            cum.append(acc)
            codes.append(code)
        return cum, codes, acc

    # The illustrated block of the stream: each record of ``_order`` followed by its photos. Two
    # arrays with one entry per record and a final sentinel: where its group starts in the block,
    # and its first photo's index.
    def _group_plan(self):
        cum, codes, linked = self._memoire
        starts, photos = array("q"), array("q")
        pos = t = 0
        for code in self._order:
            starts.append(pos)
            photos.append(cum[t - 1] if t else 0)
            n = 0
            if t < len(codes) and codes[t] == code:
                n = cum[t] - (cum[t - 1] if t else 0)
                t += 1
            pos += 1 + n
        starts.append(pos)
        photos.append(linked)
        return starts, photos

    @property
    def illustrated_block(self) -> int:
        """Number of records in the illustrated block (the records and their linked photos)."""
        return self._groups[0][-1]

    @property
    def linked_photos(self) -> int:
        return self._memoire[2]

    def illustrated_labels(self, a: int, b: int) -> list[tuple[str, int]]:
        """(base, index) of the records at positions a..b-1 of the illustrated block. In any range,
        each base's indices are consecutive and increasing (the block order numbers them so)."""
        starts, photos = self._groups
        order = self._order
        out: list[tuple[str, int]] = []
        g = bisect_right(starts, a) - 1
        last = len(starts) - 1
        while g < last and starts[g] < b:
            pos, first = starts[g], photos[g]
            if pos >= a:
                code = order[g]
                out.append((ILLUSTRATED[code >> 40], code & _INDEX))
            lo, hi = max(a, pos + 1), min(b, starts[g + 1])
            out.extend(("memoire", first + q - pos - 1) for q in range(lo, hi))
            g += 1
        return out

    def campaign_year(self, first: int) -> int:
        """Year of the Inventaire campaign (1980–2019) that took a record's photos, from the index
        of its first photo: the photos of a record share it, and it grows along the stream, so photo
        REFs (``IVR{region}_{year}{department}{number}NUC``) come in increasing order within each
        department, as an inventory numbers them."""
        return 1980 + first * 40 // max(1, self.linked_photos)

    def memoire_target(self, i: int) -> tuple[tuple[str, int] | None, int]:
        """((base, index) illustrated by photo i or None, rank of the photo for that record)."""
        cum, codes, linked = self._memoire
        if i >= linked:
            return None, 0
        t = bisect_right(cum, i)
        code = codes[t]
        return (ILLUSTRATED[code >> 40], code & _INDEX), i - (cum[t - 1] if t else 0)

    def photo_subject(self, target: tuple[str, int]) -> tuple[str, vocab.Place | None, str]:
        """(REF, place — None for a person —, title) of the record Mémoire photos illustrate.
        Photos come in runs per record: the last answer is kept (a pure function of ``target``)."""
        if self._subject[0] != target:
            base, j = target
            if base == "merimee":
                found = (self.merimee_ref(j), self.merimee_place(j), self.merimee_title(j))
            elif base == "palissy":
                found = (self.palissy_ref(j), self.palissy_place(j), self.palissy_title(j))
            else:
                nom, pren = self.autor_name(j)
                found = (self.autor_ref(j), None, f"Portrait de {pren} {nom}")
            self._subject = (target, found)
        return self._subject[1]

    def _enluminures_plan(self, total: int):
        cum, acc, g = array("q"), 0, 0
        while acc < total:
            acc += 3 + _mix(self.seed, 60, g) % 15  # a codex and 2 to 16 décors
            cum.append(acc)
            g += 1
        return cum

    def enluminures_group(self, i: int) -> tuple[int, int]:
        """(codex number, position in its group: 0 = the codex) of Enluminures record i."""
        g = bisect_right(self._enl, i)
        return g, i - (self._enl[g - 1] if g else 0)


    def h(self, tag: int, j: int) -> int:
        return _mix3(self.seed, tag, j)

    # museums
    def museo_ref(self, j: int) -> str:
        return f"M{1000 + j:04d}"

    def museo_place(self, j: int) -> vocab.Place:
        return self._museum_places[j]

    def joconde_museum(self, j: int) -> int:
        """Index of the museum holding Joconde object ``j``: a few big museums hold most objects
        (museum ``m`` holds a share growing like ``sqrt(m + 1) - sqrt(m)``), and each museum's
        objects come one after the other, as museums send their collections: a batch then adds
        to the links of a few museums instead of a thousand."""
        return min(self.n["museo"] - 1, int(self.n["museo"] * ((j + 0.5) / self.n["joconde"]) ** 2))

    # monuments
    def _building(self, j: int) -> tuple[str, vocab.Place, str, str]:
        """(REF, place, denomination, title) of Mérimée building ``j``, kept for the next calls:
        the building, its photos and the objects it holds (with theirs) all ask, one after the other."""
        found = self._buildings.get(j)
        if found is None:
            if len(self._buildings) >= 1024:
                self._buildings.clear()
            r = self.h(2, j) % 100
            prefix = "PA" if r < 45 else ("IA" if r < 99 else "EA")
            place = self.places[self.h(3, j) % len(self.places)]
            deno = self.mer_deno[self.h(4, j) % len(self.mer_deno)]
            found = self._buildings[j] = (f"{prefix}{j + 1:08d}", place, deno, self._building_title(j, deno, place))
        return found

    def merimee_ref(self, j: int) -> str:
        return self._building(j)[0]

    def merimee_place(self, j: int) -> vocab.Place:
        return self._building(j)[1]

    def merimee_deno(self, j: int) -> str:
        return self._building(j)[2]

    def merimee_title(self, j: int) -> str:
        return self._building(j)[3]

    def _building_title(self, j: int, deno: str, place: vocab.Place) -> str:
        h = self.h(5, j)
        head = deno.split(" ")[0]
        if head in ("église", "chapelle", "abbaye", "prieuré", "cathédrale", "basilique", "collégiale", "couvent"):
            return f"{_cap(deno)} {vocab.SAINTS[h % len(vocab.SAINTS)]}"
        if head in ("château", "manoir", "moulin", "pont", "hôtel", "maison", "ferme", "domaine"):
            return f"{_cap(deno)} de {place.name}" if h % 2 else f"{_cap(deno)} {self.last_names[(h >> 4) % len(self.last_names)]}"
        return _cap(deno)

    # objects
    def palissy_refa(self, j: int) -> int | None:
        """Index of the Mérimée building holding Palissy object ``j`` (most objects have one; see
        ``_object_plan``)."""
        cum, linked = self._objects
        return bisect_right(cum, j) if j < linked else None

    def palissy_ref(self, j: int) -> str:
        a = self.palissy_refa(j)
        if a is not None:
            prefix = {"PA": "PM", "IA": "IM", "EA": "EM"}[self.merimee_ref(a)[:2]]
        else:
            r = self.h(8, j) % 100
            prefix = "PM" if r < 52 else ("IM" if r < 98 else "EM")
        return f"{prefix}{j + 1:08d}"

    def palissy_place(self, j: int) -> vocab.Place:
        a = self.palissy_refa(j)
        if a is not None:
            return self.merimee_place(a)
        return self.places[self.h(9, j) % len(self.places)]

    def palissy_deno(self, j: int) -> str:
        return self.pal_deno[self.h(10, j) % len(self.pal_deno)]

    def palissy_title(self, j: int) -> str:
        deno = self.palissy_deno(j)
        h = self.h(11, j)
        if h % 2:
            return f"{_cap(deno)} : {vocab.SUBJECTS[(h >> 4) % len(vocab.SUBJECTS)]}"
        return _cap(deno)

    # people
    def autor_ref(self, j: int) -> str:
        r = self.h(12, j) % 100
        prefix = "OR" if r < 70 else ("AW" if r < 92 else "MV")
        return f"{prefix}{j + 1:07d}"

    def autor_name(self, j: int) -> tuple[str, str]:
        h = self.h(13, j)
        return self.last_names[h % len(self.last_names)], self.first_names[(h >> 12) % len(self.first_names)]

    def mnr_series_of(self, j: int) -> tuple[str, str]:
        return self.mnr_series[self.h(14, j) % len(self.mnr_series)]

    def mnr_ref(self, j: int) -> str:
        return f"{self.mnr_series_of(j)[0]}{j + 1:05d}"

    # random draws shared by several bases
    def century(self, rng: random.Random, lo: int = 1001, hi: int = 2000) -> tuple[str, int]:
        """(century label, a year in it) between years lo and hi."""
        choices = self._centuries.get((lo, hi))
        if choices is None:
            if len(self._centuries) >= 4096:
                self._centuries.clear()
            choices = self._centuries[lo, hi] = [c for c in self.centuries if c[1] >= lo and c[2] <= hi] or self.centuries
        label, start, end = rng.choice(choices)
        return label, rng.randint(start, end)

    def person(self, rng: random.Random) -> str:
        return f"{rng.choice(self.last_names)} {rng.choice(self.first_names)}"

    def title(self, rng: random.Random, city: str) -> str:
        pattern = rng.choice(self.title_patterns)
        if "{" not in pattern:
            return pattern
        values = {k: rng.choice(v) for k, v in self.fillers.items()}
        values["city"] = city
        try:
            return pattern.format(**values)
        except (KeyError, IndexError, ValueError):
            return pattern.split("{")[0].strip() or "Sans titre"


@lru_cache(maxsize=50_000)
def _cap(text: str) -> str:
    """``text`` with a capital first letter (cached: the generator capitalises the same terms over and over)."""
    return text[:1].upper() + text[1:]


def _lambert(rng: random.Random, place: vocab.Place) -> str:
    x = place.x93 + rng.uniform(-900, 900)
    y = place.y93 + rng.uniform(-900, 900)
    return f"{x:.0f};{y:.0f}"


def _wgs(rng: random.Random, place: vocab.Place) -> dict:
    return {"lat": round(place.lat + rng.uniform(-0.01, 0.01), 6), "lon": round(place.lon + rng.uniform(-0.01, 0.01), 6)}


# ---------------------------------------------------------------------------------------------
# one generator per base


def museo(w: World, rng: random.Random, j: int) -> dict:
    ref = w.museo_ref(j)
    place = w.museo_place(j)
    pattern = w.museum_names[w.h(15, j) % len(w.museum_names)]
    name = pattern.replace("{city}", place.name) if "{city}" in pattern else f"{pattern} de {place.name}"
    slug = _fold_code(place.name, 8).lower()
    themes = rng.sample(w.museum_themes, min(len(w.museum_themes), rng.randint(1, 3)))
    d = {
        "REF": ref, "NOMOFF": name, "NOMUSAGE": name, "VILLE_M": place.name,
        "DPT": place.department, "REGION": place.region, "CP_M": f"{place.insee[:2]}{rng.randint(0, 999):03d}",
        "ADRL1_M": f"{rng.randint(1, 60)} rue {rng.choice(['de la République', 'du Musée', 'Victor-Hugo', 'des Arts', 'du Château'])}",
        "TEL_M": f"0{rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        "CONTACT_GENERIQUE": f"musee@mairie-{slug}.fr", "URL_M": f"https://www.musee-{slug}.fr",
        "CATEG": rng.choice(["Musée de France", "Musée municipal", "Musée départemental", "Musée national"]),
        "LABEL": "Musée de France", "STATUT": rng.choice(["municipal", "départemental", "associatif", "national"]),
        "DOMPAL": themes, "THEMES": themes,
        "HIST": f"Le musée est fondé en {rng.randint(1795, 1990)} à partir des collections de la ville de {place.name}.",
        "ARTISTE": ", ".join(rng.sample(w.artists, min(3, len(w.artists)))), "ACCES": "Oui",
        "AN_CREAT": str(rng.randint(1795, 1990)), "POP_COORDONNEES": _wgs(rng, place),
    }
    if rng.random() < 0.6:
        d["PHOTO"] = f"museo/{ref}/facade.jpg"
    return d


def merimee(w: World, rng: random.Random, j: int) -> dict:
    ref = w.merimee_ref(j)
    place = w.merimee_place(j)
    deno = w.merimee_deno(j)
    title = w.merimee_title(j)
    mh = ref.startswith("PA")
    cent, year = w.century(rng, 1001, 2000)
    material, roof = rng.choice(vocab.MATERIALS), rng.choice(vocab.ROOFS)
    d = {
        "REF": ref, "TICO": title, "DENO": [deno], "COM": [place.name], "WCOM": [place.name],
        "INSEE": [place.insee], "DPT": [place.dpt], "REG": [place.region], "SCLE": [cent], "DATE": [str(year)],
        "STAT": rng.choice(vocab.OWNERS), "MURS": [material, rng.choice(vocab.MATERIALS)], "TOIT": [roof],
        "COPY": [f"© {'Monuments historiques' if mh else 'Inventaire général'}, {rng.randint(1980, 2020)}"],
        "DOSS": "Dossier de protection" if mh else "dossier individuel",
        "ETUD": ["recensement immeubles MH"] if mh else ["inventaire topographique"], "CONTACT": CONTACT_MH,
        "HIST": f"{title} construit au {cent}, remanié au {w.century(rng, year, 2000)[0]}.",
        "DESC": f"Édifice en {material}, couvert en {roof}.",
        "ADRS": f"{rng.randint(1, 40)} rue {rng.choice(vocab.SAINTS)}",
        "CADA": [f"{rng.choice('ABCDE')}{rng.choice('ABCDE')} {rng.randint(1, 400)}"],
    }
    d["WADRS"] = d["ADRS"]
    if mh:
        prot = rng.choice([p for p in w.protections if p.endswith("MH")] or w.protections)
        d.update({"PROT": [prot], "DPRO": f"{rng.randint(1840, 2020)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} : {prot}",
                  "PPRO": f"{title} (cad. {d['CADA'][0]}) : {prot} par arrêté", "APRO": ["arrêté"], "INTE": ["A signaler"]})
    elif rng.random() < 0.3:
        d["AUTR"] = [rng.choice(w.architects)]
    r = rng.random()
    if r < 0.72 and vocab.metropolitan(place):
        d["COOR"], d["ZONE"] = _lambert(rng, place), "Lambert93"
    elif r < 0.82:
        p = _wgs(rng, place)
        d["COOR"], d["ZONE"] = f"{p['lon']};{p['lat']}", "WGS84"
    return d


def palissy(w: World, rng: random.Random, j: int) -> dict:
    ref = w.palissy_ref(j)
    place = w.palissy_place(j)
    a = w.palissy_refa(j)
    deno = w.palissy_deno(j)
    cent, year = w.century(rng, 1101, 2000)
    mh = ref.startswith("PM")
    material = rng.choice(w.materials)
    d = {
        "REF": ref, "TICO": w.palissy_title(j), "DENO": [deno], "COM": [place.name], "WCOM": [place.name],
        "INSEE": [place.insee], "DPT": [place.dpt], "REG": [place.region], "SCLE": [cent], "DATE": [str(year)],
        "MATR": [material], "STAT": [rng.choice(vocab.OWNERS)], "CONTACT": CONTACT_MH,
        "COPY": f"© {'Monuments historiques' if mh else 'Inventaire général'}, {rng.randint(1980, 2020)}",
        "DOSS": ["dossier individuel"], "ETUD": "recensement objets MH" if mh else "inventaire topographique",
        "DIMS": f"h = {rng.randint(20, 400)} ; la = {rng.randint(10, 300)}", "ETAT": [rng.choice(vocab.STATES)],
        "REPR": [rng.choice(vocab.SUBJECTS)], "DESC": f"{_cap(deno)} en {material}.",
    }
    if a is not None:
        d["REFA"] = [w.merimee_ref(a)]
        d["EDIF"] = w.merimee_title(a)
        d["EMPL"] = rng.choice(["chœur", "nef", "sacristie", "chapelle nord", "trésor", "bas-côté sud"])
    if rng.random() < 0.35:
        d["AUTR"] = [rng.choice(w.artists)]
    if mh:
        prot = rng.choice([p for p in w.protections if p.endswith("objet")] or w.protections)
        d.update({"PROT": prot, "DPRO": f"{rng.randint(1900, 2020)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} : {prot}"})
    if rng.random() < 0.05:  # objects in private hands: the exact location is restricted
        d.update({"ADRS2": f"{rng.randint(1, 90)} chemin des {rng.choice(['Vignes', 'Prés', 'Chênes'])}",
                  "COM2": [place.name], "INSEE2": [place.insee], "EDIF2": f"Demeure {rng.choice(w.last_names)}",
                  "EMPL2": "salon"})
    if rng.random() < 0.2 and vocab.metropolitan(place):
        d["COOR"], d["ZONE"] = _lambert(rng, place), "Lambert93"
    return d


def autor(w: World, rng: random.Random, j: int) -> dict:
    nom, pren = w.autor_name(j)
    born = rng.randint(1450, 1930)
    job = rng.choice(w.professions)
    d = {
        "REF": w.autor_ref(j), "NOM": nom, "PREN": pren, "FONC": [job],
        "DNAISS": str(born), "DMORT": str(born + rng.randint(30, 90)), "LNAISS": rng.choice(w.places).name,
        "NATIO": "française", "TYPID": ["personne physique"], "ISNI_VERIFIEE": "non",
        "SCLE": [w.century(rng, born + 20 - (born + 20 - 1) % 100, born + 120 - (born + 20 - 1) % 100)[0]],
        "BIO": f"{pren} {nom}, {job}, actif à {rng.choice(w.places).name}.",
    }
    if rng.random() < 0.25 and w.n["merimee"] and w.n["palissy"]:
        d["LBASE"] = [w.merimee_ref(rng.randrange(w.n["merimee"])) if rng.random() < 0.6 else w.palissy_ref(rng.randrange(w.n["palissy"]))]
    return d


class _Joconde:
    def __init__(self, w: World):
        self.domains = vocab.terms("joconde_domains")
        self.denos = vocab.terms("joconde_denominations")
        self.codes = [_fold_code(dom) for dom in self.domains]


def joconde(w: World, rng: random.Random, j: int) -> dict:
    jc = w.jc
    k = rng.randrange(len(jc.domains))
    ref = f"{j // 1_000_000:03d}{jc.codes[k]}{j % 1_000_000:06d}"
    m = w.joconde_museum(j)
    city = w.museo_place(m).name
    cent, year = w.century(rng, 1301, 2000)
    deno = rng.choice(jc.denos)
    title = w.title(rng, rng.choice(w.places).name)
    d = {
        "REF": ref, "INV": f"{rng.choice(['D', 'Inv.', 'MB', 'AR.'])} {rng.randint(1850, 2020)}.{rng.randint(1, 99)}.{rng.randint(1, 999)}",
        "MUSEO": w.museo_ref(m), "DOMN": [jc.domains[k]], "STAT": [rng.choice(vocab.JOCONDE_STATUSES)], "DENO": [deno],
        "TITR": title, "AUTR": [rng.choice(w.artists)], "PERI": [f"{rng.choice(vocab.QUARTERS)} {cent}"], "MILL": [str(year)],
        "TECH": [rng.choice(w.techniques)], "DIMS": f"H. {rng.randint(5, 300)} ; L. {rng.randint(5, 300)}",
        "ECOL": [rng.choice(w.schools)], "REPR": [rng.choice(vocab.SUBJECTS)], "LOCA": f"{city} ; musée",
        "DESC": f"{_cap(deno)} : {title}.", "COPY": f"© {city}, musée ; photo {w.person(rng)}",
    }
    if rng.random() < 0.3:
        other = rng.choice(jc.domains)
        if other != jc.domains[k]:
            d["DOMN"].append(other)
    if w.epochs and rng.random() < 0.3:
        d["EPOQ"] = [rng.choice(w.epochs)]
    if rng.random() < 0.65:
        ext = "png" if j % 20 == 7 else "jpg"
        d["IMG"] = [f"joconde/{ref}/{ref.lower()}_{n}.{ext}" for n in range(1, rng.choice((1, 1, 1, 2, 3)) + 1)]
    if rng.random() < 0.01 and w.n["merimee"]:
        d["REFMER"] = [w.merimee_ref(rng.randrange(w.n["merimee"]))]
    if rng.random() < 0.01 and w.n["palissy"]:
        d["REFPAL"] = [w.palissy_ref(rng.randrange(w.n["palissy"]))]
    return d


def memoire(w: World, rng: random.Random, i: int) -> dict:
    target, ordinal = w.memoire_target(i)
    if target is None:
        place = rng.choice(w.places)
        ref = f"AR{place.dpt}_{i:08d}"
        edif, title, lbase = rng.choice(["villa", "oppidum", "nécropole", "enceinte", "habitat"]), None, []
        idprod = f"service régional de l'Archéologie {place.region}"
    else:
        base = target[0]
        tref, place, edif = w.photo_subject(target)
        if place is None:  # a person: the photo is taken anywhere
            place = rng.choice(w.places)
        lbase = [tref]
        title = edif
        if tref[:1] == "I":
            ref = f"IVR{vocab.REGIONS.index(place.region):02d}_{w.campaign_year(i - ordinal)}{place.dpt}{i:08d}NUC"
            idprod = f"Région {place.region} - Inventaire général du patrimoine culturel"
        elif base == "autor":
            ref = f"MPP{i:09d}"
            idprod = "Médiathèque du patrimoine et de la photographie"
        elif base == "palissy" and rng.random() < 0.5:
            ref = f"OA{place.dpt}_{i:08d}"
            idprod = f"Conservation des antiquités et objets d'art {place.department}"
        elif rng.random() < 0.5:
            ref = f"AP{place.dpt}R{i:08d}"
            idprod = f"Service départemental de l'architecture et du patrimoine {place.department}"
        else:
            ref = f"MH{i:09d}"
            idprod = f"Conservation régionale des monuments historiques {place.region}"
    view = rng.choice(w.views)
    year = rng.randint(1880, 2022)
    d = {
        "REF": ref, "LEG": f"{_cap(edif)}. {_cap(view)}", "EDIF": edif, "COM": [place.name], "INSEE": [place.insee],
        "DPT": [place.dpt], "REG": [place.region], "AUTP": [rng.choice(w.photographers)], "DATPV": str(year),
        "TYPDOC": "photographie numérique" if year > 2005 else rng.choice(w.typdoc), "IDPROD": idprod,
        "DOM": ["architecture" if not target or target[0] == "merimee" else "objet mobilier"],
        "LOCA": f"France ; {place.region} ; {place.department} ; {place.name}", "SERIE": [f"Série {rng.randint(1, 40)}"],
        "COPY": f"© Ministère de la Culture (France), Médiathèque du patrimoine et de la photographie, {year}",
        "COULEUR": "OUI" if year > 1960 and rng.random() < 0.8 else "NON", "FORMAT": rng.choice(["24 x 36", "13 x 18", "6 x 6", "numérique"]),
        "CONTACT": CONTACT_MH, "NUMP": f"{year}{i:08d}", "LBASE": lbase,
    }
    if title:
        d["TICO"] = title
    if ordinal == 0 and lbase:
        d["MARQ"] = "1"  # the cover photo of the record it illustrates
    if rng.random() < 0.92:
        d["IMG"] = f"memoire/{ref}/{ref.lower()}_p.{'tif' if i % 25 == 3 else 'jpg'}"  # a few master scans in TIFF
    return d


_MNR_DENO = {"MNR": "Tableau", "OAR": "Objet d'art", "RFR": "Sculpture", "REC": "Dessin", "AEG": "Statuette",
             "AGR": "Vase", "MAO": "Objet d'art", "OAO": "Objet d'art"}


def mnr(w: World, rng: random.Random, j: int) -> dict:
    ref = w.mnr_ref(j)
    prefix, domain = w.mnr_series_of(j)
    cent, _ = w.century(rng, 1401, 1950)
    d = {
        "REF": ref, "TITR": w.title(rng, rng.choice(w.places).name), "AUTR": [rng.choice(w.artists)],
        "DENO": [_MNR_DENO.get(prefix, "Objet d'art")], "DOMN": [domain], "TECH": [rng.choice(w.techniques)],
        "DIMS": [f"H. {rng.randint(10, 200)} ; L. {rng.randint(10, 200)}"], "SCLE": [cent],
        "LOCA": rng.choice(vocab.MNR_PLACES), "INV": f"{prefix} {j + 1}", "ECOL": rng.choice(w.schools),
        "HIST": rng.choice(w.provenances) if w.provenances else
        f"Récupéré en Allemagne en {rng.choice([1945, 1946, 1947])}, attribué aux Musées nationaux en {rng.choice([1950, 1951])}.",
        "CATE": rng.choice(["Oeuvre dont l'historique est incomplet entre 1933 et 1945, en l'état des recherches actuelles.",
                            "Oeuvre ayant fait l'objet d'une spoliation.", "Oeuvre acquise sur le marché de l'art."]),
        "REDC": [f"{rng.choice('ABCDFGJLMN')}. {rng.choice('ABCDFGJLMN')}."],
    }
    if rng.random() < 0.85:
        d["VIDEO"] = [f"mnr/{ref}/{ref.lower()}_{n}.jpg" for n in range(1, rng.choice((1, 1, 2, 3)) + 1)]
    if rng.random() < 0.4:  # internal follow-up fields
        d.update({"SALLES": f"Exposé en salles depuis {rng.randint(1990, 2020)}", "NET": "Présence sur site internet du musée",
                  "CARTELS": "Formulation du cartel conforme", "RCL": f"Récolé en {rng.randint(2000, 2022)}"})
    if j > 0 and rng.random() < 0.05:
        d["RENV"] = [w.mnr_ref(rng.randrange(j))]
    return d


@lru_cache(maxsize=64)
def _codex_common(w: World, g: int) -> dict:
    """Fields a codex shares with its décors (drawn from the codex's own generator)."""
    rng = _Rng(_mix(w.seed, 77, g))
    name, city, place = rng.choice(w.libraries)
    point = {"lat": place.lat, "lon": place.lon} if place else {"lat": 48.8566, "lon": 2.3522}
    title = rng.choice(vocab.MANUSCRIPTS)
    start = rng.randint(1100, 1500)
    cote = f"ms. {rng.randint(1, 3000):04d}"
    return {"ETAB": name, "COTE": cote, "REFD": f"{city} - {name} - {cote}", "TITR": title, "LOCA": city,
            "DATE": f"vers {start}-{start + 10}", "DATDEB": str(start), "DATFIN": str(start + 10),
            "ORIGG": rng.choice(["France (nord)", "France (ouest)", "Flandres", "Italie", "France (Paris)"]),
            "LANGOUV": rng.choice(["latin", "latin ; français", "français"]),
            "NOMENC": [rng.choice(["Liturgie", "Dévotion", "Littérature", "Histoire"])],
            "COPY": "© Institut de recherche et d'histoire des textes - CNRS", "DROIT": "cliché IRHT ; droits collectivité, CNRS et MCC",
            "POP_COORDONNEES": point}


def enluminures(w: World, rng: random.Random, i: int) -> dict:
    """Codices ("INI-CM…") each followed by its décors ("INI-D…", REFC → codex)."""
    g, pos = w.enluminures_group(i)
    common = _codex_common(w, g)
    cref = f"INI-CM-{g + 1:06d}"
    if pos == 0:
        return {"REF": cref, **common, "NOMENC": list(common["NOMENC"]), "POP_COORDONNEES": dict(common["POP_COORDONNEES"]),
                "TYPCOD": "codex", "TYPE": "manuscrit", "DIMS": f"{rng.randint(150, 450)} x {rng.randint(100, 320)} mm",
                "NOTES": f"{common['TITR']}, manuscrit sur parchemin de {rng.randint(80, 400)} feuillets."}
    decor = i - g  # décors before this one: i - (g + 1), numbered from 1
    dref = f"INI-D-{decor:07d}"
    d = {"REF": dref, **common, "NOMENC": list(common["NOMENC"]), "POP_COORDONNEES": dict(common["POP_COORDONNEES"]),
         "REFC": [cref], "SUJET": rng.choice(w.decor_subjects), "DOMN": "décor",
         "TYPE": "enluminure ; manuscrit", "FOPG": f"f. {rng.randint(1, 300):03d}{rng.choice(['', 'v'])}",
         "CONTXT": rng.choice(["Miniature", "Initiale", "Encadrement"]), "TYPDEC": rng.choice(["miniature", "initiale ornée", "encadrement orné"]),
         "ATTRIB": rng.choice(["Maître de la Légende dorée de Munich (proche du)", "Maître de Boucicaut", "anonyme", "Jean Bourdichon (atelier de)"])}
    if rng.random() < 0.85:
        d["VIDEO"] = [f"enluminures/{dref}/irht_{decor:07d}-p.jpg"]
    return d


# ---------------------------------------------------------------------------------------------
# the stream


def image_keys(base: str, data: dict) -> list[str]:
    from pop.schema import registry

    out = []
    for code in registry.get(base).image_fields:
        v = data.get(code)
        if isinstance(v, list):
            out += [x for x in v if x]
        elif isinstance(v, str) and v:
            out.append(v)
    return out


IMAGE_QUOTAS = (("memoire", 0.4), ("joconde", 0.3), ("mnr", 0.1), ("enluminures", 0.1), ("museo", 0.1))


def quotas(k: int) -> dict[str, int]:
    """How many of ``k`` image files go to each base with images."""
    q = {b: int(k * s) for b, s in IMAGE_QUOTAS}
    for b, _ in IMAGE_QUOTAS:  # at least one per base when possible, then the rest to the biggest
        if sum(q.values()) < k and q[b] == 0:
            q[b] = 1
    q["memoire"] += k - sum(q.values())
    return q


BLOCK = 64  # records drawn from one seeded generator: any range can be generated without the ones before
_MAKERS = {"museo": museo, "merimee": merimee, "palissy": palissy, "autor": autor, "joconde": joconde,
           "memoire": memoire, "mnr": mnr, "enluminures": enluminures}


def base_records(w: World, base: str, start: int, stop: int) -> Iterator[dict]:
    """Records ``start``..``stop-1`` of one base (the same whichever range they are asked in)."""
    make = _MAKERS[base]
    tag = ORDER.index(base) + 1
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1 if stop > start else 0):
        rng = _Rng(_mix(w.seed, 1000 + tag, block))
        for j in range(block * BLOCK, min((block + 1) * BLOCK, stop)):
            data = make(w, rng, j)
            if j >= start:
                yield data


def stream(w: World) -> list[tuple[str, int, int]]:
    """The parts of the generated sequence, in order: (part, first index, size). A part is a base
    (its records ``first``..``first+size-1``) or ``"illustrated"`` (see ``World.illustrated_labels``)."""
    n, linked = w.n, w.linked_photos
    return [("museo", 0, n["museo"]), ("illustrated", 0, w.illustrated_block), ("joconde", 0, n["joconde"]),
            ("memoire", linked, n["memoire"] - linked), ("mnr", 0, n["mnr"]), ("enluminures", 0, n["enluminures"])]


def generate_range(plan: Plan, start: int, stop: int, world: World | None = None) -> Iterator[tuple[str, dict]]:
    """Records start..stop-1 of the sequence (the same whichever range they are asked in)."""
    w = world or World(plan)
    offset = 0
    for part, first, size in stream(w):
        a, b = max(start, offset) - offset, min(stop, offset + size) - offset
        offset += size
        if a >= b:
            continue
        if part != "illustrated":
            for data in base_records(w, part, first + a, first + b):
                yield part, data
            continue
        labels = w.illustrated_labels(a, b)
        spans: dict[str, list[int]] = {}
        for base, i in labels:  # each base's indices are consecutive in a range of the block
            spans.setdefault(base, [i, i])[1] = i
        records = {base: base_records(w, base, lo, hi + 1) for base, (lo, hi) in spans.items()}
        for base, _i in labels:
            yield base, next(records[base])


def generate(plan: Plan) -> Iterator[tuple[str, dict]]:
    """All records of the plan, in dependency order. Fills ``plan.image_keys`` with ``plan.images``
    image keys (the first image of the first records of each base that have one)."""
    plan.image_keys = []
    picker = ImagePicker(plan.images)
    for base, data in generate_range(plan, 0, plan.total):
        picker.offer(base, data)
        yield base, data
    plan.image_keys = picker.keys


class ImagePicker:
    """Keeps the first image key of the first records of each base, up to the base's quota; when a
    base has fewer records with images than its quota, the first other keys seen make up the
    difference, so that exactly ``k`` keys are chosen whenever the records hold that many."""

    def __init__(self, k: int):
        self.k = k
        self.quotas = quotas(k) if k else {}
        self.taken = {b: 0 for b in self.quotas}
        self.chosen: list[str] = []
        self.spare: list[str] = []   # first keys beyond their base's quota, in generation order

    def offer(self, base: str, data: dict) -> None:
        if self.taken.get(base, 0) < self.quotas.get(base, 0) or (base in self.quotas and len(self.spare) < self.k):
            keys = image_keys(base, data)
            if keys:
                self.offer_key(base, keys[0])

    def offer_key(self, base: str, key: str) -> None:
        if self.taken.get(base, 0) < self.quotas.get(base, 0):
            self.taken[base] += 1
            self.chosen.append(key)
        elif base in self.quotas and len(self.spare) < self.k:
            self.spare.append(key)

    @property
    def keys(self) -> list[str]:
        return self.chosen + self.spare[:max(0, self.k - len(self.chosen))]
