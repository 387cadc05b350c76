// Timing loop shared by every group. A worker process runs one group: it warms each case
// up, then times `rounds` alternating rounds (case A, B, C, A, B, C, ...) and reports the
// ns/op of each round; the parent takes medians across rounds and processes.

const AsyncFunction = (async () => {}).constructor;

/** Sync calls run in chunks with an `await` between them, so microtasks (exports) run. */
export const SYNC_CHUNK = 256;

/**
 * A fresh loop function per case. Generated from distinct source text so V8 keeps a
 * separate feedback vector per case: one shared loop would see every case's receiver
 * and make even the plain call site polymorphic.
 */
function makeLoop(id, kind) {
  const body =
    kind === 'sync'
      ? `let sink = 0;
         for (let done = 0; done < n; ) {
           const end = done + ${SYNC_CHUNK} < n ? done + ${SYNC_CHUNK} : n;
           for (let i = done; i < end; i++) sink += obj.m(i);
           done = end;
           await null;
         }
         return sink;`
      : `let sink = 0;
         for (let i = 0; i < n; i++) sink += await obj.m(i);
         return sink;`;
  return new AsyncFunction('obj', 'n', `/* case ${id} */\n${body}`);
}

/**
 * @typedef {object} BenchCase
 * @property {string} id        stable key, e.g. `ours.batch.root.async`
 * @property {'sync'|'async'} kind
 * @property {{ m(i: number): unknown }} obj  `obj.m(i)` must return (or resolve to) i + 1
 * @property {(fn: () => Promise<number>) => Promise<number>} [enter]  runs the loop inside a context
 * @property {() => void} [before]  called before each warm-up / round (e.g. select the global tracer)
 * @property {() => void} [verify]  throws if the spans the case produced are not what it claims
 */

/** Runs `n` calls of a case and returns the elapsed nanoseconds. */
async function timeCalls(c, n) {
  c.before?.();
  const loop = c.loop;
  const obj = c.obj;
  const t0 = process.hrtime.bigint();
  const sink = await (c.enter ? c.enter(() => loop(obj, n)) : loop(obj, n));
  const t1 = process.hrtime.bigint();
  // Uses the results (so nothing is optimised away) and checks the wrapper returned them.
  if (sink !== (n * (n + 1)) / 2) throw new Error(`${c.id}: wrong results (sink ${sink})`);
  c.calls += n;
  return Number(t1 - t0);
}

/**
 * @param {BenchCase[]} cases
 * @param {{ warmup: number, rounds: number, roundMs: number }} opts
 */
export async function runCases(cases, opts) {
  for (const c of cases) {
    c.loop = makeLoop(c.id, c.kind);
    c.calls = 0;
  }
  // Warm-up: lets V8 optimise each case, and sizes its rounds to about roundMs.
  for (const c of cases) {
    // Two passes: the second one times already-optimised code.
    await timeCalls(c, Math.ceil(opts.warmup / 2));
    const ns = await timeCalls(c, Math.floor(opts.warmup / 2));
    const perOp = ns / Math.floor(opts.warmup / 2);
    c.n = Math.max(10_000, Math.round((opts.roundMs * 1e6) / perOp));
  }
  const samples = new Map(cases.map((c) => [c.id, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const c of cases) {
      // Each round starts from an empty heap, so it pays for its own garbage only.
      globalThis.gc?.();
      const ns = await timeCalls(c, c.n);
      samples.get(c.id).push(ns / c.n);
    }
  }
  for (const c of cases) await c.verify?.();
  return cases.map((c) => ({ id: c.id, n: c.n, calls: c.calls, samples: samples.get(c.id) }));
}

/** Decorates `C.prototype.m` the way TypeScript's legacy (experimentalDecorators) output does. */
export function decorateMethod(C, decorator, key = 'm') {
  const descriptor = Object.getOwnPropertyDescriptor(C.prototype, key);
  const result = decorator(C.prototype, key, descriptor) ?? descriptor;
  Object.defineProperty(C.prototype, key, result);
  return C;
}

export function median(values) {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
