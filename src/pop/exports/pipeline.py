"""Two processes for one large file export: this one reads, a forked child writes — and both encode.

    n = write_in_child(fmt, layout, info, raw_batches, part, workdir)

This process does everything that needs the database or the search engine: it fetches records
(one SQL statement per batch) and their derived links. Turning a batch into the format's rows —
decoding the JSON (``source.records_from_raw``), building each row from the public fields the
export shows (``fmt.prepare``) — is pure work that either process can do; the child writes the
file. Each batch goes to the child raw while it has less than ``AHEAD`` batches sent and not yet
done (it would otherwise wait; a few in hand ride out the slower batches of this process, such as
those whose derived links are read), else this process does that batch's share itself, so the two
cores stay busy whatever the format's balance:
- formats of independent rows (CSV, JSON Lines: ``fmt.encode``) are split by batch: a batch done
  here is sent as the bytes of the file, which the child writes in order, while the raw batches it
  receives it decodes and encodes itself — both processes do the same work, and nothing structured
  crosses the pipe;
- the others (XLSX, ODS: one stream of XML and zip compression) are split by stage: a batch done
  here is sent as prepared rows — rendered ones (ODS's row XML) when the format's writer takes
  them (``fmt.render_rows``) — and the child runs the format's writer on every row.

The child never touches the database (it inherits this process's memory, not its connections) and
exits with ``os._exit`` like every multiprocessing child. Memory stays bounded: a queue of two
messages feeds a sender thread, one message is in the pipe, one in the child's hands. If this
process stops (an error, a cancellation), the child is killed and the caller removes the partial
file; if the child fails, its error is raised here.
"""
from __future__ import annotations

import multiprocessing
import pickle
import queue
import signal
import threading
import traceback
from pathlib import Path
from typing import Iterable, Iterator

from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo
from pop.exports.run import quiet_gc
from pop.exports.source import records_from_raw
from pop.exports.writers import Format

_END = b""
RAW, ROWS, BYTES = 0, 1, 2   # message kinds: a raw batch, prepared rows, encoded bytes (with their row count)
AHEAD = 4                    # batches sent and not yet done by the child before this process does one's share itself


def _preparer(fmt: Format, layout: Layout):
    prepare = fmt.prepare(layout)

    def prepared(raw: list) -> list:
        return [prepare(b, r, data) for b, r, data in records_from_raw(raw)]
    return prepared


def _write_encoded(fmt: Format, layout: Layout, info: ExportInfo, messages: Iterator, fh) -> None:
    prepared, encode = _preparer(fmt, layout), fmt.encode(layout)
    fh.write(fmt.head(layout, info))
    n = 0
    for kind, payload in messages:
        if kind == RAW:
            n += len(payload)
            payload = encode(prepared(payload))
        else:
            count, payload = payload
            n += count
        fh.write(payload)
    info.written = n


def _write_rows(fmt: Format, layout: Layout, info: ExportInfo, messages: Iterator, fh, workdir) -> None:
    prepared = _preparer(fmt, layout)

    def items():
        for kind, payload in messages:
            yield from (prepared(payload) if kind == RAW else payload)
    for chunk in fmt.writer()(layout, items(), info, workdir):
        fh.write(chunk)


def _child(fmt: Format, layout: Layout, info: ExportInfo, path: str, workdir, rx, acks, tx) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)

    def messages():
        loads, recv, ack = pickle.loads, rx.recv_bytes, acks.send_bytes
        while (data := recv()) != _END:
            yield loads(data)
            ack(b".")   # done with it (the consumer asked for the next one)

    try:
        with quiet_gc(), open(path, "wb") as fh:
            if fmt.encode is not None:
                _write_encoded(fmt, layout, info, messages(), fh)
            else:
                _write_rows(fmt, layout, info, messages(), fh, workdir)
        tx.send(("ok", info.written))
    except ExportError as exc:
        tx.send(("export_error", (exc.message, exc.code)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        tx.send(("error", traceback.format_exc()))


class WriterFailed(RuntimeError):
    """The writing process failed (its traceback is the message)."""


def _sender(conn, messages: queue.Queue, failed: list) -> None:
    """Thread sending the queued messages (a send blocks until the child reads: not the main thread)."""
    while (data := messages.get()) is not None:
        if failed:
            continue
        try:
            conn.send_bytes(data)
        except OSError as exc:   # the child stopped: its report says why
            failed.append(exc)


def write_in_child(fmt: Format, layout: Layout, info: ExportInfo, raw_batches: Iterable[list], path: Path,
                   workdir: Path | None = None) -> int:
    """Write the rows of ``raw_batches`` (``source.Raw`` lists) to ``path`` with a forked writer;
    returns the number of rows written. The caller owns ``path`` (it removes it on failure)."""
    ctx = multiprocessing.get_context("fork")
    data_rx, data_tx = ctx.Pipe(duplex=False)
    ack_rx, ack_tx = ctx.Pipe(duplex=False)
    result_rx, result_tx = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fmt, layout, info, str(path), workdir, data_rx, ack_tx, result_tx),
                       name=f"export-writer-{fmt.name}", daemon=True)
    proc.start()
    for end in (data_rx, ack_tx, result_tx):
        end.close()
    messages: queue.Queue = queue.Queue(maxsize=2)
    failed: list = []
    sender = threading.Thread(target=_sender, args=(data_tx, messages, failed), daemon=True)
    sender.start()
    prepared, dumps = _preparer(fmt, layout), pickle.dumps
    encode = fmt.encode(layout) if fmt.encode is not None else None
    render = fmt.render_rows(layout) if fmt.render_rows is not None else None
    sent = in_hand = 0
    try:
        for raw in raw_batches:
            if failed:
                break
            if not raw:
                continue
            try:
                while ack_rx.poll():
                    ack_rx.recv_bytes()
                    in_hand -= 1
            except EOFError:
                break   # the writer stopped: its report says why
            if in_hand < AHEAD:
                message = (RAW, raw)
            elif encode is not None:
                message = (BYTES, (len(raw), encode(prepared(raw))))
            elif render is not None:
                message = (ROWS, render(prepared(raw)))
            else:
                message = (ROWS, prepared(raw))
            messages.put(dumps(message, pickle.HIGHEST_PROTOCOL))
            in_hand += 1
            sent += len(raw)
            info.written = sent
        messages.put(_END)
        messages.put(None)
        sender.join()
        try:
            status, value = result_rx.recv()
        except EOFError:
            status, value = "error", f"le processus d'écriture s'est arrêté (code {proc.exitcode})"
        proc.join()
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
        if sender.is_alive():     # stopped early: unblock and end the sender thread
            failed.append(None)
            while True:
                try:
                    messages.get_nowait()
                except queue.Empty:
                    break
            messages.put(None)
            sender.join(timeout=5)
        for end in (data_tx, ack_rx, result_rx):
            end.close()
    if status == "export_error":
        raise ExportError(*value)
    if status != "ok":
        raise WriterFailed(value)
    info.written = value
    return value
