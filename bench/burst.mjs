// A burst: spans ended in a loop whose awaits are all of settled promises (a batch job, a
// script), so no timer or I/O callback runs until the loop is over. Ours and OpenTelemetry's
// BatchSpanProcessor, both with default options, each in its own process, against the same
// three exporters: one that takes a batch at once, one that answers in a microtask, and one
// that answers on a timer (what a network exporter does: its answer needs an event-loop turn).
//
//   npm run bench:burst                  # 100,000 spans per case
//   npm run bench:burst -- --spans 1000000
//
// Reports spans ended / exported / dropped per case (dropped = ended - exported after a
// flush, for OTel, whose processor does not expose its count). Needs a build (the npm script
// builds first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const SPANS = Number(option('spans', 100_000));
const EXPORTERS = ['sync', 'microtask', 'timer'];
const SPANS_PER_AWAIT = [1, 256];

/** Ends `count` spans, awaiting a settled promise after every `perAwait` of them. */
async function burst(endOne, count, perAwait) {
  for (let i = 1; i <= count; i++) {
    endOne();
    if (i % perAwait === 0) await Promise.resolve();
  }
}

async function runOurs(exporterKind, perAwait) {
  const lib = { ...(await import('nestjs-tracing')), ...(await import('nestjs-tracing/export')) };
  const success = { code: lib.ExportResultCode.SUCCESS };
  const settled = Promise.resolve(success);
  const exporter = {
    export() {
      if (exporterKind === 'sync') return settled;
      if (exporterKind === 'microtask') return Promise.resolve().then(() => success);
      return new Promise((resolve) => setTimeout(() => resolve(success), 0));
    },
    async shutdown() {},
  };
  const processor = new lib.BatchSpanProcessor(exporter);
  const tracer = new lib.Tracer({ processor, resource: { attributes: { 'service.name': 'b' } } });
  const started = performance.now();
  await burst(() => tracer.startSpan('burst').end(), SPANS, perAwait);
  const ms = performance.now() - started;
  await processor.forceFlush();
  const stats = processor.stats();
  return { exported: stats.exported, dropped: stats.dropped + stats.failed, ms };
}

async function runOtel(exporterKind, perAwait) {
  const api = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  let exported = 0;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      if (exporterKind === 'sync') done({ code: 0 });
      else if (exporterKind === 'microtask') queueMicrotask(() => done({ code: 0 }));
      else setTimeout(() => done({ code: 0 }), 0);
    },
    async shutdown() {},
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('burst');
  const started = performance.now();
  await burst(() => tracer.startSpan('burst').end(), SPANS, perAwait);
  const ms = performance.now() - started;
  await provider.forceFlush();
  return { exported, dropped: SPANS - exported, ms };
}

const fmt = (n) => n.toLocaleString('en-US');

if (args[0] === '--child') {
  const [, library, exporterKind, perAwait] = args;
  const run = library === 'ours' ? runOurs : runOtel;
  const result = await run(exporterKind, Number(perAwait));
  process.stdout.write(JSON.stringify(result));
} else {
  const self = fileURLToPath(import.meta.url);
  const rows = [];
  for (const exporterKind of EXPORTERS) {
    for (const perAwait of SPANS_PER_AWAIT) {
      const row = { exporterKind, perAwait };
      for (const library of ['ours', 'otel']) {
        const child = spawnSync(
          process.execPath,
          [self, '--child', library, exporterKind, String(perAwait), '--spans', String(SPANS)],
          { encoding: 'utf8' },
        );
        if (child.status !== 0) throw new Error(`${library} ${exporterKind}: ${child.stderr}`);
        row[library] = JSON.parse(child.stdout);
      }
      rows.push(row);
    }
  }
  console.log(`Burst: ${fmt(SPANS)} spans ended without an event-loop turn, default batch options`);
  console.log(
    `Node ${process.version}; ours = nestjs-tracing, otel = @opentelemetry/sdk-trace-base`,
  );
  console.log('');
  const header = ['exporter answers', 'spans/await', 'ours exported', 'ours dropped'];
  header.push('otel exported', 'otel dropped');
  const lines = rows.map((r) => [
    r.exporterKind === 'sync'
      ? 'at once'
      : r.exporterKind === 'microtask'
        ? 'in a microtask'
        : 'on a timer',
    String(r.perAwait),
    fmt(r.ours.exported),
    fmt(r.ours.dropped),
    fmt(r.otel.exported),
    fmt(r.otel.dropped),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const line of [header, widths.map((w) => '-'.repeat(w)), ...lines]) {
    console.log(
      line.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
  }
  console.log('');
  const missed = rows.filter((r) => r.exporterKind !== 'timer' && r.ours.dropped > 0);
  console.log(
    missed.length === 0
      ? 'Target (DESIGN 6, bursts): met: nothing dropped while the exporter takes batches without an event-loop turn.'
      : `Target (DESIGN 6, bursts): NOT MET in ${missed.length} case(s).`,
  );
  console.log(
    'On a timer (a network exporter): one batch is in flight and the queue (maxQueueSize) fills,' +
      ' then spans are dropped and counted until the loop yields.',
  );
}
