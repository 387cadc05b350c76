// `node bench/export.mjs` (after `npm run build`): the export path on its own.
//   (a) throughput: spans formatted and POSTed to a local collector through the real
//       BatchSpanProcessor + OtlpHttpExporter, OTLP/JSON and OTLP/protobuf, end to end and
//       encode-only;
//   (b) a collector that is down under sustained load: the process's memory, the spans
//       dropped at the queue cap, then the collector comes back and the queued spans arrive.
// Each part runs in a fresh process; the collector is another process, as it would be.
// Options: --spans N (throughput spans per protocol, default 200000), --outage-spans N
// (default 300000), --outage-seconds N (default 10), --quick (50000 / 60000 / 3 s).
// Results also go to bench/results/export.json.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const self = fileURLToPath(import.meta.url);

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    port: { type: 'string' },
    count: { type: 'boolean', default: false },
    spans: { type: 'string' },
    'outage-spans': { type: 'string' },
    'outage-seconds': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

const MB = 1024 * 1024;
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const nextTick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

switch (args.role) {
  case 'sink':
    await runSink(Number(args.port ?? 0), args.count);
    break;
  case 'throughput':
    await runThroughput(JSON.parse(process.env.BENCH_CONFIG));
    break;
  case 'outage':
    await runOutage(JSON.parse(process.env.BENCH_CONFIG));
    break;
  default:
    await main();
}

// ---------------------------------------------------------------------------------------
// The collector: answers 200 to every POST; with --count it also decodes OTLP bodies
// (the official generated types) to count spans, which the throughput run skips so the
// collector's decoding never becomes what is measured.

async function runSink(port, count) {
  let decode;
  if (count) {
    const { default: protoRoot } =
      await import('otlp-transformer-protos/build/src/generated/root.js');
    const Request = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
    decode = (body, type) => {
      const message = type.startsWith('application/json')
        ? JSON.parse(body.toString('utf8'))
        : Request.toObject(Request.decode(body), { arrays: true });
      let spans = 0;
      for (const rs of message.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) spans += (ss.spans ?? []).length;
      }
      return spans;
    };
  }
  const totals = { requests: 0, bytes: 0, spans: 0 };
  const server = createServer((req, res) => {
    let bytes = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      bytes += chunk.length;
      if (decode) chunks.push(chunk);
    });
    req.on('end', () => {
      totals.requests++;
      totals.bytes += bytes;
      if (decode) totals.spans += decode(Buffer.concat(chunks), req.headers['content-type'] ?? '');
      res.writeHead(200, { 'content-length': 0 }).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (message) => {
    if (message === 'stats') process.send({ stats: { ...totals } });
    if (message === 'reset') Object.assign(totals, { requests: 0, bytes: 0, spans: 0 });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------
// Shared: a tracer whose spans look like an HTTP server span with the usual attributes.

async function loadLibrary() {
  const lib = { ...(await import('nestjs-tracing')), ...(await import('nestjs-tracing/export')) };
  // Internal path on purpose: the resource with host/process attributes, as the module builds it.
  const { createResource } = await import('../dist/core/resource.js');
  return { ...lib, createResource };
}

function tracerFor(lib, processor) {
  return new lib.Tracer({
    processor,
    resource: lib.createResource({ serviceName: 'bench', serviceVersion: '1.0.0' }),
  });
}

function endSpan(lib, tracer, i) {
  const span = tracer.startSpan('GET /users/:id', {
    kind: lib.SpanKind.SERVER,
    root: true,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': `/users/${i}`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': 3000,
      'user_agent.original': 'bench/1.0',
    },
  });
  span.setAttribute('http.response.status_code', 200);
  span.end();
}

// ---------------------------------------------------------------------------------------
// (a) Throughput

async function runThroughput({ port, spans }) {
  const lib = await loadLibrary();
  const url = `http://127.0.0.1:${port}/v1/traces`;
  const results = [];
  for (const protocol of ['http/json', 'http/protobuf']) {
    await endToEnd(lib, url, protocol, Math.min(20_000, spans)); // warm-up
    const measured = await endToEnd(lib, url, protocol, spans);
    const encode = encodeOnly(lib, protocol, spans);
    results.push({ protocol, ...measured, ...encode });
  }
  process.send({ results });
}

async function endToEnd(lib, url, protocol, total) {
  const exporter = new lib.OtlpHttpExporter({ url, protocol, env: {} });
  const processor = new lib.BatchSpanProcessor(exporter, { scheduledDelayMs: 50 });
  const tracer = tracerFor(lib, processor);
  const { maxQueueSize, maxExportBatchSize } = { maxQueueSize: 2048, maxExportBatchSize: 512 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    endSpan(lib, tracer, i);
    // Produce as fast as the pipeline drains, never past the queue cap: this measures the
    // export path, not the drop counter.
    if (i % maxExportBatchSize === 0) {
      while (processor.stats().queueLength > maxQueueSize - maxExportBatchSize) await nextTick();
    }
  }
  await processor.forceFlush();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = processor.stats();
  await processor.shutdown();
  if (stats.exported !== total) {
    throw new Error(
      `${protocol}: exported ${stats.exported} of ${total} spans (${stats.dropped} dropped)`,
    );
  }
  return {
    spans: total,
    seconds,
    spansPerSecond: total / seconds,
    cpuMicrosPerSpan: (cpu.user + cpu.system) / total,
    dropped: stats.dropped,
    failed: stats.failed,
  };
}

function encodeOnly(lib, protocol, total) {
  const batch = [];
  const tracer = tracerFor(lib, {
    onEnd: (span) => batch.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  });
  for (let i = 0; i < 512; i++) endSpan(lib, tracer, i);
  const encode = protocol === 'http/json' ? lib.encodeOtlpJson : lib.encodeOtlpProtobuf;
  let bytes = 0;
  for (let i = 0; i < 20; i++) bytes = byteLength(encode(batch)); // warm-up
  const rounds = Math.ceil(total / batch.length);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) encode(batch);
  const seconds = (performance.now() - t0) / 1000;
  return {
    encodeSpansPerSecond: (rounds * batch.length) / seconds,
    bytesPerSpan: bytes / batch.length,
  };
}

function byteLength(body) {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

// ---------------------------------------------------------------------------------------
// (b) Collector down under sustained load

async function runOutage({ port, spans, seconds }) {
  const lib = await loadLibrary();
  const reports = [];
  const options = {
    scheduledDelayMs: 200,
    retryInitialDelayMs: 200,
    retryMaxDelayMs: 1000,
    // Outlast the outage: the batch in flight is kept, not given up on.
    maxRetries: 1000,
  };
  const exporter = new lib.OtlpHttpExporter({
    url: `http://127.0.0.1:${port}/v1/traces`,
    protocol: 'http/protobuf',
    env: {},
  });
  const processor = new lib.BatchSpanProcessor(exporter, options, (kind, message) =>
    reports.push({ kind, message }),
  );
  const tracer = tracerFor(lib, processor);
  globalThis.gc?.();
  const samples = [];
  const sample = (t) => {
    const { heapUsed, rss } = process.memoryUsage();
    const s = processor.stats();
    samples.push({
      t,
      heapUsedMB: heapUsed / MB,
      rssMB: rss / MB,
      queue: s.queueLength,
      dropped: s.dropped,
    });
  };
  sample(0);
  const rate = spans / seconds;
  const t0 = performance.now();
  let ended = 0;
  let nextSample = 1;
  // Steady load: every 5 ms, end the spans due by now.
  while (ended < spans) {
    const elapsed = (performance.now() - t0) / 1000;
    const due = Math.min(spans, Math.floor(elapsed * rate));
    for (; ended < due; ended++) endSpan(lib, tracer, ended);
    if (elapsed >= nextSample && nextSample < seconds) sample(nextSample++);
    await sleep(5);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  sample(`end (${loadSeconds.toFixed(1)})`);
  globalThis.gc?.();
  sample('after gc');
  const down = processor.stats();

  // The collector comes back on the same port.
  process.send({ phase: 'down-done' });
  // Neither the IPC channel nor the processor's retry timers (unref'd, so tracing never
  // holds an app open) keep this process alive while it waits.
  const keepAlive = setInterval(() => {}, 1000);
  await new Promise((resolve) => process.once('message', resolve));
  const t1 = performance.now();
  await processor.forceFlush();
  const recoverySeconds = (performance.now() - t1) / 1000;
  clearInterval(keepAlive);
  const after = processor.stats();
  await processor.shutdown();
  process.send({
    result: {
      spans,
      loadSeconds,
      options,
      samples,
      down,
      after,
      recoverySeconds,
      reports,
    },
  });
}

// ---------------------------------------------------------------------------------------
// Orchestration and report

function child(role, { config, port, count, execArgv = [] } = {}) {
  const argv = ['--role', role];
  if (port !== undefined) argv.push('--port', String(port));
  if (count) argv.push('--count');
  return fork(self, argv, {
    cwd: root,
    execArgv,
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config ?? {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage(proc, predicate = () => true) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (!predicate(message)) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code) => reject(new Error(`${proc.spawnargs.join(' ')} exited with ${code}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

async function startSink(port = 0, count = false) {
  const proc = child('sink', { port, count });
  const { port: bound } = await nextMessage(proc, (m) => 'port' in m);
  const stats = async () => {
    proc.send('stats');
    return (await nextMessage(proc, (m) => 'stats' in m)).stats;
  };
  return { proc, port: bound, stats, stop: () => proc.kill() };
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  const quick = args.quick;
  const config = {
    spans: Number(args.spans ?? (quick ? 50_000 : 200_000)),
    outageSpans: Number(args['outage-spans'] ?? (quick ? 60_000 : 300_000)),
    outageSeconds: Number(args['outage-seconds'] ?? (quick ? 3 : 10)),
  };
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    console.error('dist/ is missing: run `npm run build` first.');
    process.exit(1);
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const started = performance.now();
  console.log(
    `nestjs-tracing ${pkg.version} export benchmark · Node ${process.version} · ${cpus().length}x ${cpus()[0]?.model ?? 'cpu'} · load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );

  // (a)
  const sink = await startSink();
  await sink.stats();
  const bench = child('throughput', { config: { port: sink.port, spans: config.spans } });
  const { results: throughput } = await nextMessage(bench, (m) => 'results' in m);
  bench.kill();
  const sinkTotals = await sink.stats();
  sink.stop();
  console.log(
    `(a) Export throughput: ${fmt(config.spans)} spans per protocol, BatchSpanProcessor (defaults, 50 ms delay) + OtlpHttpExporter → local collector process\n`,
  );
  console.log(
    table(
      [
        'protocol',
        'end-to-end spans/s',
        'CPU µs/span',
        'encode-only spans/s',
        'bytes/span',
        'dropped',
      ],
      throughput.map((r) => [
        r.protocol,
        fmt(r.spansPerSecond),
        fmt(r.cpuMicrosPerSpan, 2),
        fmt(r.encodeSpansPerSecond),
        fmt(r.bytesPerSpan),
        fmt(r.dropped),
      ]),
    ),
  );
  console.log(
    `\nThe collector answered ${fmt(sinkTotals.requests)} requests (${fmt(sinkTotals.bytes / MB, 1)} MB), warm-up runs included.` +
      ' End to end includes creating and ending each span; CPU is the exporting process only.\n',
  );

  // (b)
  const port = await freePort();
  const outage = child('outage', {
    config: { port, spans: config.outageSpans, seconds: config.outageSeconds },
    execArgv: ['--expose-gc'],
  });
  await nextMessage(outage, (m) => m.phase === 'down-done');
  const back = await startSink(port, true);
  outage.send('sink-up');
  const { result } = await nextMessage(outage, (m) => 'result' in m);
  outage.kill();
  const received = await back.stats();
  back.stop();

  const heap = result.samples.map((s) => s.heapUsedMB);
  const rss = result.samples.map((s) => s.rssMB);
  const memory = {
    heapUsedMB: { start: heap[0], peak: Math.max(...heap), end: heap.at(-1) },
    rssMB: { start: rss[0], peak: Math.max(...rss), end: rss.at(-1) },
  };
  console.log(
    `(b) Collector down (connection refused): ${fmt(result.spans)} spans over ${result.loadSeconds.toFixed(1)} s (${fmt(result.spans / result.loadSeconds)} spans/s), default queue (2048) and batch (512)\n`,
  );
  console.log(
    table(
      ['t (s)', 'heapUsed MB', 'rss MB', 'queued', 'dropped'],
      result.samples.map((s) => [
        s.t,
        fmt(s.heapUsedMB, 1),
        fmt(s.rssMB, 1),
        fmt(s.queue),
        fmt(s.dropped),
      ]),
    ),
  );
  const { down, after } = result;
  console.log(
    `\nheapUsed start/peak/end: ${fmt(memory.heapUsedMB.start, 1)} / ${fmt(memory.heapUsedMB.peak, 1)} / ${fmt(memory.heapUsedMB.end, 1)} MB;` +
      ` rss ${fmt(memory.rssMB.start, 1)} / ${fmt(memory.rssMB.peak, 1)} / ${fmt(memory.rssMB.end, 1)} MB`,
  );
  console.log(
    `While down: ${fmt(down.dropped)} dropped, ${fmt(down.queueLength)} queued (+ one batch in flight), ${fmt(down.retried)} retries, exported ${fmt(down.exported)}.`,
  );
  console.log(`Logged once each: ${result.reports.map((r) => r.kind).join(', ') || 'nothing'}`);
  console.log(
    `Collector back: ${fmt(after.exported)} spans delivered in ${result.recoverySeconds.toFixed(2)} s; the collector counted ${fmt(received.spans)} spans in ${fmt(received.requests)} requests.` +
      ` ${fmt(after.exported)} + ${fmt(after.dropped)} dropped + ${fmt(after.failed)} failed = ${fmt(after.exported + after.dropped + after.failed)} of ${fmt(result.spans)}.`,
  );
  const problems = [];
  if (after.exported + after.dropped + after.failed !== result.spans) {
    problems.push('exported + dropped + failed does not add up to the spans ended');
  }
  if (received.spans !== after.exported) {
    problems.push(`the collector counted ${received.spans} spans, the exporter ${after.exported}`);
  }
  if (after.exported === 0) problems.push('nothing arrived once the collector was back');
  for (const problem of problems) console.error(`CHECK FAILED: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nDone in ${seconds.toFixed(1)} s.`);

  const out = {
    date: new Date().toISOString(),
    machine: {
      platform: platform(),
      release: release(),
      cpus: cpus().length,
      model: cpus()[0]?.model,
      totalmemMB: totalmem() / MB,
      loadavg: loadavg(),
    },
    node: process.version,
    package: `${pkg.name}@${pkg.version}`,
    config,
    throughput,
    outage: { ...result, memory, collectorReceived: received },
    seconds,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'export.json'), JSON.stringify(out, null, 2) + '\n');
  console.log('Results written to bench/results/export.json');
}
