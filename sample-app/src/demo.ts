import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceName } from './config.js';
import { spawnService, type ServiceProcess } from './supervisor.js';

/**
 * `npm run demo`: starts both services on free ports, sends a few requests, prints the
 * trace trees each service wrote, checks that the cross-service request is one trace,
 * and stops everything. Exits 1 if anything was not as expected.
 */

// The catalog's embedded PostgreSQL (PGlite) takes seconds to start, more on a busy machine.
const DEADLINE_MS = 150_000;
const READY_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 5_000;
const WAIT_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

/** A span as the console exporter's `json` format writes it (the fields read here). */
interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  parentIsRemote: boolean;
  name: string;
  kind: string;
  status: { code: string; message?: string };
  attributes: Record<string, unknown>;
  resource: { attributes: Record<string, unknown> };
}

interface Scenario {
  title: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A JSON request body. */
  json?: unknown;
  status: number;
  /** False for routes in ignoreRoutes: no span expected. */
  traced: boolean;
  /** Catalog calls the request makes: each must continue the gateway's trace. */
  catalogCalls?: number;
  /** Returns what is wrong, if anything. */
  check?: (result: RequestResult, spans: SpanRecord[]) => string | undefined;
}

interface RequestResult {
  status: number;
  headers: Headers;
  body: unknown;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'health check (ignored route)',
    method: 'GET',
    path: '/health',
    status: 200,
    traced: false,
  },
  {
    title: 'an order, with a correlation id',
    method: 'GET',
    path: '/orders/1',
    headers: { 'x-correlation-id': 'demo-order-1' },
    status: 200,
    traced: true,
    check: (result) => {
      const echoed = result.headers.get('x-correlation-id');
      const seen = (result.body as { correlationId?: unknown }).correlationId;
      if (echoed !== 'demo-order-1') return `x-correlation-id echoed as ${echoed}`;
      if (seen !== 'demo-order-1') return `the handler saw correlation id ${String(seen)}`;
      return undefined;
    },
  },
  {
    title: 'order details: the gateway calls the catalog',
    method: 'GET',
    path: '/orders/1/details',
    status: 200,
    traced: true,
    catalogCalls: 2,
    check: (result) => {
      const total = (result.body as { totalCents?: unknown }).totalCents;
      return total === 6490 ? undefined : `totalCents is ${String(total)}, expected 6490`;
    },
  },
  {
    title: 'stock updates (SSE): the gateway relays the catalog event stream',
    method: 'GET',
    path: '/orders/1/stock',
    status: 200,
    traced: true,
    catalogCalls: 1,
    check: (result, spans) => {
      const events = String(result.body).match(/^data: /gm)?.length ?? 0;
      if (events !== 3) return `${events} events relayed, expected 3`;
      const client = spans.find((s) => s.kind === 'client');
      const figures = client?.attributes;
      if (figures?.['nestjs_tracing.stream.outcome'] !== 'completed') {
        return 'the catalog call is not a completed stream';
      }
      if (figures['nestjs_tracing.stream.kind'] !== 'sse') return 'the catalog call is not SSE';
      const bytes = figures['nestjs_tracing.stream.bytes'];
      return typeof bytes === 'number' && bytes > 0 ? undefined : 'no streamed bytes counted';
    },
  },
  {
    title: 'the fake LLM: tokens and cost on the span',
    method: 'POST',
    path: '/llm/chat',
    json: { prompt: 'What is a trace?' },
    status: 201,
    traced: true,
    check: (_result, spans) => {
      const llm = spans.find((s) => s.name === 'FakeLlmService.complete');
      if (llm === undefined) return 'no FakeLlmService.complete span';
      const a = llm.attributes;
      const expected = { 'gen_ai.usage.input_tokens': 4, 'gen_ai.usage.output_tokens': 10 };
      for (const [key, value] of Object.entries(expected)) {
        if (a[key] !== value) return `${key} is ${String(a[key])}, expected ${value}`;
      }
      return typeof a['gen_ai.usage.cost'] === 'number' ? undefined : 'no gen_ai.usage.cost';
    },
  },
  {
    title: 'payment: fails on purpose',
    method: 'POST',
    path: '/orders/1/payment',
    headers: { authorization: 'Bearer ada' },
    status: 500,
    traced: true,
    check: (_result, spans) => {
      const charge = spans.find((s) => s.name === 'PaymentsService.charge');
      if (charge?.status.code !== 'error') return 'PaymentsService.charge is not an error span';
      const server = spans.find((s) => s.kind === 'server');
      return server?.status.code === 'error' ? undefined : 'the server span is not an error';
    },
  },
  {
    title: 'payment without credentials: the guard says no',
    method: 'POST',
    path: '/orders/1/payment',
    status: 401,
    traced: true,
  },
  {
    title: 'an order that does not exist',
    method: 'GET',
    path: '/orders/42',
    status: 404,
    traced: true,
  },
];

/** One service's output: kept back and printed, prefixed, after the request it belongs to. */
class ServiceOutput {
  readonly lines: string[] = [];
  private printed = 0;

  constructor(private readonly label: string) {}

  push = (line: string): void => {
    this.lines.push(line);
  };

  /** Complete trees for `traceId` printed so far (a tree ends with a blank line). */
  treeCount(traceId: string): number {
    let count = 0;
    for (let i = 0; i < this.lines.length; i++) {
      if (!this.lines[i]!.startsWith(`trace ${traceId} `)) continue;
      if (this.lines.indexOf('', i + 1) !== -1) count++;
    }
    return count;
  }

  flush(): void {
    const lines = this.lines.slice(this.printed);
    this.printed = this.lines.length;
    // Trim the blank separators at the end of a group; keep those between trees.
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    for (const line of lines) console.log(`${this.label} │${line === '' ? '' : ' '}${line}`);
  }
}

/** The spans one service wrote as JSON lines; hands out each request's local roots once. */
class SpanLog {
  private readonly taken = new Set<string>();

  constructor(readonly file: string) {}

  all(): SpanRecord[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, 'utf8');
    // The exporter may be writing as we read: only whole lines (newline-terminated) count.
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SpanRecord);
  }

  /** `count` server spans that start this process's part of a trace, not handed out before. */
  takeServerRoots(count: number, match: (span: SpanRecord) => boolean): SpanRecord[] | undefined {
    const found = this.all().filter(
      (s) =>
        s.kind === 'server' &&
        (s.parentSpanId === null || s.parentIsRemote) &&
        !this.taken.has(s.spanId) &&
        match(s),
    );
    if (found.length < count) return undefined;
    const roots = found.slice(0, count);
    for (const root of roots) this.taken.add(root.spanId);
    return roots;
  }
}

/** Polls `probe` until it returns a value; undefined after WAIT_TIMEOUT_MS. */
async function waitFor<T>(probe: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(POLL_MS);
  }
}

async function send(baseUrl: string, scenario: Scenario): Promise<RequestResult> {
  const response = await fetch(baseUrl + scenario.path, {
    method: scenario.method,
    headers:
      scenario.json === undefined
        ? scenario.headers
        : { ...scenario.headers, 'content-type': 'application/json' },
    body: scenario.json === undefined ? undefined : JSON.stringify(scenario.json),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

function curlLine(baseUrl: string, scenario: Scenario): string {
  const parts = ['curl'];
  if (scenario.method !== 'GET') parts.push('-X', scenario.method);
  for (const [name, value] of Object.entries(scenario.headers ?? {})) {
    parts.push('-H', `'${name}: ${value}'`);
  }
  if (scenario.json !== undefined) {
    parts.push(
      '-H',
      `'content-type: application/json'`,
      '-d',
      `'${JSON.stringify(scenario.json)}'`,
    );
  }
  parts.push(baseUrl + scenario.path);
  return parts.join(' ');
}

/** The services' environment: no OTEL_* from this shell, Nest warnings and errors only, no colour. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OTEL_')) env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'warn', NO_COLOR: '1', ...extra };
}

async function run(): Promise<string[]> {
  const failures: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-tracing-demo-'));
  const logs: Record<ServiceName, SpanLog> = {
    gateway: new SpanLog(join(dir, 'gateway.spans.jsonl')),
    catalog: new SpanLog(join(dir, 'catalog.spans.jsonl')),
  };
  const output: Record<ServiceName, ServiceOutput> = {
    gateway: new ServiceOutput('gateway'),
    catalog: new ServiceOutput('catalog'),
  };
  const services: ServiceProcess[] = [];
  const stopAll = (): void => {
    for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  };
  process.once('exit', stopAll);

  try {
    console.log('Starting the catalog and the gateway, each in its own process...');
    const catalog = await spawnService('catalog', {
      env: childEnv({ CATALOG_PORT: '0', SPANS_JSON_FILE: logs.catalog.file }),
      onLine: output.catalog.push,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    services.push(catalog);
    const gateway = await spawnService('gateway', {
      env: childEnv({
        GATEWAY_PORT: '0',
        CATALOG_URL: catalog.url,
        SPANS_JSON_FILE: logs.gateway.file,
      }),
      onLine: output.gateway.push,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    services.push(gateway);
    console.log(`gateway  ${gateway.url}  (pid ${gateway.child.pid})`);
    console.log(`catalog  ${catalog.url}  (pid ${catalog.child.pid})`);
    output.gateway.flush();
    output.catalog.flush();

    for (const [index, scenario] of SCENARIOS.entries()) {
      console.log(`\n── ${index + 1}. ${scenario.title}`);
      console.log(`   $ ${curlLine(gateway.url, scenario)}`);
      const problems = await runScenario(scenario, gateway.url, logs, output);
      for (const p of problems) console.log(`   ✗ ${p}`);
      failures.push(...problems.map((p) => `${scenario.method} ${scenario.path}: ${p}`));
    }

    const healthSpans = logs.gateway.all().filter((s) => s.attributes['url.path'] === '/health');
    if (healthSpans.length > 0) failures.push(`/health produced ${healthSpans.length} span(s)`);

    console.log('\n── stopping both services (SIGTERM)');
    const codes = await Promise.all(services.map((s) => s.stop(5_000)));
    codes.forEach((code, i) => {
      if (code !== 0) failures.push(`${services[i]!.name} exited with ${String(code)}`);
    });
    output.gateway.flush();
    output.catalog.flush();
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    for (const o of Object.values(output)) o.flush();
  } finally {
    await Promise.allSettled(services.map((s) => s.stop(2_000)));
    rmSync(dir, { recursive: true, force: true });
  }
  return failures;
}

/** Sends one request, checks its answer and its spans, prints its trace trees. */
async function runScenario(
  scenario: Scenario,
  baseUrl: string,
  logs: Record<ServiceName, SpanLog>,
  output: Record<ServiceName, ServiceOutput>,
): Promise<string[]> {
  const problems: string[] = [];
  const started = performance.now();
  const result = await send(baseUrl, scenario);
  const ms = (performance.now() - started).toFixed(0);
  if (result.status !== scenario.status) {
    problems.push(`status ${result.status}, expected ${scenario.status}`);
  }
  // The trees to wait for before printing: [service, trace id] per local root.
  const trees: [ServiceName, string][] = [];
  let traceId: string | undefined;
  let spans: SpanRecord[] = [];
  let queries: SpanRecord[] = [];
  if (scenario.traced) {
    const server = (
      await waitFor(() =>
        logs.gateway.takeServerRoots(1, (s) => s.attributes['url.path'] === scenario.path),
      )
    )?.[0];
    if (server === undefined) {
      problems.push(`no gateway server span for ${scenario.path}`);
    } else {
      traceId = server.traceId;
      trees.push(['gateway', traceId]);
      spans = logs.gateway.all().filter((s) => s.traceId === traceId);
      const recorded = server.attributes['http.response.status_code'];
      if (recorded !== scenario.status) {
        problems.push(`the server span recorded status ${String(recorded)}`);
      }
    }
  }
  if (scenario.catalogCalls !== undefined) {
    const calls = scenario.catalogCalls;
    const servers = (await waitFor(() => logs.catalog.takeServerRoots(calls, () => true))) ?? [];
    for (const s of servers) trees.push(['catalog', s.traceId]);
    problems.push(...crossServiceProblems(traceId, calls, spans, servers));
    queries = await databaseSpans(logs.catalog, servers);
    if (queries.length < servers.length) {
      problems.push(
        `${queries.length} PostgreSQL query spans in the catalog for ${servers.length} calls (the pg integration traces each query)`,
      );
    }
  }
  const problem = scenario.check?.(result, spans);
  if (problem) problems.push(problem);

  console.log(`   → ${result.status} in ${ms} ms${traceId ? `, trace ${traceId}` : ''}`);
  const printed = await waitFor(
    () =>
      trees.every(
        ([service, id]) =>
          output[service].treeCount(id) >=
          trees.filter(([sv, t]) => sv === service && t === id).length,
      ) || undefined,
  );
  if (!printed) problems.push('a trace tree was not printed');
  output.gateway.flush();
  output.catalog.flush();
  if (scenario.catalogCalls !== undefined && problems.length === 0) {
    console.log(
      `   ✓ one trace across both services: the catalog's ${scenario.catalogCalls} server spans carry trace ${traceId} and are children of the gateway's client spans`,
    );
    console.log(
      `   ✓ the catalog's database: ${queries.length} PostgreSQL query span(s), ${[...new Set(queries.map((q) => q.name))].join(', ')}`,
    );
  }
  return problems;
}

/**
 * The PostgreSQL query spans (the pg integration's) under each of the catalog's server spans:
 * one query per call, in the same trace as the call. Waits for them: the exporter writes each trace
 * as it ends.
 */
async function databaseSpans(log: SpanLog, servers: SpanRecord[]): Promise<SpanRecord[]> {
  const traces = new Set(servers.map((s) => s.traceId));
  const find = (): SpanRecord[] =>
    log.all().filter(
      (s) =>
        traces.has(s.traceId) &&
        s.kind === 'client' &&
        s.attributes['db.system.name'] === 'postgresql' &&
        // Queries, not the pool's new connections (`connect postgres` spans).
        s.attributes['db.query.summary'] !== undefined,
    );
  return (await waitFor(() => (find().length >= servers.length ? find() : undefined))) ?? find();
}

/** The catalog's server spans must continue the gateway's trace, under its client spans. */
function crossServiceProblems(
  traceId: string | undefined,
  calls: number,
  gatewaySpans: SpanRecord[],
  catalogServers: SpanRecord[],
): string[] {
  const problems: string[] = [];
  const clients = gatewaySpans.filter((s) => s.kind === 'client');
  const clientIds = new Set(clients.map((s) => s.spanId));
  if (clients.length !== calls) {
    problems.push(`${clients.length} client spans in the gateway, expected ${calls}`);
  }
  if (catalogServers.length !== calls) {
    problems.push(`${catalogServers.length} catalog server spans, expected ${calls}`);
  }
  for (const server of catalogServers) {
    const service = server.resource.attributes['service.name'];
    if (service !== 'catalog') problems.push(`a catalog span names service ${String(service)}`);
    if (server.traceId !== traceId) {
      problems.push(
        `the catalog's server span is in trace ${server.traceId}, not the gateway's ${traceId}`,
      );
    } else if (!server.parentIsRemote || !clientIds.has(server.parentSpanId ?? '')) {
      problems.push(`catalog span ${server.spanId} is not a child of a gateway client span`);
    }
  }
  return problems;
}

// Never hang: whatever happens, exit (the 'exit' handler in run() kills the services).
const watchdog = setTimeout(() => {
  console.error(`\ndemo: not done after ${DEADLINE_MS} ms, giving up`);
  process.exit(1);
}, DEADLINE_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const failures = await run();
clearTimeout(watchdog);
if (failures.length > 0) {
  console.log(`\ndemo: ${failures.length} problem(s):`);
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
console.log(
  '\ndemo: every request answered as expected, and the cross-service request was one trace.',
);
process.exit(0);
