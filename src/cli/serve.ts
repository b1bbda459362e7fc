/**
 * `boilerstrip serve`: one long-lived process fed request after request, so that a cluster driver
 * (integrations/dask/run.py) starts Node once per worker, and loads the strip model once per worker
 * instead of once a task. Requests are JSON objects, one a line on stdin; each gets one JSON line on
 * stdout, in order. The process ends at the end of stdin.
 *
 *   {"op": "learn", "input": ["a.jsonl"], "model": "a.model", "args": ["--threads", "1"], "keepAnalysis": true}
 *       -> {"ok": true, "docs", "sites", "units", "bytes" (of the model file), "analysisKept", "seconds"}
 *   {"op": "learn", "input": ["a.jsonl"], "into": "S", "args": [...], "keepAnalysis": true}
 *       -> {"ok": true, "docs", "sites", "units", "added" (false: a.jsonl was in S already), "sumInputs", "sumUnits",
 *           "sumTextsFull" (S has all the sample texts a model keeps), "analysisKept", "seconds"}
 *   {"op": "save", "sum": "S", "output": "s.model"}   ("texts": false leaves the sample texts out)
 *       -> {"ok": true, "docs", "units", "bytes", "inputs" (the files counted in it), "seconds"}
 *   {"op": "merge", "models": ["a.model", "b.model"], "sums": ["S"], "output": "ab.model", "pruneBelow": 2, "hold": true, "load": true}
 *       -> {"ok": true, "docs", "units", "dropped", "bytes", "unprunedBytes" (with pruneBelow 2), "fromMemory", "sumInputs" (with sums), "seconds"}
 *   {"op": "load", "model": "final.model"}
 *       -> {"ok": true, "units", "bytes", "seconds"}
 *   {"op": "strip", "model": "final.model", "input": ["a.jsonl"], "output": "out/a.jsonl", "args": [...]}
 *       -> {"ok": true, "recordsIn", "recordsOut", "bytes" (of the output), "seconds", "loadSeconds" (0: already loaded), "analysisCached"}
 *   {"op": "forget"}  (drops the loaded model and the kept analyses)  -> {"ok": true}
 *
 * Every successful reply also has "cpuSeconds", the process's CPU time for the request.
 * `args` are the command's own options, as on the command line of `boilerstrip learn` / `strip`, checked
 * the same way; --quiet is implied. A request's "id", if any, comes back in its reply. A failed request
 * answers {"ok": false, "code": "E_JSON", "error": "a.jsonl:2: invalid JSON ..."} and the process serves
 * on. The strip model stays loaded while its file is unchanged (path, size, modification time); one
 * model at a time. With "keepAnalysis", learn keeps its analyses of the input in the temporary directory
 * (clean's analysis cache, when there is room) for a later strip of the same, unchanged input with the
 * same "args" in this process, which then skips analyzing it again; that strip, or the end of the process,
 * removes them. With "hold", learn and merge keep the model they wrote in memory, and a later merge of that
 * unchanged file adds it from there ("fromMemory" counts them); with "load", merge keeps its output as
 * the loaded strip model. With "into", learn writes no model file: it adds the input's counts into an
 * in-memory sum of that name (an input already in it is not counted again), which "save" writes as one
 * model file and "merge" (its "sums", added first, in place) uses up; so a worker that learned many shards
 * sends one model, or merges its own without reading it back. Output is the same bytes as the one-shot
 * commands give, and a sum's model file the same counts as `merge` of the inputs' model files (its
 * sample texts, for inspect, can differ). A learn "into" that fails drops its sum.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { BoilerstripError } from '../errors.js';
import { assertCompatible, Model, modelParams } from '../model.js';
import type { InputSource } from '../io/input.js';
import { analysisCache, learnSources, prepareSources, type RunOptions } from '../run.js';
import type { SideStore } from '../side.js';
import { addModel, loadModel, mergeModelFiles, modelFileBytes, saveModel } from '../store.js';
import { cmdLearn, cmdStrip, commandArgs, intIn, runOptions, type CommonArgs } from './commands.js';

interface Request {
  id?: unknown;
  op?: unknown;
  input?: unknown;
  model?: unknown;
  models?: unknown;
  output?: unknown;
  pruneBelow?: unknown;
  args?: unknown;
  keepAnalysis?: unknown;
  hold?: unknown;
  load?: unknown;
  into?: unknown;
  texts?: unknown;
  sum?: unknown;
  sums?: unknown;
}

type Reply = Record<string, unknown>;

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new BoilerstripError('E_OPTION', `serve: "${name}" must be a non-empty string`);
  return v;
}

function strings(v: unknown, name: string): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new BoilerstripError('E_OPTION', `serve: "${name}" must be a string or an array of strings`);
  return v as string[];
}

/** Input files: standard input carries the requests. */
function inputs(v: unknown): string[] {
  const files = strings(v, 'input');
  if (files.length === 0 || files.includes('-')) throw new BoilerstripError('E_OPTION', 'serve: "input" names files (standard input carries the requests)');
  return files;
}

/** The loaded strip model and what its file was when it was read. */
class ModelSlot {
  private file = '';
  private stamp = '';
  private model: Model | null = null;
  /** Seconds the last get() spent reading the file (0 when the model was loaded already). */
  loadSeconds = 0;

  get(file: string, o: RunOptions): Model {
    const abs = path.resolve(file);
    const stamp = fileStamp(abs);
    if (this.model && abs === this.file && stamp !== '' && stamp === this.stamp) {
      this.loadSeconds = 0;
      return this.model;
    }
    this.forget();
    const t0 = performance.now();
    const model = loadModel(abs, { maxMemory: o.maxMemory, texts: false });
    this.loadSeconds = (performance.now() - t0) / 1000;
    this.model = model;
    this.file = abs;
    this.stamp = stamp;
    return model;
  }

  /** Take a model just written to `file` as the loaded one. */
  set(file: string, model: Model): void {
    this.model = model;
    this.file = path.resolve(file);
    this.stamp = fileStamp(this.file);
  }

  forget(): void {
    this.model = null;
    this.file = '';
    this.stamp = '';
  }
}

/**
 * Models this process wrote and keeps in memory ("hold"), by absolute path, with their file's stamp: a
 * merge of that file while it is unchanged adds the model from memory instead of reading it back. At most
 * HELD_BYTES of tables (the oldest go first); a merge lets go of the models it used.
 */
const held = new Map<string, { stamp: string; model: Model }>();
const HELD_BYTES = 1024 * 1024 * 1024;

function hold(file: string, model: Model): void {
  const abs = path.resolve(file);
  held.delete(abs);
  held.set(abs, { stamp: fileStamp(abs), model });
  let bytes = 0;
  for (const h of held.values()) bytes += h.model.counter.bytes;
  for (const [k, h] of held) {
    if (bytes <= HELD_BYTES) break;
    bytes -= h.model.counter.bytes;
    held.delete(k);
  }
}

function heldModel(file: string): Model | undefined {
  const abs = path.resolve(file);
  const h = held.get(abs);
  if (h === undefined) return undefined;
  if (h.stamp === '' || h.stamp !== fileStamp(abs)) {
    held.delete(abs);
    return undefined;
  }
  return h.model;
}

/**
 * Sums of learned inputs kept in memory ("into"), by name, with the inputs counted in each (absolute
 * paths): a learn counts its input straight into the sum's table instead of writing a model file, so that a
 * worker sends one model (save) or merges its own sum in place (merge "sums"), not a model file a shard.
 * The counts are those of the inputs' models summed (the model is split-invariant); the table has no
 * budget short of the largest (it never prunes, as merge's never does). A learn that fails drops its sum
 * (its counts are partial): the driver learns that sum's inputs again.
 */
const sums = new Map<string, { model: Model; inputs: string[] }>();

function sumNamed(name: string): { model: Model; inputs: string[] } {
  const sum = sums.get(name);
  if (!sum) throw new BoilerstripError('E_OPTION', `serve: no sum named ${JSON.stringify(name)} in this process (learn with "into" makes one)`);
  return sum;
}

function takeSum(name: string): { model: Model; inputs: string[] } {
  const sum = sumNamed(name);
  sums.delete(name);
  return sum;
}

/** commandArgs(command, [...inputs, '-m', model, ('-o', output), ...extra]). */
function argsFor(command: 'learn' | 'strip', files: string[], model: string, output: string | undefined, extra: string[]): CommonArgs {
  // (The request names these: in "args" they would make a second model or output.)
  for (const a of extra) {
    const name = /^(-m|--model|-o|--output)(=|$)/.exec(a)?.[1];
    if (name !== undefined) throw new BoilerstripError('E_OPTION', `serve: ${name} does not go in "args": the request's ${name === '-m' || name === '--model' ? '"model" (or "into")' : '"output"'} names it`);
  }
  return commandArgs(command, [...files, '-m', model, ...(output === undefined ? [] : ['-o', output]), ...extra]);
}

/** Pass 1's analyses kept by learn for the strip of the same input: by analysisKey. */
const analyses = new Map<string, SideStore>();

/** The inputs as they are now (path, size, modification time) and the options they are read with. */
function analysisKey(sources: InputSource[], args: string[]): string {
  return JSON.stringify([sources.map((s) => [path.resolve(s.name), fileStamp(s.name)]), args]);
}

function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}

async function handle(req: Request, slot: ModelSlot): Promise<Reply> {
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const extra = req.args === undefined ? [] : strings(req.args, 'args');
  switch (req.op) {
    case 'learn': {
      const into = req.into === undefined ? undefined : str(req.into, 'into');
      // (With "into" no model file is written: the sum's name stands in for learn's -m.)
      const model = into ?? str(req.model, 'model');
      const a = argsFor('learn', inputs(req.input), model, undefined, extra);
      a.quiet = true;
      const made: { key: string; cache: SideStore | null } = { key: '', cache: null };
      const side = (sources: InputSource[], o: RunOptions): SideStore | null => {
        made.key = analysisKey(sources, extra);
        made.cache = analysisCache(sources, o).cache;
        return made.cache;
      };
      const keep = req.keepAnalysis === true ? side : undefined;
      let kept = false;
      try {
        let reply: Reply;
        if (into === undefined) {
          const m = (await cmdLearn(a, keep)).model;
          if (req.hold === true) hold(model, m);
          reply = { docs: m.docs, sites: m.sites.size, units: m.counter.size, bytes: fs.statSync(model).size };
        } else {
          // cmdLearn without the model file: the input is counted into the sum, once. Whatever fails drops
          // the sum, before counting too (an input that cannot be read, settings that differ): the driver,
          // which learns a failed sum's inputs again, must not find the sum holding them still.
          let sum = sums.get(into);
          let o: RunOptions;
          let sources: InputSource[];
          let names: string[];
          try {
            o = runOptions(a);
            sources = await prepareSources(a.input ?? [], o, false);
            names = sources.map((x) => path.resolve(x.name));
            const seen = names.filter((n) => sum?.inputs.includes(n));
            if (sum && seen.length === names.length) {
              const key = analysisKey(sources, extra);
              return { docs: 0, sites: 0, units: 0, added: false, sumInputs: sum.inputs.length, sumUnits: sum.model.counter.size, analysisKept: analyses.has(key), seconds: seconds() };
            }
            if (seen.length > 0) throw new BoilerstripError('E_OPTION', `serve: ${seen[0]} is in sum ${into} already`);
            if (sum) assertCompatible(sum.model.params, modelParams(o));
          } catch (e) {
            sums.delete(into);
            throw e;
          }
          const m = sum?.model ?? new Model({ ...o, maxMemory: Number.MAX_SAFE_INTEGER });
          const before = { docs: m.docs, sites: m.sites.size, units: m.counter.size };
          try {
            await learnSources(sources, o, undefined, keep?.(sources, o) ?? null, m);
          } catch (e) {
            sums.delete(into);
            throw e;
          }
          if (!sum) sums.set(into, (sum = { model: m, inputs: [] }));
          sum.inputs.push(...names);
          // (docs, sites and units: what this input added to the sum)
          reply = { docs: m.docs - before.docs, sites: m.sites.size - before.sites, units: m.counter.size - before.units, added: true, sumInputs: sum.inputs.length, sumUnits: m.counter.size, sumTextsFull: m.texts.size >= m.maxTexts };
        }
        if (made.cache && made.cache.failed === null) {
          analyses.get(made.key)?.dispose();
          analyses.set(made.key, made.cache);
          kept = true;
        }
        return { ...reply, analysisKept: kept, seconds: seconds() };
      } finally {
        if (!kept) made.cache?.dispose();
      }
    }
    case 'save': {
      const output = str(req.output, 'output');
      const name = str(req.sum, 'sum');
      // (Taken only once written: a failed save leaves the sum as it was.)
      const sum = sumNamed(name);
      saveModel(sum.model, output, { texts: req.texts !== false });
      sums.delete(name);
      return { docs: sum.model.docs, units: sum.model.counter.size, bytes: fs.statSync(output).size, inputs: sum.inputs, seconds: seconds() };
    }
    case 'merge': {
      const sumNames = req.sums === undefined ? [] : strings(req.sums, 'sums');
      const models = req.models === undefined && sumNames.length > 0 ? [] : strings(req.models, 'models');
      if (models.length + sumNames.length === 0) throw new BoilerstripError('E_OPTION', 'serve: merge needs at least one model');
      const output = str(req.output, 'output');
      const k = req.pruneBelow === undefined ? 1 : intIn(req.pruneBelow, 'prune-below', 1, 2);
      let fromMemory = 0;
      const fromHeld = (f: string): Model | undefined => {
        const m = heldModel(f);
        if (m) fromMemory++;
        return m;
      };
      let merged: Model;
      const sumInputs: string[] = [];
      if (sumNames.length > 0) {
        // The first sum is the merge's table (no copy); the rest are added into it. The sums are used up
        // (a failed merge leaves none half added).
        const taken = sumNames.map(takeSum);
        merged = taken[0]!.model;
        for (const t of taken.slice(1)) addModel(merged, t.model);
        mergeModelFiles(models, fromHeld, merged);
        for (const t of taken) sumInputs.push(...t.inputs);
      } else {
        merged = mergeModelFiles(models, fromHeld);
      }
      for (const f of models) held.delete(path.resolve(f));
      // (The sum's size, as a file, before pruning: for the driver's report.)
      const unprunedBytes = k > 1 ? modelFileBytes(merged) : undefined;
      const dropped = merged.pruneBelow(k);
      saveModel(merged, output);
      if (req.hold === true) hold(output, merged);
      // The final model can stay loaded for the strips to come.
      if (req.load === true) slot.set(output, merged);
      return { docs: merged.docs, units: merged.counter.size, dropped, bytes: fs.statSync(output).size, unprunedBytes, fromMemory, ...(sumNames.length > 0 ? { sumInputs } : {}), seconds: seconds() };
    }
    case 'load': {
      const file = str(req.model, 'model');
      const m = slot.get(file, runOptions(commandArgs('strip', ['-m', file, ...extra])));
      return { units: m.counter.size, bytes: fs.statSync(file).size, seconds: seconds(), loaded: slot.loadSeconds > 0 };
    }
    case 'strip': {
      const output = str(req.output, 'output');
      if (output === '-') throw new BoilerstripError('E_OPTION', 'serve: strip needs an output file (stdout carries the replies)');
      const a = argsFor('strip', inputs(req.input), str(req.model, 'model'), output, extra);
      a.quiet = true;
      // Pass 1's analyses of this input, when this process learned it with the same options: used once.
      const taken: { cache: SideStore | null } = { cache: null };
      const side = (sources: InputSource[]): SideStore | null => {
        const key = analysisKey(sources, extra);
        taken.cache = analyses.get(key) ?? null;
        analyses.delete(key);
        return taken.cache;
      };
      try {
        const stats = await cmdStrip(a, (file, o) => slot.get(file, o), side);
        return { recordsIn: stats.recordsIn, recordsOut: stats.recordsOut, bytes: fs.statSync(output).size, seconds: seconds(), loadSeconds: slot.loadSeconds, analysisCached: taken.cache !== null };
      } finally {
        taken.cache?.dispose();
      }
    }
    case 'forget':
      slot.forget();
      held.clear();
      sums.clear();
      for (const c of analyses.values()) c.dispose();
      analyses.clear();
      return {};
    default:
      throw new BoilerstripError('E_OPTION', `serve: unknown op ${JSON.stringify(req.op)} (learn, save, merge, load, strip or forget)`);
  }
}

/** Serve requests from `input` until it ends; replies go to `output`. */
export async function serve(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const slot = new ModelSlot();
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    let req: Request;
    let reply: Reply;
    try {
      req = JSON.parse(line) as Request;
      if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new BoilerstripError('E_OPTION', 'serve: a request is a JSON object');
    } catch (e) {
      reply = { ok: false, code: 'E_OPTION', error: e instanceof BoilerstripError ? e.message : `serve: a request is one line of JSON (${(e as Error).message})` };
      output.write(JSON.stringify(reply) + '\n');
      continue;
    }
    const cpu0 = process.cpuUsage();
    try {
      reply = { id: req.id, ok: true, ...(await handle(req, slot)) };
      const cpu = process.cpuUsage(cpu0);
      reply.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    } catch (e) {
      const be = e instanceof BoilerstripError;
      reply = { id: req.id, ok: false, code: be ? e.code : 'E_INTERNAL', error: be ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}` };
    }
    if (!output.write(JSON.stringify(reply) + '\n')) await new Promise((r) => output.once('drain', r));
  }
}
