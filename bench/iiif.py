"""IIIF image server benchmark: POP (gunicorn + Django + libvips) against IIPImage on the same pyramids.

    nice -n 10 .venv/bin/python bench/iiif.py [--data /work/benchdata/iiif] [--images 4]
        [--tiles 240] [--seconds 10] [--clients 4] [--workers 2] [--no-iipimage]

1. Creates (once) ``--images`` synthetic photographs of 6000×4000 (JPEG originals, textured so
   tiles are not trivially compressible) attached to Mémoire records, and builds their derivatives
   (pyramidal tiled JPEG TIFFs) — the build time is reported.
2. Starts POP's server (gunicorn, gthread, ``--workers`` processes × 4 threads) and IIPImage
   (Debian ``iipimage-server`` FastCGI behind ``lighttpd``, ``--workers`` processes), both on
   loopback, serving the same TIFF pyramids.
3. Measures over HTTP with keep-alive connections: distinct 256-px tiles at scale factors 1/2/4
   (uncached: POP's tile cache emptied and IIPImage restarted first), the same tiles again by
   ``--clients`` concurrent clients for ``--seconds`` (cached throughput), 200-px thumbnails
   (distinct widths, uncached) and info.json.
Prints a Markdown table and writes ``results.json`` in the data directory. Cached throughput uses
``wrk`` (Debian package) when installed, else Python client threads (which then compete with the
servers for the CPU). Needs: ``apt-get install iipimage-server lighttpd wrk``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
W, H = 6000, 4000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.args}")
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    f, c = math.floor(k), math.ceil(k)
    return values[f] + (values[c] - values[f]) * (k - f)


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, body
            except (http.client.HTTPException, ConnectionError, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def timed(client: Client, paths: list[str]) -> list[float]:
    out = []
    for p in paths:
        t = time.perf_counter()
        status, body = client.get(p)
        out.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise RuntimeError(f"{p}: HTTP {status} {body[:200]!r}")
    return out


def throughput(port: int, paths: list[str], clients: int, seconds: float) -> float:
    stop = time.time() + seconds
    counts = [0] * clients
    errors = []

    def run(i: int):
        c = Client(port)
        rnd = random.Random(i)
        while time.time() < stop:
            status, _ = c.get(rnd.choice(paths))
            if status != 200:
                errors.append(status)
                return
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"errors during throughput run: {errors[:5]}")
    return sum(counts) / (time.time() - t0)


def throughput_wrk(port: int, paths: list[str], clients: int, seconds: float, workdir: Path) -> float:
    """Cached throughput measured by wrk (a C load generator, so the client costs little CPU)."""
    script = workdir / "paths.lua"
    quoted = ",\n".join(json.dumps(p) for p in paths)
    script.write_text("paths = {\n" + quoted + "\n}\ncounter = 0\n"
                      "request = function()\n  counter = counter + 1\n"
                      "  return wrk.format(\"GET\", paths[(counter % #paths) + 1])\nend\n")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during throughput run:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def tile_regions(n: int, seed: int = 1) -> list[tuple[int, int, int, int, int]]:
    """n distinct (x, y, w, h, out_w) tiles at scale factors 1, 2 and 4 (IIIF tile grid)."""
    rnd = random.Random(seed)
    seen = set()
    out = []
    while len(out) < n:
        f = rnd.choice([1, 1, 2, 4])
        size = 256 * f
        i, j = rnd.randrange(math.ceil(W / size)), rnd.randrange(math.ceil(H / size))
        if (f, i, j) in seen:
            continue
        seen.add((f, i, j))
        x, y = i * size, j * size
        w, h = min(size, W - x), min(size, H - y)
        out.append((x, y, w, h, math.ceil(w / f)))
    return out


def setup(data: Path, n_images: int) -> list[str]:
    os.environ["POP_DATA_DIR"] = str(data)
    os.environ["POP_DATABASE_URL"] = f"sqlite:///{data / 'pop.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django
    django.setup()
    import pyvips
    from django.core.management import call_command
    from pop.catalog import service
    from pop.iiif import derivatives
    from pop.iiif.storage import media_storage

    call_command("migrate", verbosity=0)
    store = media_storage()
    keys = []
    for n in range(n_images):
        ref = f"BENCH{n:05d}"
        key = f"memoire/{ref}/photo-{n}.jpg"
        if not store.exists(key):
            # textured "photograph": smooth colour gradients + blurred noise, JPEG q90
            base = pyvips.Image.gaussnoise(W // 8, H // 8, mean=128, sigma=60).gaussblur(2).resize(8)
            x = pyvips.Image.xyz(W, H)
            r = (x[0] * (200 / W) + base * 0.4).cast("uchar")
            g = (x[1] * (200 / H) + base * 0.4).cast("uchar")
            b = ((x[0] + x[1]) * (120 / (W + H)) + base * 0.5).cast("uchar")
            grain = pyvips.Image.gaussnoise(W, H, mean=0, sigma=18)          # film grain / fine detail
            img = (r.bandjoin([g, b]) + grain).cast("uchar").copy(interpretation="srgb")
            store.put(key, img.jpegsave_buffer(Q=90))
        service.save("memoire", {"REF": ref, "IMG": key, "LEG": f"Banc d'essai {n}", "COPY": "© POP", "DIFF": "oui"},
                     actor="bench")
        keys.append(key)
    t = time.perf_counter()
    built = derivatives.build_missing(progress=False, keys=keys)
    if built:
        print(f"derivatives: {built} built in {time.perf_counter() - t:.1f} s "
              f"({(time.perf_counter() - t) / built:.2f} s per 6000×4000 image)")
    return keys


def start_pop(data: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, POP_DATA_DIR=str(data), POP_DATABASE_URL=f"sqlite:///{data / 'pop.sqlite3'}")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--no-control-socket", "pop.wsgi:application", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--threads", "4", "--worker-class", "gthread",
                             "--keep-alive", "30", "--timeout", "120"],
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def start_iip(data: Path, workers: int) -> tuple[subprocess.Popen, int]:
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    iipsrv = "/usr/lib/iipimage-server/iipsrv.fcgi"
    if not Path(iipsrv).exists() or not Path(lighttpd).exists():
        raise FileNotFoundError("IIPImage needs the Debian packages iipimage-server and lighttpd")
    port = free_port()
    run = data / "iip"
    run.mkdir(exist_ok=True)
    for f in run.glob("iipsrv.sock*"):
        f.unlink()
    conf = run / "lighttpd.conf"
    conf.write_text(f'''server.document-root = "{run}"
server.port = {port}
server.bind = "127.0.0.1"
server.modules = ("mod_fastcgi")
server.errorlog = "{run}/lighttpd.err"
server.max-keep-alive-requests = 10000
server.max-keep-alive-idle = 30
fastcgi.server = ( "/iip" => ((
  "socket" => "{run}/iipsrv.sock",
  "bin-path" => "{iipsrv}",
  "min-procs" => {workers}, "max-procs" => {workers},
  "bin-environment" => ("LOGFILE" => "{run}/iipsrv.log", "VERBOSITY" => "0",
                        "FILESYSTEM_PREFIX" => "{data}/iiif/pyramids/", "JPEG_QUALITY" => "85",
                        "MAX_IMAGE_CACHE_SIZE" => "256", "MAX_CVT" => "10000"),
  "check-local" => "disable"
)))
''')
    proc = subprocess.Popen([lighttpd, "-D", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_port(port, proc)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM) if proc.pid == os.getpgid(proc.pid) else proc.terminate()
        except ProcessLookupError:
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(port: int, prefix, keys, regions, args, clear_cache=None) -> dict:
    """prefix(key) -> URL prefix of the image service."""
    client = Client(port)
    timed(client, [prefix(keys[0]) + "/info.json"])                     # warm-up (connection, imports)
    tiles = [f"{prefix(keys[i % len(keys)])}/{x},{y},{w},{h}/{ow},/0/default.jpg"
             for i, (x, y, w, h, ow) in enumerate(regions)]
    uncached = timed(client, tiles)
    if shutil.which("wrk"):
        cached_rate = throughput_wrk(port, tiles, args.clients, args.seconds, Path(args.data))
        rate_tool = "wrk"
    else:
        cached_rate = throughput(port, tiles, args.clients, args.seconds)
        rate_tool = "python"
    thumbs = [f"{prefix(k)}/full/{200 + d},/0/default.jpg" for d in range(10) for k in keys]
    thumb_ms = timed(client, thumbs)
    thumb_cached = timed(client, thumbs)
    info_ms = timed(client, [prefix(keys[i % len(keys)]) + "/info.json" for i in range(200)])
    return {
        "tile_uncached_p50": pct(uncached, 50), "tile_uncached_p95": pct(uncached, 95),
        "tiles_per_s_cached": cached_rate,
        "thumb200_uncached_p50": pct(thumb_ms, 50), "thumb200_uncached_p95": pct(thumb_ms, 95),
        "thumb200_cached_p50": pct(thumb_cached, 50),
        "info_p50": pct(info_ms, 50), "info_p95": pct(info_ms, 95),
        "n_tiles": len(tiles), "n_thumbs": len(thumbs), "throughput_client": rate_tool,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/benchdata/iiif")
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--tiles", type=int, default=240)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-iipimage", action="store_true")
    args = ap.parse_args()
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    keys = setup(data, args.images)
    regions = tile_regions(args.tiles)
    results = {"machine": f"{os.cpu_count()} cores", "images": len(keys), "size": f"{W}x{H}",
               "workers": args.workers, "clients": args.clients}

    shutil.rmtree(data / "iiif" / "cache", ignore_errors=True)           # POP's tile cache: start empty
    proc, port = start_pop(data, args.workers)
    try:
        results["pop"] = measure(port, lambda k: "/iiif/3/" + quote(k, safe=""), keys, regions, args)
    finally:
        stop(proc)

    if not args.no_iipimage:
        try:
            proc, port = start_iip(data, args.workers)
        except FileNotFoundError as exc:
            results["iipimage_error"] = str(exc)
        else:
            try:
                results["iipimage"] = measure(port, lambda k: f"/iip?IIIF={k}.tif", keys, regions, args)
            finally:
                stop(proc)

    (data / "results.json").write_text(json.dumps(results, indent=2))
    rows = [("256-px tile, uncached, p50 (ms)", "tile_uncached_p50"), ("256-px tile, uncached, p95 (ms)", "tile_uncached_p95"),
            ("cached tiles per second", "tiles_per_s_cached"),
            ("200-px thumbnail, uncached, p50 (ms)", "thumb200_uncached_p50"),
            ("200-px thumbnail, uncached, p95 (ms)", "thumb200_uncached_p95"),
            ("200-px thumbnail, cached, p50 (ms)", "thumb200_cached_p50"),
            ("info.json p50 (ms)", "info_p50"), ("info.json p95 (ms)", "info_p95")]
    iip = results.get("iipimage")
    print(f"\n{len(keys)} images {W}×{H}, {args.tiles} distinct tiles, {args.clients} clients, "
          f"{args.workers} server processes each\n")
    print("| measure | POP | IIPImage | POP / IIPImage |")
    print("|---|---:|---:|---:|")
    for label, k in rows:
        a = results["pop"][k]
        b = iip[k] if iip else float("nan")
        print(f"| {label} | {a:.1f} | {b:.1f} | {a / b:.2f} |" if iip else f"| {label} | {a:.1f} | — | — |")
    if "iipimage_error" in results:
        print(f"\nIIPImage not run: {results['iipimage_error']}")


if __name__ == "__main__":
    main()
