import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { mysql2Integration } from '../../../lib/integrations/mysql2.integration.js';
import { exportedText, integrationApp } from '../../fixtures/integration-app.js';
import { startMariaDb, type DatabaseServer } from '../../fixtures/mariadb-server.js';
import { needsServices } from '../../fixtures/system-services.js';

describe('mysql2 integration, against a real MariaDB', needsServices('mariadbd'), () => {
  let server: DatabaseServer;
  let connection: mysqlPromise.Connection;
  const app = integrationApp([mysql2Integration]);
  const options = () => ({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
  });

  beforeAll(async () => {
    server = await startMariaDb();
    connection = await mysqlPromise.createConnection(options());
    await connection.query(
      'CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64), token VARCHAR(64))',
    );
    await connection.query("INSERT INTO users VALUES (1, 'ada', 'tok-a'), (2, 'bob', 'tok-b')");
  }, 120_000);

  afterAll(async () => {
    app.registered.unregister();
    await connection?.end();
    await server?.stop();
  });

  it('is installed and subscribed (mysql2 >= 3.20 publishes its channels)', () => {
    expect(mysql2Integration.installed()).toBe(true);
    expect(app.registered.enabled).toEqual(['mysql2']);
  });

  it('spans execute() under the caller, the statement as written, the bound value nowhere', async () => {
    const { result, parent, spans } = await app.inSpan(() =>
      connection.execute('SELECT id FROM users WHERE token = ?', ['tok-b']),
    );
    expect(result[0]).toEqual([{ id: 2 }]);
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.parentSpanId).toBe(parent.spanId);
    expect(span!.name).toBe('SELECT users');
    expect(span!.attributes).toMatchObject({
      // The handshake of this connection said MariaDB.
      'db.system.name': 'mariadb',
      'db.namespace': 'tracing',
      'db.operation.name': 'SELECT',
      'db.collection.name': 'users',
      'db.query.text': 'SELECT id FROM users WHERE token = ?',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    expect(exportedText(spans)).not.toContain('tok-b');
  });

  it('never records the values query() writes into the statement, even with queryText raw', async () => {
    const raw = integrationApp([mysql2Integration], { integrations: { queryText: 'raw' } });
    try {
      const { spans } = await raw.inSpan(async () => {
        await connection.query('SELECT name FROM users WHERE token = ?', ['tok-a']);
        await connection.query('SELECT name FROM users WHERE id = 1 -- plain');
      });
      expect(spans.map((s) => s.attributes['db.query.text'])).toEqual([
        'SELECT name FROM users WHERE token = ?',
        'SELECT name FROM users WHERE id = 1 -- plain',
      ]);
      expect(exportedText(spans)).not.toContain('tok-a');
    } finally {
      raw.registered.unregister();
    }
  });

  it('ends a failed statement once, with the server error code and number', async () => {
    const { spans } = await app.inSpan(async () => {
      await expect(connection.query('SELECT * FROM missing_table')).rejects.toThrow(
        /doesn't exist/,
      );
      await expect(
        connection.execute('SELECT * FROM missing_table WHERE id = ?', [1]),
      ).rejects.toThrow(/doesn't exist/);
    });
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('ER_NO_SUCH_TABLE');
      expect(span.attributes['db.response.status_code']).toBe('1146');
    }
  });

  it('ends callback and event-emitter calls once', async () => {
    const plain = mysql.createConnection(options());
    try {
      const { spans } = await app.inSpan(async () => {
        await new Promise<void>((resolve, reject) =>
          plain.query('SELECT 1 AS one', (error) => (error ? reject(error) : resolve())),
        );
        await new Promise<void>((resolve, reject) => {
          const rows: unknown[] = [];
          plain
            .query('SELECT id FROM users')
            .on('result', (row) => rows.push(row))
            .on('error', reject)
            .on('end', () => resolve());
        });
        await new Promise<void>((resolve) => plain.query('SELEC broken', () => resolve()));
      });
      expect(spans.map((s) => [s.name, s.status.code])).toEqual([
        ['SELECT', SpanStatusCode.UNSET],
        ['SELECT users', SpanStatusCode.UNSET],
        ['mariadb', SpanStatusCode.ERROR],
      ]);
      expect(spans[2]!.attributes['error.type']).toBe('ER_PARSE_ERROR');
    } finally {
      plain.destroy();
    }
  });

  it('gives a pooled query the parent of the caller that made it, even when it waited for a connection', async () => {
    const pool = mysqlPromise.createPool({ ...options(), connectionLimit: 1 });
    try {
      const one = app.inSpan(() => pool.query('SELECT SLEEP(0.2) AS s'));
      const two = app.inSpan(() => pool.query('SELECT 2 AS two'));
      await Promise.all([one, two]);
      const spans = app.exporter.getFinishedSpans();
      const parents = spans.filter((s) => s.name === 'parent');
      const queries = spans.filter((s) => s.kind === SpanKind.CLIENT);
      expect(queries).toHaveLength(2);
      expect(new Set(queries.map((q) => q.parentSpanId))).toEqual(
        new Set(parents.map((p) => p.spanId)),
      );
      for (const q of queries) {
        expect(q.traceId).toBe(parents.find((p) => p.spanId === q.parentSpanId)!.traceId);
      }
    } finally {
      await pool.end();
    }
  });

  it('traces nothing outside a span', async () => {
    app.exporter.reset();
    await connection.query('SELECT 1');
    expect(app.exporter.getFinishedSpans()).toEqual([]);
  });
});
