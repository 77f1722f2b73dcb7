"""Streams generated records into the write service, batch by batch (bounded memory).

    report = load(10_000, seed=1, images=20, batch=2000)
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field as dc_field

from tqdm import tqdm

from pop.catalog import service
from pop.demo.generator import Plan, generate

ACTOR = "Données de démonstration"


@dataclass
class Report:
    stored: int = 0
    counts: dict[str, int] = dc_field(default_factory=dict)
    images_written: int = 0
    image_target: str = ""


def batches(plan: Plan, size: int):
    stream = generate(plan)
    while True:
        chunk = list(itertools.islice(stream, size))
        if not chunk:
            return
        yield chunk


def load(records: int, *, seed: int = 1, images: int = 0, batch: int = 2000, progress: bool = True, stream=None) -> Report:
    plan = Plan.for_records(records, seed=seed, images=images)
    report = Report(counts=dict(plan.counts))
    bar = tqdm(total=plan.total, unit=" notices", disable=not progress, file=stream or sys.stderr,
               smoothing=0.05, mininterval=0.5, dynamic_ncols=True)
    try:
        for chunk in batches(plan, batch):
            results = service.save_many(chunk, actor=ACTOR, channel="demo", mode="create")
            report.stored += sum(1 for r in results if r.status == service.CREATED)
            bar.update(len(chunk))
    finally:
        bar.close()
    if images and plan.image_keys:
        from pop.demo.images import write_images

        report.images_written, report.image_target = write_images(plan.image_keys, seed=seed, progress=progress, stream=stream)
    return report
