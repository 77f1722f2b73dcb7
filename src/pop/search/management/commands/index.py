"""`pop index sync | follow | rebuild | check | status`: the search index's life cycle."""
from __future__ import annotations

import signal
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from pop.search import store


class Command(BaseCommand):
    requires_system_checks = []  # the follower must not depend on URL/template checks of other apps
    help = "Index de recherche : sync (rattrape la séquence), follow (suit en continu), rebuild (reconstruit et bascule), check (compare base et index), status."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "follow", "rebuild", "check", "status"])
        parser.add_argument("--batch", type=int, default=store.BATCH)
        parser.add_argument("--interval", type=float, default=0.5, help="follow : attente entre deux scrutations (s)")
        parser.add_argument("--sample", type=int, default=200, help="check : notices comparées en détail")
        parser.add_argument("--workers", type=int, default=None,
                            help="rebuild : processus qui préparent les documents (défaut : un par cœur au-delà de 20 000 notices)")

    def handle(self, *args, action, batch, interval, sample, workers, **opts):
        if action == "sync":
            try:
                t0 = time.monotonic()
                n = store.sync(batch=batch)
            except store.IndexBusy as exc:
                raise CommandError(str(exc)) from exc
            gen = store.current_gen()
            self.stdout.write(f"index synchronisé : {n} notice(s) appliquée(s) en {time.monotonic() - t0:.1f} s, "
                              f"point de reprise {store.read_checkpoint(gen)}")
        elif action == "follow":
            stopping = []
            signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
            signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
            self.stdout.write("suivi de l'index démarré")
            sys.stdout.flush()
            store.follow(interval=interval, stop=lambda: bool(stopping),
                         log=lambda m: (self.stderr.write(m), sys.stderr.flush()))
        elif action == "rebuild":
            last = [time.monotonic()]

            def progress(n):
                if time.monotonic() - last[0] > 10:
                    last[0] = time.monotonic()
                    self.stdout.write(f"  {n} notices indexées")
            r = store.rebuild(batch=max(batch, 2000), progress=progress, workers=workers)
            self.stdout.write(f"index reconstruit ({r['generation']}) : {r['records']} notices en {r['seconds']} s "
                              f"({r['rate']} notices/s), {r['caught_up']} rattrapée(s)")
        elif action == "check":
            r = store.check(sample=sample)
            for slug, c in r["bases"].items():
                self.stdout.write(f"{slug:12} base {c['db']:>9}  index {c['index']:>9}")
            if not r["ok"]:
                for p in r["problems"]:
                    self.stderr.write(p)
                raise CommandError(f"écarts entre la base et l'index : {len(r['problems'])}")
            self.stdout.write(f"index conforme (point de reprise {r['checkpoint']}, {r['sampled']} notices comparées)")
        elif action == "status":
            gen = store.current_gen()
            from pop.catalog.service import current_seq
            if gen is None:
                self.stdout.write("aucun index")
            else:
                self.stdout.write(f"génération {gen.name}, point de reprise {store.read_checkpoint(gen)}, séquence {current_seq()}")
