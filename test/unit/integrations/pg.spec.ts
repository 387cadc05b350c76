import { createRequire } from 'node:module';
import pg, { Client, DatabaseError, Pool, Query, type QueryResult } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { createSampler, type Sampler } from '../../../lib/core/samplers.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { runSuppressed } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import type { ReadableSpan } from '../../../lib/core/types.js';
import { createIntegrationHost } from '../../../lib/integrations/host.js';
import { INTEGRATIONS } from '../../../lib/integrations/index.js';
import { findPackage } from '../../../lib/integrations/package-lookup.js';
import { instrumentPg, pgIntegration } from '../../../lib/integrations/pg.integration.js';
import { IntegrationRegistry } from '../../../lib/integrations/registry.js';
import type { TracingModuleOptions } from '../../../lib/interfaces/tracing-module-options.interface.js';
import { startPostgres, type DatabaseServer } from '../../fixtures/postgres-server.js';
import { needsServices } from '../../fixtures/system-services.js';

// pg against a real PostgreSQL: every call form of Client#query traced through the wrapper
// the integration puts on the app's own pg, and taken off again.

const SECRET_EMAIL = 'alice.secret@example.org';
const SECRET_PASSWORD = 'hunter2-very-secret';

function app(options: TracingModuleOptions = {}, sampler?: Sampler) {
  const config = resolveTracingConfig({ serviceName: 'unit', ...options }, {});
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
    enabled: config.enabled,
    sampler,
  });
  return { tracer, exporter, host: createIntegrationHost(tracer, config) };
}

const dbSpans = (exporter: InMemorySpanExporter): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.attributes['db.system.name'] === 'postgresql');

/** pg-cursor when installed (it is not a dev dependency): its test is skipped otherwise. */
const Cursor: unknown = findPackage('pg-cursor')?.load();

/** Everything a span could show, as one string. */
const everything = (spans: readonly ReadableSpan[]) =>
  JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
    })),
  );

const ORIGINAL_QUERY = Client.prototype.query;
const ORIGINAL_CONNECT = Client.prototype.connect;

describe('pg integration: the package', () => {
  it('is in the integrations list, finds the installed pg 8 and loads the instance the app imports', () => {
    expect(INTEGRATIONS).toContain(pgIntegration);
    expect(pgIntegration.installed()).toBe(true);
    // ESM `import pg from 'pg'` and require('pg') are one instance: the one wrapped.
    const required = createRequire(import.meta.url)('pg') as typeof pg;
    expect(required.Client).toBe(Client);
  });

  it('wraps once, unwraps only its own wrapper, and never reads pg.native', () => {
    const hosts = { current: () => undefined };
    const getter = Object.getOwnPropertyDescriptor(pg, 'native');
    const undo = instrumentPg(pg, hosts);
    const wrapped = Client.prototype.query;
    expect(wrapped).not.toBe(ORIGINAL_QUERY);
    expect(wrapped.name).toBe(ORIGINAL_QUERY.name);
    // A second enable (another app, another copy of the library) changes nothing.
    const undoSecond = instrumentPg(pg, hosts);
    expect(Client.prototype.query).toBe(wrapped);
    undoSecond();
    expect(Client.prototype.query).toBe(wrapped);
    undo();
    expect(Client.prototype.query).toBe(ORIGINAL_QUERY);
    expect(Client.prototype.connect).toBe(ORIGINAL_CONNECT);
    // Someone else wrapped after us: unwrapping leaves theirs in place.
    const undoAgain = instrumentPg(pg, hosts);
    const theirs = function (this: unknown, ...args: unknown[]) {
      return (wrappedAgain as (...a: unknown[]) => unknown).apply(this, args);
    };
    const wrappedAgain = Client.prototype.query;
    Client.prototype.query = theirs as never;
    undoAgain();
    expect(Client.prototype.query).toBe(theirs);
    Client.prototype.query = ORIGINAL_QUERY;
    expect(Object.getOwnPropertyDescriptor(pg, 'native')).toEqual(getter);
  });
});

describe('pg integration against PostgreSQL', needsServices('postgres'), () => {
  let server: DatabaseServer;
  let registry: IntegrationRegistry;
  let traced: ReturnType<typeof app>;
  let unregister: () => void;
  let client: Client;
  let pool: Pool;

  beforeAll(async () => {
    server = await startPostgres();
    const setup = new Client({ connectionString: server.url });
    await setup.connect();
    await setup.query(
      'CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, password text NOT NULL)',
    );
    await setup.end();
    registry = new IntegrationRegistry([pgIntegration]);
    traced = app();
    const registered = registry.register(traced.host);
    if (registered.enabled[0] !== 'pg') throw new Error('the pg integration did not start');
    unregister = registered.unregister;
    client = new Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
    });
    await client.connect();
    pool = new Pool({ connectionString: server.url, max: 1 });
    traced.exporter.reset();
  }, 60_000);

  afterAll(async () => {
    unregister?.();
    await client?.end();
    await endPool(pool);
    await server?.stop();
  });

  afterEach(() => traced.exporter.reset());

  const inRequest = <T>(fn: () => Promise<T>) =>
    traced.tracer.startActiveSpan('request', async (span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    });

  it('traces a text query (promise): CLIENT span under the active one, named and attributed', async () => {
    const result = await inRequest(() =>
      client.query("SELECT count(*) FROM users WHERE email <> 'x'"),
    );
    expect(result.rows).toEqual([{ count: '0' }]);
    const [span] = dbSpans(traced.exporter);
    const request = traced.exporter.findSpan('request')!;
    expect(span).toMatchObject({
      name: 'SELECT users',
      kind: SpanKind.CLIENT,
      parentSpanId: request.spanId,
      traceId: request.traceId,
    });
    expect(span!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': server.database,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'users',
      'db.query.summary': 'SELECT users',
      'db.query.text': 'SELECT count(*) FROM users WHERE email <> ?',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('never records bound values: (text, values), config object, named statement', async () => {
    await inRequest(async () => {
      const inserted = await client.query(
        'INSERT INTO users (email, password) VALUES ($1, $2) RETURNING id',
        [SECRET_EMAIL, SECRET_PASSWORD],
      );
      expect(inserted.rows).toHaveLength(1);
      const byConfig = await client.query({
        text: 'SELECT id, email FROM users WHERE email = $1',
        values: [SECRET_EMAIL],
      });
      expect(byConfig.rows[0].email).toBe(SECRET_EMAIL);
      const named = await client.query({
        name: 'user-by-email',
        text: 'SELECT id FROM users WHERE email = $1',
        values: [SECRET_EMAIL],
      });
      expect(named.rowCount).toBe(1);
      // pg sends the named statement's text once; the span still has it.
      await client.query({
        name: 'user-by-email',
        text: 'SELECT id FROM users WHERE email = $1',
        values: ['nobody'],
      });
    });
    const spans = dbSpans(traced.exporter);
    expect(spans.map((s) => [s.name, s.attributes['db.query.text']])).toEqual([
      ['INSERT users', 'INSERT INTO users (email, password) VALUES ($1, $2) RETURNING id'],
      ['SELECT users', 'SELECT id, email FROM users WHERE email = $1'],
      ['SELECT users', 'SELECT id FROM users WHERE email = $1'],
      ['SELECT users', 'SELECT id FROM users WHERE email = $1'],
    ]);
    expect(everything(traced.exporter.getFinishedSpans())).not.toContain(SECRET_EMAIL);
    expect(everything(traced.exporter.getFinishedSpans())).not.toContain(SECRET_PASSWORD);
  });

  it('a literal password in the statement is replaced by ? (sanitized text, the default)', async () => {
    await inRequest(() =>
      client.query(`SELECT count(*) FROM users WHERE password = '${SECRET_PASSWORD}'`),
    );
    expect(dbSpans(traced.exporter)[0]!.attributes['db.query.text']).toBe(
      'SELECT count(*) FROM users WHERE password = ?',
    );
    expect(everything(traced.exporter.getFinishedSpans())).not.toContain(SECRET_PASSWORD);
  });

  it('callback forms end the span before the callback, which keeps its this and arguments', async () => {
    const calls: Array<{ error: unknown; rows: unknown; ended: number; self: unknown }> = [];
    await inRequest(
      () =>
        new Promise<void>((resolve) => {
          let pending = 3;
          function done(this: unknown, error: Error | null, result?: QueryResult) {
            calls.push({
              error,
              rows: result?.rows,
              ended: dbSpans(traced.exporter).length,
              self: this,
            });
            if (--pending === 0) resolve();
          }
          const returned = client.query('SELECT 1 AS one', done);
          expect(returned).toBeUndefined();
          client.query('SELECT $1::int AS two', [2], done);
          client.query({ text: 'SELECT 3 AS three', callback: done } as never);
        }),
    );
    expect(calls.map((c) => c.rows)).toEqual([[{ one: 1 }], [{ two: 2 }], [{ three: 3 }]]);
    expect(calls.map((c) => c.error)).toEqual([null, null, null]);
    // Each span had ended when its callback ran.
    expect(calls.map((c) => c.ended)).toEqual([1, 2, 3]);
    // pg calls the callback on its Query object; the wrapper keeps that.
    expect(calls.every((c) => c.self instanceof Query)).toBe(true);
  });

  it('a server error: error.type and db.response.status_code are its SQLSTATE, the app gets the same error', async () => {
    const error = await inRequest(() => client.query('SELECT * FROM missing_table')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).code).toBe('42P01');
    const [span] = dbSpans(traced.exporter);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['db.response.status_code']).toBe('42P01');
    expect(span!.attributes['error.type']).toBe('42P01');
    expect(span!.events[0]!.attributes!['exception.message']).toBe(
      'relation "missing_table" does not exist',
    );
  });

  it('a server error that quotes a bound value is recorded without it; the app sees it whole', async () => {
    const error = (await inRequest(() =>
      client.query('SELECT * FROM users WHERE id = $1', [SECRET_PASSWORD]),
    ).catch((e: unknown) => e)) as DatabaseError;
    expect(error.code).toBe('22P02');
    expect(error.message).toContain(SECRET_PASSWORD);
    const [span] = dbSpans(traced.exporter);
    expect(span!.attributes['db.response.status_code']).toBe('22P02');
    expect(span!.events[0]!.attributes!['exception.message']).toBe(
      'invalid input syntax for type integer: "?"',
    );
    expect(everything(traced.exporter.getFinishedSpans())).not.toContain(SECRET_PASSWORD);
  });

  it('callback error form, and the TypeError pg throws for a null query, unchanged', async () => {
    const error = await new Promise<Error>((resolve) =>
      inRequest(async () => client.query('SELEC 1', (e: Error) => resolve(e))),
    );
    expect((error as DatabaseError).code).toBe('42601');
    expect(() => client.query(null as never)).toThrow(
      'Client was passed a null or undefined query',
    );
    expect(dbSpans(traced.exporter).map((s) => s.attributes['error.type'])).toEqual(['42601']);
  });

  it('a transaction on a pooled client: BEGIN, statements, COMMIT in order under the request', async () => {
    await inRequest(async () => {
      const conn = await pool.connect();
      try {
        await conn.query('BEGIN');
        await conn.query('UPDATE users SET password = $1 WHERE email = $2', [
          'new-pass-value',
          SECRET_EMAIL,
        ]);
        await conn.query('DELETE FROM users WHERE email = $1', ['nobody@example.org']);
        await conn.query('COMMIT');
      } finally {
        conn.release();
      }
    });
    const request = traced.exporter.findSpan('request')!;
    const spans = dbSpans(traced.exporter).filter(
      (s) => s.attributes['db.operation.name'] !== 'connect',
    );
    expect(spans.map((s) => s.name)).toEqual(['BEGIN', 'UPDATE users', 'DELETE users', 'COMMIT']);
    expect(spans.every((s) => s.parentSpanId === request.spanId)).toBe(true);
    expect(everything(spans)).not.toContain('new-pass-value');
  });

  it('pool.query (promise and callback) is traced through the client it checks out', async () => {
    await inRequest(async () => {
      await pool.query('SELECT id FROM users WHERE email = $1', [SECRET_EMAIL]);
      await new Promise<void>((resolve, reject) =>
        pool.query('SELECT 1 AS one', (e) => (e ? reject(e) : resolve())),
      );
    });
    const request = traced.exporter.findSpan('request')!;
    const spans = dbSpans(traced.exporter).filter(
      (s) => s.attributes['db.operation.name'] !== 'connect',
    );
    expect(spans.map((s) => s.name)).toEqual(['SELECT users', 'SELECT']);
    expect(spans.every((s) => s.parentSpanId === request.spanId)).toBe(true);
  });

  it('a query that waited for a pooled client stays in its own trace, not the releaser’s', async () => {
    // max: 1, so the second request's checkout waits and is handed the client the first
    // releases, from the first request's async flow.
    const run = (name: string) =>
      traced.tracer.startActiveSpan(name, async (span) => {
        try {
          await pool.query('SELECT pg_sleep(0.05), $1::text AS who', [name]);
        } finally {
          span.end();
        }
      });
    await Promise.all([run('first'), run('second'), run('third')]);
    for (const name of ['first', 'second', 'third']) {
      const parent = traced.exporter.findSpan(name)!;
      const children = dbSpans(traced.exporter).filter(
        (s) => s.parentSpanId === parent.spanId && s.attributes['db.operation.name'] !== 'connect',
      );
      expect([name, ...children.map((s) => s.name)]).toEqual([name, 'SELECT']);
      expect(children[0]!.traceId).toBe(parent.traceId);
    }
  });

  it('a Submittable (Query): span ends on its end event, or on its error', async () => {
    await inRequest(
      () =>
        new Promise<void>((resolve, reject) => {
          const query = new Query('SELECT generate_series(1, 3) AS n');
          const returned = client.query(query);
          expect(returned).toBe(query);
          const rows: unknown[] = [];
          query.on('row', (row: unknown) => rows.push(row));
          query.on('end', () => {
            expect(rows).toHaveLength(3);
            expect(dbSpans(traced.exporter)).toHaveLength(1);
            resolve();
          });
          query.on('error', reject);
        }),
    );
    await inRequest(
      () =>
        new Promise<void>((resolve) => {
          const query = client.query(new Query('SELECT * FROM nowhere'));
          query.on('error', () => resolve());
        }),
    );
    const spans = dbSpans(traced.exporter);
    expect(spans.map((s) => [s.name, s.attributes['error.type']])).toEqual([
      ['SELECT', undefined],
      ['SELECT nowhere', '42P01'],
    ]);
    // The hooks are taken off the query once it ended.
    const query = new Query('SELECT 1');
    await new Promise<void>((resolve) => {
      client.query(query);
      query.on('end', () => resolve());
    });
    expect(Object.prototype.hasOwnProperty.call(query, 'handleReadyForQuery')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(query, 'handleError')).toBe(false);
  });

  // it.skipIf would be overridden by the suite's own skip option (needsServices).
  it('pg-cursor (when installed): one span from submit to close', async (ctx) => {
    if (Cursor === undefined) ctx.skip('pg-cursor is not installed');
    const Open = Cursor as new (
      text: string,
      values?: unknown[],
    ) => {
      read(n: number): Promise<unknown[]>;
      close(): Promise<void>;
    };
    await inRequest(async () => {
      const cursor = client.query(
        new Open('SELECT generate_series(1, 10) AS n WHERE $1', [true]) as never,
      ) as unknown as {
        read(n: number): Promise<unknown[]>;
        close(): Promise<void>;
      };
      expect(await cursor.read(4)).toHaveLength(4);
      expect(dbSpans(traced.exporter)).toHaveLength(0);
      await cursor.close();
    });
    expect(dbSpans(traced.exporter)).toHaveLength(1);
  });

  it('Client#connect gets a span; a refused connection records ECONNREFUSED without a server status', async () => {
    await inRequest(async () => {
      const other = new Client({ connectionString: server.url });
      await other.connect();
      await other.end();
      const refused = new Client({ host: '127.0.0.1', port: 1, user: 'x', database: 'nowhere' });
      await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
    const spans = dbSpans(traced.exporter);
    expect(spans.map((s) => s.name)).toEqual([`connect ${server.database}`, 'connect nowhere']);
    expect(spans[0]!.attributes).toMatchObject({
      'db.operation.name': 'connect',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(spans[1]!.attributes['error.type']).toBe('ECONNREFUSED');
    expect(spans[1]!.attributes['db.response.status_code']).toBeUndefined();
    // The connection string's password is nowhere.
    expect(everything(spans)).not.toContain(server.password);
  });

  it('records nothing inside the library’s own work', async () => {
    await runSuppressed(() => client.query('SELECT 1'));
    expect(dbSpans(traced.exporter)).toHaveLength(0);
  });

  it('an unsampled request: the query goes to pg untouched (no span, no hooks)', async () => {
    const dropped = app({}, createSampler('always_off'));
    const r = registry.register(dropped.host);
    try {
      await dropped.tracer.startActiveSpan('unsampled', async (span) => {
        const query = new Query('SELECT 1');
        const done = new Promise<void>((resolve) => query.on('end', () => resolve()));
        client.query(query);
        expect(Object.prototype.hasOwnProperty.call(query, 'handleReadyForQuery')).toBe(false);
        await done;
        span.end();
      });
    } finally {
      r.unregister();
    }
    expect(dbSpans(dropped.exporter)).toEqual([]);
  });

  it('queryText raw keeps the statement, false records none', async () => {
    for (const [queryText, expected] of [
      ['raw', "SELECT 'literal' AS v"],
      [false, undefined],
    ] as const) {
      // One registry per process, as in an app: a second app registers with it.
      const other = app({ integrations: { queryText } });
      const r = registry.register(other.host);
      await other.tracer.startActiveSpan('req', async (span) => {
        await client.query("SELECT 'literal' AS v");
        span.end();
      });
      r.unregister();
      const [span] = dbSpans(other.exporter);
      expect(span!.attributes['db.query.text']).toBe(expected);
    }
  });

  it('after unregistering, pg is as it was', async () => {
    unregister();
    expect(Client.prototype.query).toBe(ORIGINAL_QUERY);
    expect(Client.prototype.connect).toBe(ORIGINAL_CONNECT);
    await inRequest(() => client.query('SELECT 1'));
    expect(dbSpans(traced.exporter)).toHaveLength(0);
  });
});

/** pg-pool's end() resolves before its clients have closed: wait for each one's 'remove'. */
async function endPool(pool: Pool | undefined): Promise<void> {
  if (pool === undefined) return;
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}
