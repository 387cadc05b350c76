import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSink, type SinkSpan } from '../fixtures/otlp-sink.js';
import { startPostgres, type DatabaseServer } from '../fixtures/postgres-server.js';
import { codeBlockStartingWith, README_COMPILER_OPTIONS } from '../fixtures/readme-blocks.js';
import { needsServices } from '../fixtures/system-services.js';

// The README's worked example of an OpenTelemetry instrumentation (instrumentation-pg),
// run as written: its three files are the fixtures in test/fixtures/readme/otel-pg/, compiled
// with TypeScript as a user's ESM app would be and started with plain `node main.js` (the
// import order in main.ts is what makes pg's spans appear), against a throwaway PostgreSQL,
// exporting OTLP/HTTP to a local sink.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECTION = '## Using OpenTelemetry libraries with nestjs-tracing';
const FIXTURE_DIR = join(ROOT, 'test/fixtures/readme/otel-pg');
const OUT_DIR = join(ROOT, 'test/artifacts/readme-otel-pg');
/** Each fixture file, by the first line of its README block. */
const FILES = {
  'instrumentation.ts': '// instrumentation.ts',
  'main.ts': '// main.ts',
  'app.module.ts': '// app.module.ts',
} as const;

describe('README: OpenTelemetry libraries worked example', () => {
  it.each(Object.entries(FILES))(
    'quotes %s exactly as the fixture this test runs',
    (file, first) => {
      expect(codeBlockStartingWith(first, SECTION)).toBe(
        readFileSync(join(FIXTURE_DIR, file), 'utf8'),
      );
    },
  );
});

/**
 * Compiles the fixtures into OUT_DIR (under the repository, whose package.json makes them
 * ESM and resolves `nestjs-tracing` to the built package); returns the diagnostics' codes.
 */
function compileExample(): number[] {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const program = ts.createProgram([join(FIXTURE_DIR, 'main.ts')], {
    ...README_COMPILER_OPTIONS,
    rootDir: FIXTURE_DIR,
    outDir: OUT_DIR,
  });
  const emitted = program.emit();
  return [
    ...new Set([...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => d.code)),
  ];
}

interface RunningApp {
  readonly url: string;
  output(): string;
  /** SIGTERM (the example's enableShutdownHooks flushes), then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node main.js` with the example's environment; resolves once it printed its URL. */
async function startExample(env: NodeJS.ProcessEnv): Promise<RunningApp> {
  const child: ChildProcess = spawn(process.execPath, [join(OUT_DIR, 'main.js')], {
    cwd: OUT_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "Listening on" within 30 s')), 30_000);
      const check = () => {
        const match = /^Listening on (http:\/\/\S+)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', check);
      child.once('error', reject);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`exited before it listened (${signal ?? `code ${code}`})`));
      });
    });
    return { url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`the example did not start: ${(error as Error).message}\n${output}`, {
      cause: error,
    });
  }
}

describe('README: OpenTelemetry libraries worked example, run', needsServices('postgres'), () => {
  let server: DatabaseServer | undefined;
  let sink: OtlpSink | undefined;
  let app: RunningApp | undefined;
  let diagnostics: number[] = [];

  beforeAll(async () => {
    diagnostics = compileExample();
    server = await startPostgres();
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL)');
      await client.query("INSERT INTO orders VALUES (42, 'shipped')");
    } finally {
      await client.end();
    }
    sink = await OtlpSink.start();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await sink?.close();
    await server?.stop();
  });

  it('compiles as written', () => {
    expect(diagnostics).toEqual([]);
  });

  it("traces the request: instrumentation-pg's query span under the @Traced() span, exported once", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing from the caller's environment may send the spans or the queries elsewhere.
    for (const name of Object.keys(env))
      if (name.startsWith('OTEL_') || name.startsWith('PG')) delete env[name];
    Object.assign(env, {
      PORT: '0',
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink!.baseUrl,
      PGHOST: server!.host,
      PGPORT: String(server!.port),
      PGUSER: server!.user,
      PGPASSWORD: server!.password,
      PGDATABASE: server!.database,
    });
    app = await startExample(env);
    const res = await fetch(`${app.url}/orders/42`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 42, status: 'shipped' });
    // The spans are still in the batch: the shutdown hook exports them before the exit.
    const exit = await app.stop();
    expect(exit.signal ?? exit.code).toBe('SIGTERM');
    const output = app.output();

    const spans = sink!.spans;
    expect(sink!.accepted.every((r) => r.path === '/v1/traces')).toBe(true);
    const byName = (name: string): SinkSpan => {
      const found = spans.filter((s) => s.name === name);
      if (found.length !== 1)
        throw new Error(`${found.length} spans named ${name} in ${spans.map((s) => s.name)}`);
      return found[0]!;
    };
    const request = byName('GET /orders/:id');
    const traced = byName('OrdersRepository.findOne');
    const query = byName(`pg.query:SELECT ${server!.database}`);
    expect(request.parentSpanId).toBeUndefined();
    expect(traced.traceId).toBe(request.traceId);
    expect(traced.parentSpanId).toBe(request.spanId);
    expect(query.traceId).toBe(request.traceId);
    expect(query.parentSpanId).toBe(traced.spanId);
    // One trace, every span of it from the 'orders' service; no second span for the query
    // (our pg integration would name it `SELECT orders`).
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([request.traceId]));
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['orders']));
    // The pool's checkout and the new connection it opened: instrumentation-pg's too.
    const checkout = byName('pg-pool.connect');
    expect(checkout.parentSpanId).toBe(traced.spanId);
    expect(byName('pg.connect').parentSpanId).toBe(checkout.spanId);
    expect(spans.map((s) => s.name).toSorted()).toEqual([
      'GET /orders/:id',
      'OrdersRepository.findOne',
      'pg-pool.connect',
      'pg.connect',
      `pg.query:SELECT ${server!.database}`,
    ]);
    // Nest's ERROR and WARN levels, Node's warnings.
    expect(output).not.toMatch(/\b(ERROR|WARN)\b|Warning/);
  }, 60_000);
});
