import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { HOST } from '../config.js';

const SCHEMA = `
  CREATE TABLE products (
    sku         text PRIMARY KEY,
    name        text NOT NULL,
    price_cents integer NOT NULL,
    stock       integer NOT NULL
  );
  INSERT INTO products (sku, name, price_cents, stock) VALUES
    ('BOOK-001', 'Distributed Tracing in Practice', 3990, 12),
    ('MUG-002', 'Trace-all-the-things mug', 1250, 40),
    ('PEN-003', 'Span pen', 199, 0);
`;

/**
 * The catalog's database: real PostgreSQL, with nothing to install. PGlite (Postgres compiled
 * to WebAssembly, in memory) is served on a TCP port of 127.0.0.1 by pglite-socket, and the
 * catalog talks to it with the `pg` client over the Postgres wire protocol, as it would to any
 * Postgres server: so nestjs-tracing's pg integration traces each query (a CLIENT span
 * `SELECT products` with `db.query.text`, literals and parameters left out).
 */
export class CatalogDatabase implements OnApplicationShutdown {
  private static readonly logger = new Logger('CatalogDatabase');

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly pool: pg.Pool,
  ) {}

  /** Starts Postgres (a few seconds: it runs initdb), listens, connects, creates the table. */
  static async start(): Promise<CatalogDatabase> {
    const started = performance.now();
    const db = await PGlite.create();
    await db.exec(SCHEMA);
    // Port 0: any free port. One connection at a time: PGlite runs one query at a time anyway.
    const server = new PGLiteSocketServer({ db, host: HOST, port: 0, maxConnections: 4 });
    await server.start();
    const [, port] = /:(\d+)$/.exec(server.getServerConn()) ?? [];
    const pool = new pg.Pool({
      host: HOST,
      port: Number(port),
      user: 'postgres',
      database: 'postgres',
      max: 4,
    });
    CatalogDatabase.logger.log(
      `PostgreSQL (PGlite) on ${HOST}:${port}, ready in ${Math.round(performance.now() - started)} ms`,
    );
    return new CatalogDatabase(db, server, pool);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await this.server.stop().catch(() => undefined);
    await this.db.close().catch(() => undefined);
  }
}
