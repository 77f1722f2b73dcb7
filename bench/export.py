"""Export benchmark: rows per second, CPU per row and peak memory of each format on N records, 30 columns.

    POP_DATA_DIR=/work/benchdata/full nice -n 10 .venv/bin/python bench/export.py \\
        --rows 1000000 --runs 2 --formats csv,xlsx,ods,jsonl --out /work/benchdata/C/out

Each run is a fresh process (so its peak RSS is its own) that exports the first N published
records of the database, base after base in registry order, in REF order — the same path as
``pop export --base`` and background exports (``run.write_file``): keyset batches of plain rows
(one SQL statement), derived links where the columns need them, a Layout of 30 columns (BASE, the
public fields most often filled in a 20,000-record sample, the record page and IIIF manifest
links), and past ``POP_EXPORT_PARALLEL_MIN`` rows a forked writer process (``--processes 1`` keeps
everything in one process). CPU time is reported for each process: the reader (this process) and
the writer (the forked child).

``--writer-only`` measures the writers alone (one process): 20,000 records read once, replayed to N
rows. ``--xlsx-candidates`` compares XLSX writers on the same real rows (CPU per cell); libraries
that are not installed are skipped.

Reported: wall time, rows/s (wall), CPU µs per row of each process, the rate the busier process
allows when each has a core of its own (rows / its CPU seconds: the wall rate on two otherwise idle
cores when neither process waits for the other — an upper bound), peak RSS of each process, file
size; median and min–max over the runs. The machine is shared: the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")


def _setup():
    import django
    django.setup()


def pick_fields(bases: list[str], n_columns: int = 30) -> list[str]:
    """The public fields most often filled in the first 20,000 records (registry visibility applied),
    as many as make ``n_columns`` columns with BASE, a position's two columns and the two links."""
    from pop.exports.columns import Layout
    from pop.exports.errors import ExportError
    from pop.exports.source import base_batches
    from pop.schema import registry
    counts: Counter = Counter()
    seen = 0
    for base in registry.bases():
        for batch in base_batches(base.slug):
            for _, _, view in batch:
                counts.update(k for k in view if k not in ("BASE", "MEMOIRE"))
            seen += len(batch)
            if seen >= 20_000:
                break
        if seen >= 20_000:
            break
    codes = [c for c, _ in counts.most_common() if c != "REF"]
    chosen = ["REF"]
    for code in codes:
        try:
            if len(Layout.build(bases, chosen + [code]).columns) <= n_columns:
                chosen.append(code)
        except ExportError:   # not a field of the exported bases
            continue
        if len(Layout.build(bases, chosen).columns) == n_columns:
            break
    return chosen


class FirstRows:
    """Source: the first ``limit`` published records, base after base in registry order."""

    kind = "bench"

    def __init__(self, limit: int):
        from pop.catalog.models import Record
        from pop.schema import registry
        self.limit = limit
        counts = dict(Record.objects.filter(status=Record.PUBLISHED).values_list("base").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("id")))
        self.bases, total = [], 0
        for slug in registry.slugs():
            if counts.get(slug) and total < limit:
                self.bases.append(slug)
                total += counts[slug]
        self.total = min(total, limit)
        self.description = f"Banc d'essai : {self.total} notices"

    def spec(self):
        return {"kind": "bench", "rows": self.limit}

    def record_batches(self, codes=None):
        from pop.exports.source import records_from_raw
        for raw in self.raw_batches(codes):
            yield records_from_raw(raw)

    def raw_batches(self, codes=None):
        from pop.exports.source import base_raw_batches
        left = self.limit
        for slug in self.bases:
            for batch in base_raw_batches(slug, codes=codes):
                if len(batch) >= left:
                    yield batch[:left]
                    return
                left -= len(batch)
                yield batch


class Replay(FirstRows):
    """Source: 20,000 records read once, replayed until ``limit`` rows (writers alone)."""

    def __init__(self, limit: int, codes=None):
        super().__init__(limit)
        self.sample = []
        for batch in super().record_batches(codes):
            self.sample += batch
            if len(self.sample) >= 20_000:
                break

    def record_batches(self, codes=None):
        left = self.limit
        while left > 0:
            for i in range(0, len(self.sample), 2000):
                part = self.sample[i:i + min(2000, left)]
                yield part
                left -= len(part)
                if left <= 0:
                    return


def child(args) -> None:
    _setup()
    from pop.exports import run
    from pop.exports.columns import Layout
    from pop.exports.info import ExportInfo
    from pop.exports.writers import get_format
    fields = args.fields.split(",")
    source = (Replay if args.writer_only else FirstRows)(args.rows)
    fmt = get_format(args.child)
    layout = Layout.build(source.bases, fields)
    out = Path(args.out) / f"bench.{fmt.extension}"
    info = ExportInfo(source.description, source.spec(), source.total, fmt.label)
    if args.processes == 1 or args.writer_only:
        from django.conf import settings
        settings.POP_EXPORT_PARALLEL_MIN = 0          # reading and writing in this process
    t0, c0, k0 = time.perf_counter(), time.process_time(), os.times()
    n = run.write_file(fmt, source, layout, info, out)
    k1 = os.times()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    writer_cpu = (k1.children_user + k1.children_system) - (k0.children_user + k0.children_system)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    writer_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if writer_cpu else 0
    print(json.dumps({"format": fmt.name, "rows": n, "columns": len(layout.columns), "wall": wall, "cpu": cpu,
                      "writer_cpu": writer_cpu, "peak_mb": peak, "writer_peak_mb": writer_peak,
                      "size_mb": out.stat().st_size / 2**20}))
    out.unlink()


def xlsx_candidates(args) -> None:
    """CPU per cell of each XLSX writer on the same rows: 20,000 real rows of cells (the 30 columns),
    replayed to ``--rows``. Libraries that are not installed are skipped (``pip install --target DIR
    xlsxwriter pyexcelerate rustpy-xlsxwriter`` and ``PYTHONPATH=DIR`` to compare them)."""
    import datetime as dt
    import importlib.util
    _setup()
    from pop.exports.columns import Layout
    from pop.exports.info import ExportInfo
    from pop.exports.xlsx import render_cells
    fields = pick_fields(FirstRows(20_000).bases)
    sample_src = Replay(20_000)
    layout = Layout.build(sample_src.bases, fields)
    sample = [layout.cells(b, r, v) for b, r, v in sample_src.sample]
    headers = layout.headers
    n = args.rows

    def rows():
        for i in range(n):
            yield sample[i % len(sample)]

    def ours(path):
        with open(path, "wb") as fh:
            for chunk in render_cells(layout, rows(), ExportInfo("bench", {}, n, "XLSX")):
                fh.write(chunk)

    def xlsxwriter_(path):
        import xlsxwriter
        wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False, "tmpdir": args.out})
        ws = wb.add_worksheet("Notices")
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, headers)
        for r, cells in enumerate(rows(), 1):
            for c, v in enumerate(cells):
                t = type(v)
                if v is None or v == "":
                    continue
                if t is str:
                    ws.write_string(r, c, v)
                elif t is dt.date:
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws.write_number(r, c, v)
        wb.close()

    def pyexcelerate_(path):
        from pyexcelerate import Workbook   # builds the whole sheet in memory before saving
        wb = Workbook()
        wb.new_sheet("Notices", data=[headers, *rows()])
        wb.save(path)

    def rustpy_(path):
        import rustpy_xlsxwriter
        rustpy_xlsxwriter.write_worksheet((dict(zip(headers, cells)) for cells in rows()), path,
                                          sheet_name="Notices", datetime_format="yyyy-mm-dd")

    print(f"XLSX writers on {n:,} rows × {len(headers)} columns (20,000 real rows replayed); load {os.getloadavg()[0]:.1f}")
    print("| writer | CPU µs per cell | rows/s (CPU) | peak RSS growth MB | file MB |")
    print("|---|---:|---:|---:|---:|")
    for name, module, fn in (("pop.exports.xlsx (by hand)", None, ours), ("xlsxwriter constant_memory", "xlsxwriter", xlsxwriter_),
                             ("pyexcelerate", "pyexcelerate", pyexcelerate_), ("rustpy-xlsxwriter", "rustpy_xlsxwriter", rustpy_)):
        if module and importlib.util.find_spec(module) is None:
            print(f"| {name} | not installed | | | |")
            continue
        path = Path(args.out) / f"candidate-{name.split()[0]}.xlsx"
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        c0 = time.process_time()
        fn(str(path))
        cpu = time.process_time() - c0
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(f"| {name} | {cpu / n / len(headers) * 1e6:.2f} | {n / cpu:,.0f} | {grown:.0f} | {path.stat().st_size / 2**20:.0f} |")
        path.unlink()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--formats", default="csv,xlsx,ods,jsonl")
    p.add_argument("--out", default="/tmp/pop-export-bench")
    p.add_argument("--writer-only", action="store_true")
    p.add_argument("--processes", type=int, default=2, choices=(1, 2),
                   help="2 (default): the export's own choice, a forked writer past POP_EXPORT_PARALLEL_MIN rows; 1: one process")
    p.add_argument("--xlsx-candidates", action="store_true",
                   help="CPU per cell of the XLSX writers (ours and the installed libraries) on the same real rows")
    p.add_argument("--child")
    p.add_argument("--fields")
    args = p.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.child:
        return child(args)
    if args.xlsx_candidates:
        return xlsx_candidates(args)
    _setup()
    fields = pick_fields(FirstRows(args.rows).bases)
    print(f"# {len(fields)} fields: {','.join(fields)}", flush=True)
    results: dict[str, list[dict]] = {}
    for fmt in args.formats.split(","):
        for i in range(args.runs):
            cmd = [sys.executable, __file__, "--child", fmt, "--rows", str(args.rows), "--out", args.out,
                   "--fields", ",".join(fields), "--processes", str(args.processes)] + (["--writer-only"] if args.writer_only else [])
            line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            r = json.loads(line)
            results.setdefault(fmt, []).append(r)
            print(f"# {fmt} run {i + 1}: {r['rows']} rows in {r['wall']:.1f} s ({r['rows'] / r['wall']:,.0f} rows/s wall; "
                  f"CPU reader {r['cpu']:.1f} s, writer {r['writer_cpu']:.1f} s), peak RSS {r['peak_mb']:.0f} MB "
                  f"(writer {r['writer_peak_mb']:.0f} MB), load {os.getloadavg()[0]:.1f}", flush=True)

    def spread(values, fmt="{:,.0f}"):
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

    mode = "writer only (replayed records)" if args.writer_only else "database → rows → file"
    print(f"\n{mode}, {args.rows:,} rows, {args.runs} run(s) per format; load average now {os.getloadavg()[0]:.1f}\n")
    print("| format | columns | rows/s (wall) median (min–max) | CPU µs/row reader | CPU µs/row writer | "
          "rows/s on two free cores (1 / max CPU per row) | wall s | peak RSS MB reader | peak RSS MB writer | file MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt, rs in results.items():
        print(f"| {fmt} | {rs[0]['columns']} | {spread([r['rows'] / r['wall'] for r in rs])} | "
              f"{spread([r['cpu'] / r['rows'] * 1e6 for r in rs], '{:.1f}')} | "
              f"{spread([r['writer_cpu'] / r['rows'] * 1e6 for r in rs], '{:.1f}')} | "
              f"{spread([r['rows'] / max(r['cpu'], r['writer_cpu']) for r in rs])} | {spread([r['wall'] for r in rs], '{:.1f}')} | "
              f"{spread([r['peak_mb'] for r in rs])} | {spread([r['writer_peak_mb'] for r in rs])} | {rs[0]['size_mb']:.0f} |")


if __name__ == "__main__":
    main()
