#!/usr/bin/env python3
"""Run boilerstrip's two passes across a Dask cluster: learn per shard (map), merge the shard models as a
tree reduction (reduce: merge is exact and order-independent), ship the merged model to the workers, and
strip per shard (map). Each task runs the boilerstrip CLI, so a worker needs Node and boilerstrip
installed, and the shards and the output directory must be reachable by every worker under the same path
(a shared or network file system on a real cluster; on one machine, any directory).

    python3 integrations/dask/run.py [--scheduler ADDRESS | --workers N] --out-dir DIR SHARD...

With no scheduler address, a local cluster of N worker processes is started on loopback and shut down at
the end. Output: DIR/<shard file name> for each shard (a cleaned JSONL, written atomically by boilerstrip),
and DIR/run.json with timings, model sizes and failures. Failed tasks are retried (--retries); a shard
that keeps failing is reported by name, exit status 1, and nothing of its output is left behind.
Arguments after `--` go to both `learn` and `strip` (for example `-- --min-docs 3 --text-field body`).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "..", "bin", "boilerstrip")


def _run(cmd):
    """Run a boilerstrip command; raise with its stderr when it fails."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def learn_task(node, bin_path, shard, model, extra):
    t0 = time.time()
    _run([node, bin_path, "learn", shard, "-m", model, "--quiet", "--threads", "1", *extra])
    return {"shard": shard, "model": model, "bytes": os.path.getsize(model), "seconds": time.time() - t0}


def merge_task(node, bin_path, a, b, out):
    t0 = time.time()
    _run([node, bin_path, "merge", a["model"], b["model"], "-o", out, "--quiet"])
    return {"model": out, "bytes": os.path.getsize(out), "seconds": time.time() - t0, "parts": a.get("parts", 1) + b.get("parts", 1)}


def strip_task(node, bin_path, model_bytes, digest, shard, out, extra):
    """Write the shipped model to this worker's temp dir once, then strip the shard into `out`."""
    local = os.path.join(tempfile.gettempdir(), f"boilerstrip-model-{digest}.model")
    if not os.path.exists(local):
        tmp = f"{local}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(model_bytes)
        os.replace(tmp, local)
    t0 = time.time()
    try:
        _run([node, bin_path, "strip", "-m", local, shard, "-o", out, "--quiet", "--threads", "1", *extra])
    except Exception:
        # boilerstrip never leaves a partial file; an older complete one from another run must go too.
        if os.path.exists(out):
            os.remove(out)
        raise
    return {"shard": shard, "out": out, "bytes": os.path.getsize(out), "seconds": time.time() - t0}


def remove_model(digest):
    """Run on every worker at the end: the model strip_task wrote to the worker's temp dir goes."""
    local = os.path.join(tempfile.gettempdir(), f"boilerstrip-model-{digest}.model")
    try:
        os.remove(local)
    except FileNotFoundError:
        pass
    return True


def bounded(client, task, items, limit, retries):
    """Submit task(item) -> (fn, *args) for each item, at most `limit` in flight; {item: result or exception}.
    Futures must be direct arguments (not captured in closures) for Dask to resolve them on the worker."""
    from distributed import as_completed

    results = {}
    pending = list(items)
    running = {}
    ac = as_completed()
    while pending or running:
        while pending and len(running) < limit:
            item = pending.pop(0)
            fn, *args = task(item)
            fut = client.submit(fn, *args, retries=retries, pure=False)
            running[fut] = item
            ac.add(fut)
        fut = next(ac)
        item = running.pop(fut)
        try:
            results[item] = fut.result()
        except Exception as e:  # reported by name below
            results[item] = e
    return results


def tree_merge(client, node, bin_path, models, work, retries):
    """Merge models pairwise, level by level, as Dask futures (a tree reduction)."""
    level = [client.submit(lambda m: m, m, pure=False) for m in models]
    depth = 0
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            out = os.path.join(work, f"merge-{depth}-{i // 2}.model")
            nxt.append(client.submit(merge_task, node, bin_path, level[i], level[i + 1], out, retries=retries, pure=False))
        if len(level) % 2 == 1:
            nxt.append(level[-1])
        level = nxt
        depth += 1
    return level[0].result(), depth


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--workers", type=int, default=2, help="worker processes of a local cluster on loopback (default 2)")
    p.add_argument("--out-dir", required=True, help="directory for the cleaned shards (and the models, under .boilerstrip/)")
    p.add_argument("--concurrency", type=int, default=0, help="tasks in flight at once (default: 2 x workers)")
    p.add_argument("--retries", type=int, default=2, help="retries of a failed task (default 2)")
    p.add_argument("--boilerstrip", default=DEFAULT_BIN, help="path of bin/boilerstrip on the workers")
    p.add_argument("--node", default=shutil.which("node") or "node", help="node executable on the workers")
    p.add_argument("shards", nargs="+", help="input shards (JSONL, gzipped or not)")
    a = p.parse_args(argv)

    names = [os.path.basename(s) for s in a.shards]
    if len(set(names)) != len(names):
        p.error("shard file names must be distinct: outputs are DIR/<shard file name>")
    for s in a.shards:
        if not os.path.isfile(s):
            p.error(f"{s}: no such file")
    shards = [os.path.abspath(s) for s in a.shards]
    out_dir = os.path.abspath(a.out_dir)
    work = os.path.join(out_dir, ".boilerstrip")
    os.makedirs(work, exist_ok=True)
    bin_path = os.path.abspath(a.boilerstrip)

    from distributed import Client, LocalCluster

    cluster = None
    t0 = time.time()
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    n_workers = len(client.scheduler_info()["workers"])
    limit = a.concurrency or max(1, 2 * n_workers)
    report = {"workers": n_workers, "shards": len(shards), "failed": []}
    try:
        # Map: learn per shard.
        t = time.time()
        learned = bounded(client, lambda s: (learn_task, a.node, bin_path, s, os.path.join(work, os.path.basename(s) + ".model"), extra), shards, limit, a.retries)
        report["learn_seconds"] = time.time() - t
        failed = [s for s, r in learned.items() if isinstance(r, Exception)]
        report["shard_model_bytes"] = {os.path.basename(s): r["bytes"] for s, r in learned.items() if not isinstance(r, Exception)}
        if failed:
            report["failed"] = [{"shard": os.path.basename(s), "pass": "learn", "error": str(learned[s])} for s in failed]
            raise SystemExit(1)
        # Reduce: merge as a tree.
        t = time.time()
        merged, depth = tree_merge(client, a.node, bin_path, [learned[s] for s in shards], work, a.retries)
        report["merge_depth"] = depth
        report["merged_model_bytes"] = merged["bytes"]
        # The merged model is final: units in a single document can go without changing any decision
        # (boilerstrip compares no count below 2), which makes the model to ship much smaller.
        final = os.path.join(work, "final.model")
        fut = client.submit(lambda m, o: (_run([a.node, bin_path, "merge", m["model"], "-o", o, "--prune-below", "2", "--quiet"]), {"model": o, "bytes": os.path.getsize(o)})[1], merged, final, retries=a.retries, pure=False)
        merged = fut.result()
        report["merge_seconds"] = time.time() - t
        report["shipped_model_bytes"] = merged["bytes"]
        # Ship the merged model to every worker, then map: strip per shard.
        with open(merged["model"], "rb") as f:
            model_bytes = f.read()
        digest = hashlib.sha256(model_bytes).hexdigest()[:16]
        [shipped] = client.scatter([model_bytes], broadcast=True)
        t = time.time()
        try:
            stripped = bounded(client, lambda s: (strip_task, a.node, bin_path, shipped, digest, s, os.path.join(out_dir, os.path.basename(s)), extra), shards, limit, a.retries)
        finally:
            # The workers' copies of the model are this run's only: none is left in their temp dirs.
            try:
                client.run(remove_model, digest)
            except Exception as e:  # a worker gone by now has nothing to remove
                print(f"boilerstrip-dask: could not remove the model copies: {e}", file=sys.stderr)
        report["strip_seconds"] = time.time() - t
        for s, r in stripped.items():
            if isinstance(r, Exception):
                report["failed"].append({"shard": os.path.basename(s), "pass": "strip", "error": str(r)})
        if report["failed"]:
            raise SystemExit(1)
    except SystemExit:
        for f in report["failed"]:
            print(f"boilerstrip-dask: shard {f['shard']} failed in {f['pass']}: {f['error']}", file=sys.stderr)
        raise
    finally:
        report["seconds"] = time.time() - t0
        with open(os.path.join(out_dir, "run.json"), "w") as f:
            json.dump(report, f, indent=2)
        client.close()
        if cluster is not None:
            cluster.close()
    print(json.dumps({k: report[k] for k in ("workers", "shards", "learn_seconds", "merge_seconds", "strip_seconds", "seconds", "merged_model_bytes", "shipped_model_bytes")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
