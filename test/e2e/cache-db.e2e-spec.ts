import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { waitForTrace } from '../../lib/testing/index.js';
import { exportedText } from '../fixtures/integration-app.js';
import { startMariaDb, type DatabaseServer } from '../fixtures/mariadb-server.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { startRedis, type RedisServer } from '../fixtures/redis-server.js';
import { needsServices } from '../fixtures/system-services.js';

// A Nest app whose @Traced() service talks to a real Redis (ioredis and node-redis) and a real
// MariaDB (mysql2 pool): the integrations' spans hang under the service span, values never
// leave the process, and `integrations: { <name>: false }` removes them.

const IOREDIS = Symbol('ioredis');
const NODE_REDIS = Symbol('node-redis');
const MYSQL = Symbol('mysql2 pool');

const connectNodeRedis = (url: string) => createClient({ url });
type NodeRedis = ReturnType<typeof connectNodeRedis>;

@Injectable()
class Store {
  constructor(
    @Inject(IOREDIS) private readonly io: Redis,
    @Inject(NODE_REDIS) private readonly node: NodeRedis,
    @Inject(MYSQL) private readonly pool: mysql.Pool,
  ) {}

  @Traced()
  async ioredis(): Promise<string | null> {
    await this.io.set('session:1', 's3cret-token');
    await this.io.multi().incr('visits').expire('visits', 60).exec();
    return this.io.get('session:1');
  }

  @Traced()
  async nodeRedis(): Promise<string | null> {
    await this.node.set('session:1', 's3cret-token');
    await this.node.multi().incr('visits').expire('visits', 60).execAsPipeline();
    return this.node.get('session:1');
  }

  @Traced()
  async redisFailure(): Promise<void> {
    await this.io.set('counter:text', 'abc');
    await this.node.incr('counter:text');
  }

  @Traced()
  async mysql(token: string): Promise<unknown> {
    const [rows] = await this.pool.execute('SELECT id FROM users WHERE token = ?', [token]);
    return rows;
  }

  @Traced()
  async mysqlFailure(): Promise<void> {
    await this.pool.query('SELECT * FROM missing_table WHERE token = ?', ['bound-secret-2']);
  }
}

@Controller()
class StoreController {
  constructor(private readonly store: Store) {}

  @Get('ioredis')
  async ioredis() {
    return { value: await this.store.ioredis() };
  }

  @Get('node-redis')
  async nodeRedis() {
    return { value: await this.store.nodeRedis() };
  }

  @Get('redis-failure')
  redisFailure() {
    return this.store.redisFailure();
  }

  @Get('mysql/:token')
  async mysql(@Param('token') token: string) {
    return { rows: await this.store.mysql(token) };
  }

  @Get('mysql-failure')
  mysqlFailure() {
    return this.store.mysqlFailure();
  }
}

interface Clients {
  io: Redis;
  node: NodeRedis;
  pool: mysql.Pool;
}

function storeModule(clients: Clients, options: TracingModuleOptions = {}): Type<unknown> {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'store', exporters: [{ type: 'memory' }], ...options }),
    ],
    controllers: [StoreController],
    providers: [
      Store,
      { provide: IOREDIS, useValue: clients.io },
      { provide: NODE_REDIS, useValue: clients.node },
      { provide: MYSQL, useValue: clients.pool },
    ],
  })
  class StoreAppModule {}
  return StoreAppModule;
}

const clientSpans = (spans: readonly ReadableSpan[]) =>
  spans.filter((s) => s.kind === SpanKind.CLIENT);

describe(
  'database and cache integrations in a Nest app, against real Redis and MariaDB',
  needsServices(['redis-server', 'mariadbd']),
  () => {
    let redis: RedisServer;
    let mariadb: DatabaseServer;
    let clients: Clients;

    beforeAll(async () => {
      [redis, mariadb] = await Promise.all([startRedis(), startMariaDb()]);
      const io = new Redis({ host: redis.host, port: redis.port, db: 1 });
      const node = connectNodeRedis(`redis://${redis.host}:${redis.port}/1`);
      await node.connect();
      const login = {
        host: mariadb.host,
        port: mariadb.port,
        user: mariadb.user,
        password: mariadb.password,
        database: mariadb.database,
      };
      const setup = await mysql.createConnection(login);
      await setup.query('CREATE TABLE users (id INT PRIMARY KEY, token VARCHAR(64))');
      await setup.query("INSERT INTO users VALUES (1, 'bound-secret-1')");
      await setup.end();
      // Connects on the first request, as an app's pool does: its handshake (MariaDB) is seen.
      const pool = mysql.createPool({ ...login, connectionLimit: 2 });
      clients = { io, node, pool };
    }, 120_000);

    afterAll(async () => {
      clients?.io.disconnect();
      if (clients?.node.isOpen) clients.node.destroy();
      await clients?.pool.end();
      await Promise.all([redis?.stop(), mariadb?.stop()]);
    });

    describe.each(PLATFORMS)('on %s', (platform) => {
      let app: INestApplication | undefined;
      let url: string;
      let spans: InMemorySpanExporter;

      async function boot(options: TracingModuleOptions = {}): Promise<void> {
        ({ app, url } = await startApp(storeModule(clients, options), platform));
        spans = app.get(InMemorySpanExporter);
      }

      afterEach(async () => {
        await app?.close();
        app = undefined;
      });

      /** The request's trace: server span -> service span -> the client spans. */
      async function traceOf(minSpans: number) {
        const trace = await waitForTrace(spans, { span: { kind: SpanKind.SERVER }, minSpans });
        const server = trace.root;
        const service = trace.spans.find(
          (s) => s.kind === SpanKind.INTERNAL && s.parentSpanId === server.spanId,
        )!;
        expect(service).toBeDefined();
        return { server, service, spans: trace.spans };
      }

      it('ioredis: command spans under the service span, the stored secret nowhere', async () => {
        await boot();
        const res = await request(url).get('/ioredis').expect(200);
        expect(res.body).toEqual({ value: 's3cret-token' });
        // server, service, SET, MULTI (+ INCR, EXPIRE), GET
        const { service, spans: all } = await traceOf(7);
        const db = clientSpans(all);
        const direct = db.filter((s) => s.parentSpanId === service.spanId);
        expect(direct.map((s) => s.name)).toEqual(['SET', 'MULTI', 'GET']);
        const multi = direct[1]!;
        expect(multi.attributes['db.operation.batch.size']).toBe(2);
        expect(
          db
            .filter((s) => s.parentSpanId === multi.spanId)
            .map((s) => s.attributes['db.query.text']),
        ).toEqual(['INCR visits', 'EXPIRE visits ?']);
        expect(direct[0]!.attributes).toEqual({
          'db.system.name': 'redis',
          'db.namespace': '1',
          'db.operation.name': 'SET',
          'db.query.text': 'SET session:1 ?',
          'server.address': '127.0.0.1',
          'server.port': redis.port,
        });
        expect(exportedText(all)).not.toContain('s3cret');
      });

      it('node-redis: command spans and a pipeline batch, the stored secret nowhere', async () => {
        await boot();
        await request(url).get('/node-redis').expect(200, { value: 's3cret-token' });
        const { service, spans: all } = await traceOf(7);
        const db = clientSpans(all);
        const direct = db.filter((s) => s.parentSpanId === service.spanId);
        expect(direct.map((s) => s.name)).toEqual(['SET', 'PIPELINE', 'GET']);
        expect(direct.map((s) => s.attributes['db.query.text'])).toEqual([
          'SET session:1 ?',
          undefined,
          'GET session:1',
        ]);
        expect(db.filter((s) => s.parentSpanId === direct[1]!.spanId)).toHaveLength(2);
        expect(exportedText(all)).not.toContain('s3cret');
      });

      it('mysql2: a statement span under the service span, the bound parameter nowhere', async () => {
        await boot();
        await request(url)
          .get('/mysql/bound-secret-1')
          .expect(200, { rows: [{ id: 1 }] });
        const { service, spans: all } = await traceOf(3);
        const [statement, ...rest] = clientSpans(all);
        expect(rest).toEqual([]);
        expect(statement!.parentSpanId).toBe(service.spanId);
        expect(statement!.name).toBe('SELECT users');
        expect(statement!.attributes).toEqual({
          'db.system.name': 'mariadb',
          'db.namespace': mariadb.database,
          'db.operation.name': 'SELECT',
          'db.collection.name': 'users',
          'db.query.summary': 'SELECT users',
          'db.query.text': 'SELECT id FROM users WHERE token = ?',
          'server.address': '127.0.0.1',
          'server.port': mariadb.port,
        });
        // The server span records the route, not the raw path; the value is in no db span.
        expect(exportedText(clientSpans(all))).not.toContain('bound-secret-1');
      });

      it('failures end the client spans with error.type and the server status', async () => {
        await boot();
        await request(url).get('/mysql-failure').expect(500);
        const mysqlTrace = await traceOf(3);
        const [failed] = clientSpans(mysqlTrace.spans);
        expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
        expect(failed!.attributes['error.type']).toBe('ER_NO_SUCH_TABLE');
        expect(failed!.attributes['db.response.status_code']).toBe('1146');
        expect(failed!.attributes['db.query.text']).toBe(
          'SELECT * FROM missing_table WHERE token = ?',
        );
        expect(exportedText(mysqlTrace.spans)).not.toContain('bound-secret-2');
        spans.reset();
        await request(url).get('/redis-failure').expect(500);
        const redisTrace = await traceOf(4);
        const incr = clientSpans(redisTrace.spans).find((s) => s.name === 'INCR')!;
        expect(incr.parentSpanId).toBe(redisTrace.service.spanId);
        expect(incr.status.code).toBe(SpanStatusCode.ERROR);
        expect(incr.attributes['error.type']).toBe('ERR');
      });

      it('integrations: { <name>: false } removes their spans', async () => {
        await boot({ integrations: { ioredis: false, redis: false, mysql2: false } });
        await request(url).get('/ioredis').expect(200);
        await request(url).get('/node-redis').expect(200);
        await request(url).get('/mysql/bound-secret-1').expect(200);
        const all = await spans.waitForSpans(6);
        expect(all.filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(3);
        expect(clientSpans(spans.getFinishedSpans())).toEqual([]);
      });
    });
  },
);
