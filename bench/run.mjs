// `npm run bench`: per-call cost of @Traced() against a plain call and against the
// OpenTelemetry JS SDK. Options: --repeats N (worker processes per group, default 3),
// --rounds N (timed rounds per process, default 5), --warmup N (calls, default 200000),
// --round-ms N (length of one round, default 30), --quick (1 repeat, 3 rounds, 50k warm-up).
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    'round-ms': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const config = {
  repeats: Number(args.repeats ?? (args.quick ? 1 : 3)),
  rounds: Number(args.rounds ?? (args.quick ? 3 : 5)),
  warmup: Number(args.warmup ?? (args.quick ? 50_000 : 200_000)),
  roundMs: Number(args['round-ms'] ?? 30),
};

// Group order alternates the two libraries; each repeat rotates it so slow phases of a
// busy machine do not always land on the same group.
const GROUP_ORDER = [
  'cold',
  'ours-batch',
  'otel-batch',
  'ours-unsampled',
  'otel-unsampled',
  'ours-simple',
  'otel-batch-noattr',
];

function runWorker(group) {
  return new Promise((resolve, reject) => {
    let message;
    const child = fork(join(here, 'worker.mjs'), [group, JSON.stringify(config)], {
      cwd: root,
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m) => (message = m));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && message) resolve(message);
      else reject(new Error(`bench worker "${group}" failed (exit ${code ?? signal})`));
    });
  });
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8'))
      .version;
  } catch {
    return 'not installed';
  }
}

// ---------------------------------------------------------------------------------------
// Run

/** Busy CPU time of the whole machine so far, in ms (idle and iowait excluded). */
function machineBusyMs() {
  return cpus().reduce(
    (sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq,
    0,
  );
}

const started = Date.now();
const loadBefore = loadavg();
const busyBefore = machineBusyMs();
let workersCpuMs = 0;
/** id -> { samples: ns/op of every round, processMedians: median per worker process, n } */
const measured = new Map();
const checks = [];
for (let r = 0; r < config.repeats; r++) {
  const order = GROUP_ORDER.map((_, i) => GROUP_ORDER[(i + r) % GROUP_ORDER.length]);
  for (const group of order) {
    process.stderr.write(`bench: repeat ${r + 1}/${config.repeats}, group ${group}\n`);
    const result = await runWorker(group);
    workersCpuMs += result.cpuMs;
    for (const res of result.results) {
      const entry = measured.get(res.id) ?? { samples: [], processMedians: [], n: res.n };
      entry.samples.push(...res.samples);
      entry.processMedians.push(median(res.samples));
      measured.set(res.id, entry);
    }
    if (Object.keys(result.checks).length > 0) checks.push({ group, ...result.checks });
  }
}
const elapsedS = (Date.now() - started) / 1000;
// What other processes kept busy meanwhile, in cores: this machine is shared, and their
// load shows up as noise (and, with 2 cores, as slower rounds) in every figure.
const ownCpu = process.cpuUsage();
const otherCores = Math.max(
  0,
  (machineBusyMs() - busyBefore - workersCpuMs - (ownCpu.user + ownCpu.system) / 1000) /
    (elapsedS * 1000),
);

// ---------------------------------------------------------------------------------------
// Aggregate

function stat(id) {
  const entry = measured.get(id);
  if (!entry) return undefined;
  const ns = median(entry.samples);
  // Spread across processes; with a single process, across its rounds.
  const values = entry.processMedians.length > 1 ? entry.processMedians : entry.samples;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return { ns, spread: (hi - lo) / 2 / ns, rounds: entry.samples.length, n: entry.n };
}

const baseline = {
  sync: stat('plain.cold.sync'),
  async: stat('plain.cold.async'),
};
const baselineRows = [
  ['plain call, AsyncLocalStorage never run in the process', 'plain.cold'],
  ["plain call, after nestjs-tracing's AsyncLocalStorage ran", 'plain.als-ours'],
  ["plain call, after OTel's AsyncLocalStorageContextManager ran", 'plain.als-otel'],
];
const SCENARIOS = [
  ['sampled, batch export, root span', 'batch.root', 'batch.root'],
  ['sampled, batch export, child of a request span', 'batch.child', 'batch.child'],
  ['same, OTel span without the attribute, root', 'batch.root', 'batch-noattr.root'],
  ['same, OTel span without the attribute, child', 'batch.child', 'batch-noattr.child'],
  ['sampled, SimpleSpanProcessor (ours only), root', 'simple.root', undefined],
  ['sampled, SimpleSpanProcessor (ours only), child', 'simple.child', undefined],
  ['unsampled (AlwaysOffSampler), root', 'unsampled.root', 'unsampled.root'],
  ['unsampled (AlwaysOffSampler), child', 'unsampled.child', 'unsampled.child'],
  ['disabled (ours enabled:false / OTel API, no SDK)', 'disabled', 'disabled'],
];

const rows = [];
for (const kind of ['sync', 'async']) {
  for (const [label, oursKey, otelKey] of SCENARIOS) {
    const ours = stat(`ours.${oursKey}.${kind}`);
    const otel = otelKey ? stat(`otel.${otelKey}.${kind}`) : undefined;
    const plain = baseline[kind].ns;
    const describe = (s) => s && { ...s, timesPlain: s.ns / plain, overheadNs: s.ns - plain };
    rows.push({
      kind,
      label,
      ours: describe(ours),
      otel: describe(otel),
      otelOverOurs: ours && otel ? otel.ns / ours.ns : undefined,
    });
  }
}

const find = (kind, label) => rows.find((r) => r.kind === kind && r.label.startsWith(label));
const batchRows = ['root', 'child'].flatMap((where) =>
  ['sync', 'async'].map((kind) => ({
    kind,
    where,
    row: find(kind, `sampled, batch export, ${where === 'root' ? 'root' : 'child'}`),
  })),
);

// DESIGN 6, per call: the span's cost is what a traced call takes over the plain call in the
// same process (after that library's AsyncLocalStorage ran), and the same for OTel.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const perCallBudget = { sync: 150, async: nodeMajor >= 24 ? 300 : 400 };
const added = (id, plainKey) => {
  const traced = stat(id);
  const plain = stat(plainKey);
  return traced && plain ? traced.ns - plain.ns : undefined;
};
const perCall = batchRows.map(({ kind, where }) => {
  const ours = added(`ours.batch.${where}.${kind}`, `plain.als-ours.${kind}`);
  const otel = added(`otel.batch.${where}.${kind}`, `plain.als-otel.${kind}`);
  const floor = added(`floor.${where}.${kind}`, `plain.als-ours.${kind}`);
  return {
    kind,
    where,
    oursNs: round(ours),
    otelNs: round(otel),
    floorNs: round(floor),
    oursOverFloorNs: round(ours - floor),
    budgetNs: perCallBudget[kind],
    withinBudget: ours <= perCallBudget[kind],
    otelOverOurs: round(otel / ours, 2),
    atLeast4xCheaper: otel / ours >= 4,
  };
});
const targets = {
  perCall,
  // "Within noise of a plain call": at most 10 ns over the cold plain call, or 1.25x it.
  nearPlainCall: Object.fromEntries(
    ['unsampled', 'disabled'].map((what) => {
      const picked = rows.filter((r) => r.label.startsWith(what));
      const overheads = Object.fromEntries(
        picked.map((r) => [
          `${r.kind}.${r.label.includes('child') ? 'child' : r.label.includes('root') ? 'root' : 'any'}`,
          round(r.ours.overheadNs, 1),
        ]),
      );
      const met = picked.every(
        (r) => r.ours.overheadNs <= Math.max(10, 0.25 * baseline[r.kind].ns),
      );
      return [what, { met, overheadNs: overheads }];
    }),
  ),
};

// ---------------------------------------------------------------------------------------
// Print

function round(value, digits = 0) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
function fmtNs(s) {
  if (!s) return '—';
  const ns = s.ns < 10 ? s.ns.toFixed(1) : s.ns.toFixed(0);
  return `${ns} ±${Math.round(s.spread * 100)}%`;
}
function fmtTimes(s) {
  if (!s) return '';
  return s.timesPlain < 10 ? `${s.timesPlain.toFixed(2)}x` : `${s.timesPlain.toFixed(0)}x`;
}
function fmtOver(s) {
  return s ? `+${Math.max(0, s.overheadNs).toFixed(0)}` : '';
}
function table(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const pkgVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  v8: process.versions.v8,
  platform: `${platform()} ${release()}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadavgBefore: loadBefore.map((l) => round(l, 2)),
  loadavgAfter: loadavg().map((l) => round(l, 2)),
  otherProcessesCores: round(otherCores, 2),
  elapsedSeconds: round(elapsedS, 1),
  packages: {
    'nestjs-tracing': pkgVersion,
    '@opentelemetry/api': version('@opentelemetry/api'),
    '@opentelemetry/sdk-trace-base': version('@opentelemetry/sdk-trace-base'),
    '@opentelemetry/sdk-trace': version('@opentelemetry/sdk-trace'),
    '@opentelemetry/context-async-hooks': version('@opentelemetry/context-async-hooks'),
    '@opentelemetry/core': version('@opentelemetry/core'),
  },
};

const out = [];
out.push('nestjs-tracing benchmark: cost of one traced method call');
out.push(
  `Node ${meta.node} (V8 ${meta.v8}), ${meta.cpu} x${meta.cores}, ${meta.platform}; ` +
    `other processes used ${meta.otherProcessesCores} cores on average during the run`,
);
out.push(
  Object.entries(meta.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', '),
);
if (otherCores > 0.25) {
  out.push(
    `WARNING: the machine was busy (other processes used ${meta.otherProcessesCores} of ${meta.cores} cores):`,
    `expect wide ±% and rerun on an idle machine before trusting small differences.`,
  );
}
out.push('');
out.push(
  `Method: each group of cases runs in its own fresh process (${config.repeats} process(es) per group,`,
  `alternating libraries). In a process every case is warmed up (${config.warmup} calls), then timed in`,
  `${config.rounds} alternating rounds of ~${config.roundMs} ms; ns/op is the median over all rounds of all`,
  `processes, ±% is half the range of the per-process medians (of the rounds, with one process).`,
  `Async cases await each call in turn;`,
  `sync cases yield to the microtask queue every 256 calls (so batch processors can flush), as do their`,
  `plain baselines. Why separate processes: on Node 20 the first AsyncLocalStorage.run switches on`,
  `promise hooks that make every later promise dearer, and two stores (ours + OTel's) in one process`,
  `would tax each other's promises. So the plain call is measured where no AsyncLocalStorage ever ran`,
  `(the "cold" process, also home of the disabled cases, which must not switch it on), and again in each`,
  `library's process after its store is on. "xplain" and "+ns" compare with the cold plain call: what a`,
  `method costs with tracing versus the same app without it (the promise-hook tax included).`,
  `Every method computes i + 1; OTel's is the natural hand-written equivalent: tracer.startActiveSpan`,
  `(the SDK tracer from BasicTracerProvider.getTracer, not the API proxy), try/catch recording the`,
  `exception and ERROR status, span.end() in finally, an async callback awaiting the method for the`,
  `async case, and the same code.function.name attribute @Traced() sets. "batch export": OTel's`,
  `BatchSpanProcessor (defaults) with an exporter that discards, and ours likewise.`,
  `"child": inside an active request-like parent span (ours: runWithContext(tracer.createContext(parent,`,
  `'corr')), OTel: context.with(trace.setSpan(ctx, parent))); "root": no active context.`,
);
out.push('');
out.push('Baselines (ns/op)');
out.push(
  table(
    ['', 'sync', 'async'],
    baselineRows.map(([label, key]) => [
      label,
      fmtNs(stat(`${key}.sync`)),
      fmtNs(stat(`${key}.async`)),
    ]),
  ),
);
for (const kind of ['sync', 'async']) {
  out.push('');
  out.push(
    `${kind === 'sync' ? 'Sync' : 'Async'} method (plain call: ${fmtNs(baseline[kind])} ns/op, cold)`,
  );
  out.push(
    table(
      ['case', 'ours ns/op', 'xplain', '+ns', 'OTel ns/op', 'xplain', '+ns', 'OTel/ours'],
      rows
        .filter((r) => r.kind === kind)
        .map((r) => [
          r.label,
          fmtNs(r.ours),
          fmtTimes(r.ours),
          fmtOver(r.ours),
          fmtNs(r.otel),
          fmtTimes(r.otel),
          fmtOver(r.otel),
          r.otelOverOurs === undefined ? '' : `${r.otelOverOurs.toFixed(2)}x`,
        ]),
    ),
  );
}
out.push('');
out.push('Targets (DESIGN 6): added ns per call over the plain call in the same process');
out.push(
  table(
    ['case', 'ours +ns', 'budget', 'floor +ns', 'ours - floor', 'OTel +ns', 'OTel/ours'],
    perCall.map((p) => [
      `${p.kind} ${p.where}`,
      `${p.oursNs}`,
      `${p.budgetNs} ${p.withinBudget ? 'MET' : 'NOT MET'}`,
      `${p.floorNs}`,
      `${p.oursOverFloorNs}`,
      `${p.otelNs}`,
      `${p.otelOverOurs.toFixed(2)}x ${p.atLeast4xCheaper ? 'MET' : 'NOT MET'}`,
    ]),
  ),
);
out.push(
  `  floor: two clock reads, AsyncLocalStorage.run of a new context object and (async) one reaction`,
  `  to the settled promise, in the same process: what any context-carrying tracer pays per span here.`,
);
for (const [what, t] of Object.entries(targets.nearPlainCall)) {
  out.push(
    `- ${what} close to a plain call (<= +10 ns or 1.25x): ${t.met ? 'MET' : 'NOT MET'} ` +
      `(ours adds ${Object.entries(t.overheadNs)
        .map(([k, v]) => `${k} ${Math.max(0, v).toFixed(0)} ns`)
        .join(', ')})`,
  );
}
const exportChecks = new Map();
for (const c of checks) {
  if (!(c.expected > 0)) continue;
  const sum = exportChecks.get(c.group) ?? { exported: 0, expected: 0, dropped: 0 };
  for (const key of ['exported', 'expected', 'dropped']) sum[key] += c[key];
  exportChecks.set(c.group, sum);
}
for (const [group, c] of exportChecks) {
  out.push(
    `- check: OTel BatchSpanProcessor (${group}) exported ${c.exported} of ${c.expected} spans` +
      ` (${c.dropped} dropped)`,
  );
}
out.push('');
const resultFile = `node${process.versions.node.split('.')[0]}.json`;
out.push(`Done in ${elapsedS.toFixed(0)} s. JSON: bench/results/${resultFile} (and latest.json)`);
console.log(out.join('\n'));

const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const resultJson =
  JSON.stringify(
    {
      meta,
      config,
      baselines: Object.fromEntries(
        baselineRows.flatMap(([label, key]) =>
          ['sync', 'async'].map((kind) => [`${key}.${kind}`, { label, ...stat(`${key}.${kind}`) }]),
        ),
      ),
      rows,
      targets,
      checks,
      cases: Object.fromEntries(
        [...measured].map(([id, e]) => [id, { ...stat(id), processMedians: e.processMedians }]),
      ),
    },
    null,
    2,
  ) + '\n';
for (const file of ['latest.json', resultFile]) writeFileSync(join(resultsDir, file), resultJson);
