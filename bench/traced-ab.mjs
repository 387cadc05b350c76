// A/B of @Traced() on an async method as a root span, in one process: the current build
// (dist/) against a copy of an earlier one (`--against DIR`, a copy of dist/ inside the
// project so its imports resolve, e.g. .cache/dist-before), alternated round by round with
// the plain method, CPU time, medians. For changes too small for `npm run bench` to resolve
// on a busy machine. Usage: node bench/traced-ab.mjs [--against DIR] [rounds=15] [calls=100000]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decorateMethod } from './harness.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--against');
const against = at === -1 ? undefined : args.splice(at, 2)[1];
const [rounds = 15, calls = 100000] = args.map(Number);
const AsyncFunction = (async () => {}).constructor;
const loopFor = (label) =>
  new AsyncFunction(
    'obj',
    'n',
    `/* ${label} */ let s = 0; for (let i = 0; i < n; i++) s += await obj.m(i); return s;`,
  );

async function build(dist) {
  const url = (file) => pathToFileURL(resolve(dist, file)).href;
  const lib = { ...(await import(url('index.js'))), ...(await import(url('export/index.js'))) };
  const { setGlobalTracer } = await import(url('core/global-tracer.js'));
  let exported = 0;
  const tracer = new lib.Tracer({
    processor: new lib.BatchSpanProcessor({
      export: (spans) => ((exported += spans.length), Promise.resolve({ code: 0 })),
      shutdown: () => Promise.resolve(),
    }),
    resource: { attributes: { 'service.name': 'bench' } },
  });
  class Traced {
    async m(i) {
      return i + 1;
    }
  }
  decorateMethod(Traced, lib.Traced());
  lib.runWithContext(lib.activeContext(), () => {});
  const loop = loopFor(dist);
  const obj = new Traced();
  return { run: (n) => (setGlobalTracer(tracer), loop(obj, n)), exported: () => exported };
}

class Plain {
  async m(i) {
    return i + 1;
  }
}
const plainLoop = loopFor('plain');
const cases = { plain: { run: (n) => plainLoop(new Plain(), n) } };
cases.current = await build(new URL('../dist/', import.meta.url).pathname);
if (against) cases.against = await build(against);
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const c of Object.values(cases)) await c.run(calls);
for (let r = 0; r < rounds; r++) {
  for (const [name, c] of Object.entries(cases)) {
    globalThis.gc?.();
    const t0 = process.cpuUsage();
    await c.run(calls);
    const t = process.cpuUsage(t0);
    times[name].push(((t.user + t.system) * 1000) / calls);
  }
}
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const over = (a, b) => median(times[a].map((x, i) => x - times[b][i]));
console.log(
  `Node ${process.version}: plain ${median(times.plain).toFixed(0)} ns; @Traced() async root over plain: current +${over('current', 'plain').toFixed(0)} ns` +
    (against
      ? `, ${against} +${over('against', 'plain').toFixed(0)} ns, current - against ${over('current', 'against').toFixed(0)} ns`
      : '') +
    ` (medians of ${rounds} paired rounds of ${calls} calls, CPU time)`,
);
