// In-process cost of the server span of one HTTP request, without HTTP: the HTTP bench's
// per-request figures move by ±10-20 µs on this shared machine, far more than the changes
// tried on this path. Each iteration makes a real IncomingMessage and ServerResponse (as
// Node's parser does), opens the request with beginHttpRequest (context, span, request
// attributes, correlation id, the 'close' listener), sets the matched route, and emits
// 'close' (status, route name, end); a BatchSpanProcessor hands batches to an exporter that
// encodes them as OTLP protobuf and discards the bytes. The baseline loop makes the same
// objects and emits 'close' with nothing listening. Rounds alternate (forward, then backward); CPU time
// (process.cpuUsage), medians.
// Usage: npm run build && node --expose-gc bench/http-span.mjs [rounds=15] [iterations=20000]
//   [--against DIR]
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// `--against DIR` also loads a copy of dist/ from DIR (e.g. `cp -r dist /tmp/dist-before`
// before a change) and alternates it with the current build in the same process: an A/B
// comparison that the machine's load hits alike.
const args = process.argv.slice(2);
const againstAt = args.indexOf('--against');
const against = againstAt === -1 ? undefined : args.splice(againstAt, 2)[1];
const [rounds = 15, iterations = 20000] = args.map(Number);

async function setup(dist) {
  const url = (file) => pathToFileURL(resolve(dist, file)).href;
  const { resolveTracingConfig } = await import(url('config/tracing-config.js'));
  const { BatchSpanProcessor } = await import(url('core/batch-span-processor.js'));
  const { Tracer } = await import(url('core/tracer.js'));
  const { encodeOtlpProtobuf } = await import(url('export/index.js'));
  const { beginHttpRequest } = await import(url('server/http-request.js'));
  const stats = { spans: 0, bytes: 0 };
  const exporter = {
    async export(batch) {
      stats.spans += batch.length;
      stats.bytes += encodeOtlpProtobuf(batch).length;
      return { code: 0 };
    },
    async shutdown() {},
  };
  const tracer = new Tracer({
    processor: new BatchSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'bench' } },
  });
  const config = resolveTracingConfig({ exporters: [] }, {});
  // A fresh function per build, so V8's feedback for one never sees the other's objects.
  const loop = new Function(
    'exchange',
    'beginHttpRequest',
    'tracer',
    'config',
    `return async function traced(n) {
      for (let i = 0; i < n; i++) {
        const { req, res } = exchange();
        beginHttpRequest(req, res, tracer, config);
        req.route = { path: '/users/:id' };
        res.emit('close');
        if ((i & 255) === 255) await new Promise(setImmediate);
      }
    } /* ${dist} */`,
  )(exchange, beginHttpRequest, tracer, config);
  return { loop, stats, tracer };
}

const socket = new Socket();
const headers = { host: '127.0.0.1:3000', 'user-agent': 'bench', accept: '*/*' };

function exchange() {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/users/42';
  req.headers = headers;
  req.httpVersion = '1.1';
  const res = new ServerResponse(req);
  res.statusCode = 200;
  return { req, res };
}

async function baseline(n) {
  for (let i = 0; i < n; i++) {
    const { req, res } = exchange();
    req.route = { path: '/users/:id' };
    res.emit('close');
    if ((i & 255) === 255) await new Promise(setImmediate);
  }
}

const builds = { traced: await setup(new URL('../dist/', import.meta.url).pathname) };
if (against) builds.against = await setup(against);
const cases = {
  baseline,
  ...Object.fromEntries(Object.entries(builds).map(([k, b]) => [k, b.loop])),
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) await fn(iterations);
for (let r = 0; r < rounds; r++) {
  // Forward, then backward: each case runs right after a GC as often as after another case.
  const entries = Object.entries(cases);
  for (const [name, fn] of r % 2 === 0 ? entries : entries.toReversed()) {
    globalThis.gc?.();
    // CPU time, not wall time: other processes on the shared cores do not count.
    const t0 = process.cpuUsage();
    await fn(iterations);
    const t = process.cpuUsage(t0);
    times[name].push(((t.user + t.system) * 1000) / iterations);
  }
}
for (const b of Object.values(builds)) await b.tracer.forceFlush?.();
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const over = (name, base) => median(times[name].map((x, i) => x - times[base][i]));
const line = [`Node ${process.version}: baseline ${median(times.baseline).toFixed(0)} ns`];
for (const [name, b] of Object.entries(builds))
  line.push(
    `${name === 'traced' ? 'this build' : against}: server span +${over(name, 'baseline').toFixed(0)} ns/request (${b.stats.spans} spans, ${(b.stats.bytes / Math.max(b.stats.spans, 1)).toFixed(0)} bytes/span)`,
  );
if (against) line.push(`this build - against: ${over('traced', 'against').toFixed(0)} ns`);
console.log(`${line.join('; ')} (medians of ${rounds} paired rounds)`);
