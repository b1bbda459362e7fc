#!/usr/bin/env python3
"""Run boilerstrip's two passes across a Dask cluster: learn per shard (map), merge the counts as a tree
reduction (reduce: merge is exact and order-independent), broadcast the merged model to the workers, and
strip per shard (map). Each Dask worker runs one long-lived `boilerstrip serve` process per worker thread
(started once, by a worker plugin) and feeds it shard after shard as JSON lines over stdin/stdout. A
process adds the counts of every shard it learns into one sum in its memory, so a worker sends one model
file to the merge, not one a shard, and the root of the tree merges into its own sum in place; the strip
model is loaded once per process (the root's is the merge's own table). So a worker needs Node and boilerstrip installed, and
the shards and the output directory must be reachable by every worker under the same path (a shared or
network file system on a real cluster; on one machine, any directory).

    python3 integrations/dask/run.py [--scheduler ADDRESS | --workers N] --out-dir DIR SHARD...

With no scheduler address, a local cluster of N workers is started in this process (worker threads: the
work is in their Node processes) and shut down at the end. Output: DIR/<shard file name> for each shard
(a cleaned JSONL, written atomically by boilerstrip), and DIR/run.json with timings, model sizes, CPU
seconds and failures. Failed tasks are retried (--retries); a shard that keeps failing is reported by
name, exit status 1, and nothing of its output is left behind.
Arguments after `--` go to both `learn` and `strip` (for example `-- --min-docs 3 --text-field body`).
"""

import argparse
import asyncio
import collections
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time

try:
    from distributed import WorkerPlugin
except ImportError:  # (main() says what is missing)
    WorkerPlugin = object

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "..", "bin", "boilerstrip")
PLUGIN = "boilerstrip-serve"
SUM = "shards"  # the name of a server's in-memory sum of the shards it learned (one a process)


class ReplyError(RuntimeError):
    """A request boilerstrip answered with an error (its code: E_JSON, E_INPUT, ...)."""

    def __init__(self, op, code, error):
        super().__init__(f"{op} failed ({code}): {error}")
        self.code = code


# Errors of the input or the options themselves: the same request fails the same way again, so the task
# returns them ("failed") instead of raising, and Dask does not retry it (E_INPUT may be a passing read error).
FINAL_CODES = {"E_JSON", "E_RECORD", "E_DOC_TOO_LARGE", "E_GZIP", "E_PARQUET", "E_WARC", "E_OPTION", "E_MODEL"}


def final(fn):
    """A task that returns {"failed": message} for an error retrying cannot mend (see FINAL_CODES)."""

    @functools.wraps(fn)
    def task(*args):
        try:
            return fn(*args)
        except ReplyError as e:
            if e.code in FINAL_CODES:
                return {"failed": str(e)}
            raise

    return task


class Server:
    """One `boilerstrip serve` process: a JSON request a line on its stdin, a JSON reply a line on its stdout."""

    def __init__(self, node, bin_path):
        # stderr is the worker's: a crash of Node shows in the worker's log.
        self.proc = subprocess.Popen([node, bin_path, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        self.model = None  # the strip model this process holds (its path)
        self.holds = set()  # inputs whose analyses it keeps, models it keeps in memory, SUM (see call)
        self.summed = []  # the shards counted in its sum (SUM in holds while there are any)
        self.texts_full = False  # its sum has all the sample texts a model keeps
        self.kept = False  # its sum is the root's, left in memory by a flush (a later flush leaves it)

    def request(self, req):
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError:  # (BrokenPipeError: the process is gone)
            line = ""
        if not line:
            code = self.proc.poll()
            raise BrokenPipeError(f"boilerstrip serve exited ({code if code is not None else 'no reply'})")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise ReplyError(req["op"], reply.get("code"), reply.get("error"))
        return reply

    def drop_sum(self):
        """The server's sum was written or merged away: it holds none now."""
        self.summed = []
        self.kept = False
        self.texts_full = False
        self.holds.discard(SUM)

    def alive(self):
        return self.proc.poll() is None

    def close(self, timeout=5):
        try:
            self.proc.stdin.close()  # the end of its stdin: it finishes and exits
            self.proc.wait(timeout)
        except Exception:
            self.proc.kill()
            self.proc.wait()


class BoilerstripServers(WorkerPlugin):
    """Worker plugin: up to one `boilerstrip serve` process per worker thread, started once and reused by
    every task on that worker; stopped when the plugin is unregistered or the worker closes."""

    name = PLUGIN

    def __init__(self, node, bin_path):
        self.node = node
        self.bin_path = bin_path

    def setup(self, worker):
        # (A worker runs at most one task a thread, so it starts at most one server a thread.)
        self.lock = threading.Lock()
        self.idle = [Server(self.node, self.bin_path)]  # the first starts now, while the driver gets going
        self.all = list(self.idle)
        self.loads = 0

    def teardown(self, worker):
        for s in self.all:
            s.close()
        self.all = []
        self.idle = []

    def call(self, req, prefer=None):
        """Send a request to an idle server of this worker (one that holds `prefer` if there is one idle, a new
        one if none is idle); its reply. A server keeps the analyses of the inputs it learned (for their strip),
        the models it wrote with "hold" (for their merge) and its sum (SUM): its `holds`."""
        with self.lock:
            s = next((x for x in self.idle if prefer is not None and prefer in x.holds), None)
            if s is not None:
                self.idle.remove(s)
            elif self.idle:
                s = self.idle.pop()
            else:
                s = Server(self.node, self.bin_path)
                self.all.append(s)
        try:
            reply = s.request(req)
            op = req["op"]
            if op == "learn":
                if reply.get("analysisKept"):
                    s.holds.add(req["input"][0])
                if req.get("hold"):
                    s.holds.add(req["model"])
                if reply.get("added"):
                    s.summed.append(req["input"][0])
                    s.holds.add(SUM)
                    s.texts_full = reply.get("sumTextsFull", False)
            elif op == "merge":
                s.holds.difference_update(req["models"])
                if req.get("sums"):
                    s.drop_sum()
                if req.get("hold"):
                    s.holds.add(req["output"])
                if req.get("load"):
                    s.model = req["output"]
            elif op in ("load", "strip"):
                s.model = req["model"]
                if reply.get("loaded") or reply.get("loadSeconds", 0) > 0:
                    with self.lock:
                        self.loads += 1
            return reply
        except Exception:
            if req["op"] == "learn" and req.get("into"):
                s.drop_sum()  # a failed learn drops its server's sum (see tree_merge)
            raise
        finally:
            if req["op"] == "strip":
                s.holds.discard(req["input"][0])
            with self.lock:
                if s.alive():
                    self.idle.append(s)
                else:
                    self.all.remove(s)

    def flush(self, work, keep_one, texts=True):
        """Write the sum of every server of this worker that has one to a model file in `work`, but for one
        server's when `keep_one` (the root's: its merge adds into it in place). Returns {"files": [{"model",
        "shards", "bytes", "seconds", "cpu"}], "memory": the shards of the sum kept in memory, "texts_full":
        whether that sum has all the sample texts a model keeps}. Without `texts` the files leave the sample
        texts out (for a root whose sum has them all: adding more would only trade some for others)."""
        with self.lock:
            servers = [s for s in self.idle if s.alive()]
            self.idle = [s for s in self.idle if s not in servers]
        out = {"files": [], "memory": [], "texts_full": False}
        try:
            for s in servers:
                if not s.summed or s.kept:
                    continue
                if keep_one and not out["memory"]:
                    out["memory"] = list(s.summed)
                    out["texts_full"] = s.texts_full
                    s.kept = True
                    continue
                f = os.path.join(work, f"sum-{os.getpid()}-{s.proc.pid}.model")
                t0 = time.time()
                r = s.request({"op": "save", "sum": SUM, "output": f, "texts": texts})
                # (The inputs the server says its sum holds, not this side's record of them.)
                out["files"].append({"model": f, "shards": list(r["inputs"]), "bytes": r["bytes"], "seconds": time.time() - t0, "cpu": r["cpuSeconds"]})
                s.drop_sum()
        finally:
            with self.lock:
                self.idle.extend(s for s in servers if s.alive())
                self.all = [s for s in self.all if s.alive()]
        return out

    def preload(self, model):
        """Load the strip model into every started server of this worker that does not hold it yet (servers
        started later load it at their first strip)."""
        t0 = time.time()
        with self.lock:
            servers = [s for s in self.idle if s.alive()]
            self.idle = [s for s in self.idle if s not in servers]
        loaded = 0
        try:
            for s in servers:
                if s.request({"op": "load", "model": model}).get("loaded"):
                    loaded += 1
                s.model = model
        finally:
            with self.lock:
                self.loads += loaded
                self.idle.extend(s for s in servers if s.alive())
                self.all = [s for s in self.all if s.alive()]
        return {"servers": len(servers), "loaded": loaded, "seconds": time.time() - t0}


def get_worker():
    from distributed import get_worker

    return get_worker()


def _servers():
    return get_worker().plugins[PLUGIN]


@final
def learn_task(shard, extra, keep_analysis):
    """Learn the shard into the sum of the worker's server that takes it (no model file)."""
    req = {"op": "learn", "input": [shard], "into": SUM, "args": ["--threads", "1", *extra], "keepAnalysis": keep_analysis}
    r = _servers().call(req)
    return {"shard": shard, "seconds": r["seconds"], "cpu": r["cpuSeconds"], "worker": get_worker().address, "analysis_kept": r["analysisKept"]}


@final
def learn_file_task(shard, model, extra):
    """Learn the shard into a model file of its own (for a shard no sum holds any more: see tree_merge)."""
    r = _servers().call({"op": "learn", "input": [shard], "model": model, "args": ["--threads", "1", *extra], "hold": True})
    return {"model": model, "shards": [shard], "bytes": r["bytes"], "seconds": r["seconds"], "cpu": r["cpuSeconds"]}


def flush_task(work, keep_one, texts=True):
    return dict(_servers().flush(work, keep_one, texts), worker=get_worker().address)


def merge_task(out, prune_below, root, sums, *parts):
    """Sum the models of `parts` (and, with `sums`, this worker's in-memory sum first, in place) into `out`,
    pruned below `prune_below`, by this worker's server that holds the sum, or the first part in memory, if
    it can. An inner node of the tree keeps its sum in memory for the next level; the root keeps the final
    model loaded for the strips."""
    t0 = time.time()
    req = {"op": "merge", "models": [p["model"] for p in parts], "output": out, "pruneBelow": prune_below, "hold": not root, "load": root}
    if sums:
        req["sums"] = [SUM]
    r = _servers().call(req, prefer=SUM if sums else parts[0]["model"])
    return {"model": out, "bytes": r["bytes"], "unpruned_bytes": r.get("unprunedBytes"), "seconds": time.time() - t0, "cpu": r["cpuSeconds"], "from_memory": r["fromMemory"], "sum_shards": r.get("sumInputs", []), "parts": len(parts) + (1 if sums else 0)}


@final
def strip_task(model, shard, out, extra):
    """Strip the shard into `out` with the model the worker's server holds (loaded once per server), by the
    server that learned the shard when it is this worker's (it kept its analyses)."""
    try:
        r = _servers().call({"op": "strip", "model": model, "input": [shard], "output": out, "args": ["--threads", "1", *extra]}, prefer=shard)
    except Exception:
        # boilerstrip never leaves a partial file; an older complete one from another run must go too.
        if os.path.exists(out):
            os.remove(out)
        raise
    return {"shard": shard, "out": out, "bytes": r["bytes"], "seconds": r["seconds"], "cpu": r["cpuSeconds"], "worker": get_worker().address, "load_seconds": r["loadSeconds"], "analysis_cached": r["analysisCached"]}


async def preload(model, dask_worker=None):
    """Run on every worker once (the broadcast): its servers load the final model, off the event loop."""
    plugin = dask_worker.plugins[PLUGIN]
    return await asyncio.get_running_loop().run_in_executor(None, plugin.preload, model)


def model_loads(dask_worker=None):
    return dask_worker.plugins[PLUGIN].loads


def bounded(client, task, items, limit, retries, where=None):
    """Submit task(item) -> (fn, *args) for each item, at most `limit` in flight; {item: result or exception}.
    Futures must be direct arguments (not captured in closures) for Dask to resolve them on the worker.
    where(item): a worker to prefer (another may still run it), or None."""
    from distributed import as_completed

    results = {}
    pending = list(items)
    running = {}
    ac = as_completed()
    while pending or running:
        while pending and len(running) < limit:
            item = pending.pop(0)
            fn, *args = task(item)
            w = where(item) if where else None
            fut = client.submit(fn, *args, retries=retries, pure=False, **({"workers": [w], "allow_other_workers": True} if w else {}))
            running[fut] = item
            ac.add(fut)
        fut = next(ac)
        item = running.pop(fut)
        try:
            r = fut.result()
            results[item] = RuntimeError(r["failed"]) if isinstance(r, dict) and "failed" in r else r
        except Exception as e:  # reported by name below
            results[item] = e
    return results


def tree_merge(client, shards, learned, work, fan_in, retries, extra, limit):
    """Merge the counts as a tree reduction: every worker writes the sums of its servers to one model file
    each (flush), but the root worker (the one that learned the first shard) keeps its own sum in memory;
    the files are merged `fan_in` at a time, level by level, until the root can take the rest: it adds them
    into its sum in place and writes the final model pruned below 2 (final.model). A shard no sum holds
    any more (its server died) is learned again into a model file of its own; a shard counted twice (a
    task that ran twice) stops the run. Returns the root's result, the depth, every merge task's result
    (inner nodes first) and the flush's report."""
    root_w = learned[shards[0]]["worker"]
    holders = [root_w] + sorted({r["worker"] for r in learned.values()} - {root_w})
    t0 = time.time()
    # The root first (it writes nothing unless it has more servers with sums): when the sum it keeps has all
    # the sample texts a model keeps, the other workers' files leave theirs out.
    # (Where a worker is gone, its task runs on another, which keeps or writes its own sums instead; the
    # shards no sum holds are learned again below.)
    root_flush = client.submit(flush_task, work, True, workers=[root_w], allow_other_workers=True, retries=retries, pure=False)
    try:
        texts = not root_flush.result()["texts_full"]
    except Exception:
        texts = True
    futs = {w: root_flush if w == root_w else client.submit(flush_task, work, False, texts, workers=[w], allow_other_workers=True, retries=retries, pure=False) for w in holders}
    files, memory = [], []
    for w, f in futs.items():
        try:
            r = f.result()
        except Exception as e:  # its shards are learned again below
            print(f"boilerstrip-dask: worker {w} could not write its sum: {e}", file=sys.stderr)
            continue
        files += [dict(x, worker=r["worker"]) for x in r["files"]]
        if w == root_w:
            memory, root_w = r["memory"], r["worker"]
    counted = [s for f in files for s in f["shards"]] + memory
    twice = sorted(s for s, n in collections.Counter(counted).items() if n > 1)
    if twice:
        raise RuntimeError(f"shards counted twice (a task ran twice): {', '.join(os.path.basename(s) for s in twice)}")
    missing = [s for s in shards if s not in counted]
    if missing:
        again = bounded(client, lambda s: (learn_file_task, s, os.path.join(work, os.path.basename(s) + ".model"), extra), missing, limit, retries)
        failed = [s for s, r in again.items() if isinstance(r, Exception)]
        if failed:
            raise RuntimeError(f"learning {', '.join(os.path.basename(s) for s in failed)} again failed: {again[failed[0]]}")
        files += [again[s] for s in missing]
    flush = {"seconds": time.time() - t0, "files": [{"model": os.path.basename(f["model"]), "shards": len(f["shards"]), "bytes": f["bytes"], "seconds": round(f.get("seconds", 0), 3), "cpu": round(f.get("cpu", 0), 3)} for f in files], "in_memory": len(memory), "learned_again": len(missing), "texts": texts}
    room = fan_in - (1 if memory else 0)
    level = files
    inner = []
    depth = 0
    while len(level) > room:
        depth += 1
        where = lambda part: {"workers": [part["worker"]], "allow_other_workers": True} if part.get("worker") else {}
        sums = [client.submit(merge_task, os.path.join(work, f"merge-{depth}-{j}.model"), 1, False, False, *level[i : i + fan_in], retries=retries, pure=False, **where(level[i])) for j, i in enumerate(range(0, len(level), fan_in))]
        inner += [f.result() for f in sums]
        level = inner[-len(sums) :]
    depth += 1
    # (On another worker than the one that holds the sum, the merge fails: "no sum named".)
    root = client.submit(merge_task, os.path.join(work, "final.model"), 2, True, bool(memory), *level, retries=retries, pure=False, workers=[root_w], allow_other_workers=True)
    final = root.result()
    if sorted(final["sum_shards"]) != sorted(memory):
        raise RuntimeError("the root's sum was not the one it wrote (its server died?)")
    for f in files:  # (the workers' sums: named by process, so a later run would not write over them)
        if os.path.basename(f["model"]).startswith("sum-"):
            try:
                os.remove(f["model"])
            except OSError:
                pass
    return final, depth, inner + [final], flush


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--workers", type=int, default=2, help="workers of a local cluster in this process, one boilerstrip process each (default 2)")
    p.add_argument("--out-dir", required=True, help="directory for the cleaned shards (and the models, under .boilerstrip/)")
    p.add_argument("--concurrency", type=int, default=0, help="tasks in flight at once (default: 2 x worker threads)")
    p.add_argument("--retries", type=int, default=2, help="retries of a failed task (default 2)")
    p.add_argument("--fan-in", type=int, default=8, help="models summed by one merge task of the tree (default 8)")
    p.add_argument("--no-cache-analysis", dest="cache_analysis", action="store_false", help="strip analyzes every shard again (default: the worker that learned a shard keeps its analyses in its temp dir, as clean does, and strips it)")
    p.add_argument("--boilerstrip", default=DEFAULT_BIN, help="path of bin/boilerstrip on the workers")
    p.add_argument("--node", default=shutil.which("node") or "node", help="node executable on the workers")
    p.add_argument("shards", nargs="+", help="input shards (JSONL, gzipped or not)")
    a = p.parse_args(argv)
    if a.fan_in < 2:
        p.error("--fan-in must be at least 2")

    names = [os.path.basename(s) for s in a.shards]
    if len(set(names)) != len(names):
        p.error("shard file names must be distinct: outputs are DIR/<shard file name>")
    for s in a.shards:
        if not os.path.isfile(s):
            p.error(f"{s}: no such file")
    shards = [os.path.abspath(s) for s in a.shards]
    out_dir = os.path.abspath(a.out_dir)
    # Dask is this driver's one requirement outside the standard library: said before anything is written.
    try:
        from distributed import Client, LocalCluster
    except ModuleNotFoundError as e:
        p.error(f"{e.name} is not installed for {sys.executable}: pip install 'dask[distributed]' for it, or run the driver with a Python that has it")
    work = os.path.join(out_dir, ".boilerstrip")
    os.makedirs(work, exist_ok=True)
    bin_path = os.path.abspath(a.boilerstrip)

    cluster = None
    t0 = time.time()
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        # The workers are threads of this process: a task only waits on its worker's Node process, which
        # does the work, so worker processes would add start-up and memory, not speed.
        # Dask's own housekeeping is turned down here: its statistical profiler of the worker threads (every
        # 10 ms), memory and system monitors and tick took ~0.05 CPU s a second of the run, on the cores the
        # Node processes work on (measured: 0.41-0.51 s over 8 s of tasks, 0.08 s with these settings).
        import dask

        dask.config.set({"distributed.worker.profile.enabled": False, "distributed.worker.memory.monitor-interval": "1s", "distributed.admin.system-monitor.interval": "2s", "distributed.admin.tick.interval": "1s"})
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0")
        client = Client(cluster)
    info = client.scheduler_info()["workers"]
    n_workers = len(info)
    limit = a.concurrency or max(1, 2 * sum(w.get("nthreads", 1) for w in info.values()))
    report = {"workers": n_workers, "shards": len(shards), "failed": []}
    # One `boilerstrip serve` per worker thread, started now on every worker (and on any that joins later).
    plugin = BoilerstripServers(a.node, bin_path)
    register = getattr(client, "register_plugin", None) or client.register_worker_plugin
    register(plugin, name=PLUGIN)
    report["startup_seconds"] = time.time() - t0
    try:
        # Map: learn per shard.
        t = time.time()
        # Shards go to the workers in groups of consecutive shards (one group a worker when there are at most
        # --fan-in shards each), submitted group by group in turn; a group's learned models stay in its
        # worker's memory for the first merge. (Another worker may still take a task: the models are files.)
        workers = sorted(info)
        k = max(1, min(a.fan_in, -(-len(shards) // n_workers)))
        groups = [shards[i : i + k] for i in range(0, len(shards), k)]
        home = {s: workers[j % n_workers] for j, g in enumerate(groups) for s in g}
        order = [g[i] for i in range(k) for g in groups if i < len(g)]
        learned = bounded(client, lambda s: (learn_task, s, extra, a.cache_analysis), order, limit, a.retries, home.get)
        report["learn_seconds"] = time.time() - t
        failed = [s for s, r in learned.items() if isinstance(r, Exception)]
        report["learn_tasks"] = {os.path.basename(s): {"seconds": round(r["seconds"], 3), "cpu": round(r["cpu"], 3), "worker": r["worker"]} for s, r in learned.items() if not isinstance(r, Exception)}
        if failed:
            report["failed"] = [{"shard": os.path.basename(s), "pass": "learn", "error": str(learned[s])} for s in failed]
            raise SystemExit(1)
        # Reduce: merge as a tree (each worker's sum, one model file a worker, into the root's sum). The root
        # also prunes: units in a single document can go without changing any decision (boilerstrip
        # compares no count below 2), which makes the model to ship much smaller.
        t = time.time()
        final, depth, merges, flush = tree_merge(client, shards, learned, work, a.fan_in, a.retries, extra, limit)
        report["merge_seconds"] = time.time() - t
        report["merge_depth"] = depth
        report["flush_seconds"] = flush.pop("seconds")
        report["sums"] = flush
        report["merge_tasks"] = [{"model": os.path.basename(m["model"]), "parts": m["parts"], "seconds": round(m["seconds"], 3), "cpu": round(m["cpu"], 3), "models_from_memory": m["from_memory"]} for m in merges]
        report["merged_model_bytes"] = final["unpruned_bytes"]
        report["shipped_model_bytes"] = final["bytes"]
        # Broadcast: every worker's servers load the final model once, from the shared directory (a worker
        # where that fails loads it at its first strip, which reports what is wrong).
        t = time.time()
        loaded = client.run(preload, final["model"], on_error="return")
        report["broadcast"] = {w: r if isinstance(r, dict) else {"error": str(r)} for w, r in loaded.items()}
        report["broadcast_seconds"] = time.time() - t
        # Map: strip per shard.
        t = time.time()
        # A shard goes back to the worker that learned it: that worker kept its analyses (clean's cache), so
        # the strip skips analyzing it again.
        where = lambda s: learned[s]["worker"] if learned[s]["analysis_kept"] else None
        stripped = bounded(client, lambda s: (strip_task, final["model"], s, os.path.join(out_dir, os.path.basename(s)), extra), order, limit, a.retries, where)
        report["strip_seconds"] = time.time() - t
        report["strip_tasks"] = {os.path.basename(s): {"seconds": round(r["seconds"], 3), "cpu": round(r["cpu"], 3), "worker": r["worker"], "analysis_cached": r["analysis_cached"]} for s, r in stripped.items() if not isinstance(r, Exception)}
        report["strips_with_analysis"] = sum(1 for r in stripped.values() if not isinstance(r, Exception) and r["analysis_cached"])
        report["model_loads"] = sum(n for n in client.run(model_loads, on_error="return").values() if isinstance(n, int))
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
        # The servers (and the models they hold) go with the run.
        try:
            client.unregister_worker_plugin(PLUGIN)
        except Exception as e:  # a worker gone by now has nothing to stop
            print(f"boilerstrip-dask: could not stop the boilerstrip servers: {e}", file=sys.stderr)
        report["seconds"] = time.time() - t0
        if cluster is not None:
            # (A local cluster's workers are threads of this process: its Node servers are its children.)
            import resource

            own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            report["cpu_seconds"] = {"driver_and_dask": round(own.ru_utime + own.ru_stime, 2), "boilerstrip_servers": round(children.ru_utime + children.ru_stime, 2)}
        with open(os.path.join(out_dir, "run.json"), "w") as f:
            json.dump(report, f, indent=2)
        client.close()
        if cluster is not None:
            cluster.close()
    print(json.dumps({k: report.get(k) for k in ("workers", "shards", "startup_seconds", "learn_seconds", "merge_seconds", "broadcast_seconds", "strip_seconds", "seconds", "merged_model_bytes", "shipped_model_bytes", "model_loads", "strips_with_analysis")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
