// The added cost of the fetch and node:http integrations per outgoing call: the same calls
// to a local keep-alive server (another process), traced and untraced, in alternating rounds
// of one run. Run after `npm run build` (it imports the built package):
//
//   npm run build && node bench/integrations.mjs [--calls N] [--rounds N] [--warmup N]
//
// traced:   the integrations subscribed (a registered app), each call inside a request's
//           context: a CLIENT span, trace headers written, the span through a
//           BatchSpanProcessor to an exporter that discards.
// untraced: the same context, no app registered (no channel subscriber: what an app with
//           `integrations: { fetch: false, http: false }` pays).
// Results also go to bench/results/integrations.json (gitignored).

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const us = (ns) => +(ns / 1000).toFixed(1);
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.argv[2] === '--server') {
  // The downstream server: a tiny text answer; it records the traceparent it saw last.
  let traceparents = 0;
  const server = http.createServer((req, res) => {
    if (req.headers.traceparent) traceparents++;
    if (req.url === '/count') {
      res.end(String(traceparents));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '500' },
      rounds: { type: 'string', default: '21' },
      warmup: { type: 'string', default: '1000' },
    },
  });
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);

  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const base = `http://127.0.0.1:${port}`;

  const { Tracer } = await import('../dist/core/tracer.js');
  const { BatchSpanProcessor } = await import('../dist/core/batch-span-processor.js');
  const { runWithContext } = await import('../dist/core/trace-context.js');
  const { resolveTracingConfig } = await import('../dist/config/tracing-config.js');
  const { createIntegrationHost } = await import('../dist/integrations/host.js');
  const { integrationRegistry } = await import('../dist/integrations/index.js');

  let exported = 0;
  const discard = {
    export: async (spans) => {
      exported += spans.length;
      return { code: 0 };
    },
    shutdown: async () => {},
  };
  const config = resolveTracingConfig({ serviceName: 'bench' }, {});
  const processor = new BatchSpanProcessor(discard);
  const tracer = new Tracer({
    processor,
    resource: { attributes: { 'service.name': 'bench' } },
  });
  const host = createIntegrationHost(tracer, config);
  const parent = tracer.startSpan('request');
  const context = tracer.createContext(parent, 'corr', undefined);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const cases = {
    fetch: async () => {
      const res = await fetch(`${base}/x?token=secret`);
      await res.text();
    },
    'http.get': () =>
      new Promise((resolve, reject) => {
        http
          .get(`${base}/x?token=secret`, { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      }),
  };

  let registered;
  const setTraced = (on) => {
    if (on && registered === undefined) registered = integrationRegistry.register(host);
    if (!on && registered !== undefined) {
      registered.unregister();
      registered = undefined;
    }
  };
  // Wall time and this process's CPU time (user + system) per call, in ns: on a busy
  // machine the CPU time says more about what tracing adds than the wall time.
  const run = (fn, n) =>
    runWithContext(context, async () => {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn();
      const wall = Number(process.hrtime.bigint() - t0) / n;
      const cpu = process.cpuUsage(cpu0);
      return { wall, cpu: ((cpu.user + cpu.system) * 1000) / n };
    });

  // Checks the traced case does what it claims: a span per call, the header sent.
  setTraced(true);
  const before = exported;
  const seenBefore = Number(await (await fetch(`${base}/count`)).text());
  for (const fn of Object.values(cases)) await run(fn, 10);
  await processor.forceFlush();
  setTraced(false);
  const seenAfter = Number(await (await fetch(`${base}/count`)).text());
  const headers = seenAfter - seenBefore;
  const checked = exported - before;

  const samples = {};
  for (const name of Object.keys(cases)) samples[name] = { untraced: [], traced: [] };
  for (const fn of Object.values(cases)) {
    for (const traced of [false, true]) {
      setTraced(traced);
      await run(fn, warmup);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      // Alternating order per round, so drift hits both sides.
      for (const traced of r % 2 === 0 ? [false, true] : [true, false]) {
        setTraced(traced);
        await run(fn, Math.min(calls, 100));
        globalThis.gc?.();
        samples[name][traced ? 'traced' : 'untraced'].push(await run(fn, calls));
      }
    }
  }
  setTraced(false);

  // The subscribers alone: the same channel messages Node publishes for one call, with
  // request objects shaped like undici's and ClientRequest, published in a loop (no socket):
  // what the integrations add per call on the CPU, without the network's noise.
  const dc = await import('node:diagnostics_channel');
  const { EventEmitter } = await import('node:events');
  const ch = Object.fromEntries(
    [
      'undici:request:create',
      'undici:request:headers',
      'undici:request:trailers',
      'http.client.request.created',
      'http.client.request.start',
      'http.client.response.finish',
    ].map((name) => [name, dc.channel(name)]),
  );
  const undiciCall = () => {
    const sent = ['accept', '*/*'];
    const request = {
      origin: base,
      path: '/x?token=secret',
      method: 'GET',
      headers: sent,
      addHeader: (name, value) => sent.push(name, value),
    };
    ch['undici:request:create'].publish({ request });
    ch['undici:request:headers'].publish({
      request,
      response: { statusCode: 200, headers: [], statusText: 'OK' },
    });
    ch['undici:request:trailers'].publish({ request, trailers: [] });
  };
  class FakeClientRequest extends EventEmitter {
    method = 'GET';
    path = '/x?token=secret';
    protocol = 'http:';
    host = '127.0.0.1';
    headersSent = false;
    _header = null;
    aborted = false;
    fields = new Map([['host', `127.0.0.1:${port}`]]);
    setHeader(name, value) {
      this.fields.set(name.toLowerCase(), value);
    }
    hasHeader(name) {
      return this.fields.has(name.toLowerCase());
    }
    getHeader(name) {
      return this.fields.get(name.toLowerCase());
    }
  }
  const httpCall = () => {
    const request = new FakeClientRequest();
    ch['http.client.request.created'].publish({ request });
    ch['http.client.request.start'].publish({ request });
    ch['http.client.response.finish'].publish({
      request,
      response: { statusCode: 200, httpVersion: '1.1' },
    });
    request.emit('close');
  };
  const synthetic = { fetch: undiciCall, 'http.get': httpCall };
  const loops = 10_240;
  // A turn of the event loop every 256 calls, as real calls give: the batch processor
  // exports instead of filling its queue (and the GC) with ended spans.
  const timeSync = (fn) =>
    runWithContext(context, async () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < loops; i++) {
        fn();
        if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
      }
      return Number(process.hrtime.bigint() - t0) / loops;
    });
  const channelSamples = {};
  for (const name of Object.keys(synthetic)) channelSamples[name] = { untraced: [], traced: [] };
  for (const fn of Object.values(synthetic)) {
    for (const traced of [false, true]) {
      setTraced(traced);
      await timeSync(fn);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(synthetic)) {
      for (const traced of r % 2 === 0 ? [false, true] : [true, false]) {
        setTraced(traced);
        // Subscribing swaps the channels' prototypes (Node's diagnostics_channel), which
        // deoptimises the publishing code: each side is warmed again after the switch.
        await timeSync(fn);
        globalThis.gc?.();
        channelSamples[name][traced ? 'traced' : 'untraced'].push(await timeSync(fn));
      }
    }
  }
  setTraced(false);
  await processor.forceFlush();

  const rows = Object.entries(samples).map(([name, s]) => {
    const wall = (side) => median(s[side].map((x) => x.wall));
    const cpu = (side) => median(s[side].map((x) => x.cpu));
    return {
      call: name,
      'wall untraced µs': us(wall('untraced')),
      'wall traced µs': us(wall('traced')),
      'wall added µs': us(wall('traced') - wall('untraced')),
      'cpu untraced µs': us(cpu('untraced')),
      'cpu traced µs': us(cpu('traced')),
      'cpu added µs': us(cpu('traced') - cpu('untraced')),
    };
  });
  console.log(
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${rounds} rounds x ${calls} sequential calls per case (medians)`,
  );
  console.log(
    `check: ${checked === 20 ? 'ok' : 'FAILED'} (${checked} spans exported for 20 traced calls, ${headers} traceparent headers received of 20: 10 where Node does not publish http.client.request.created)`,
  );
  console.table(rows);
  const channelRows = Object.entries(channelSamples).map(([name, s]) => ({
    call: name,
    'untraced µs': +(median(s.untraced) / 1000).toFixed(2),
    'traced µs': +(median(s.traced) / 1000).toFixed(2),
    'added µs': +((median(s.traced) - median(s.untraced)) / 1000).toFixed(2),
  }));
  console.log(`the channel messages of one call, published ${loops} times per round (no socket):`);
  console.table(channelRows);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/integrations.json', import.meta.url),
    JSON.stringify({ node: process.version, calls, rounds, rows, channelRows }, null, 2),
  );
  agent.destroy();
  child.disconnect();
  child.kill();
}
