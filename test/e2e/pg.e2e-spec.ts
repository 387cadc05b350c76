import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  type INestApplication,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import request from 'supertest';
import { Column, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { waitForTrace } from '../../lib/testing/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { generatePrismaClient } from '../fixtures/prisma-client.js';
import { startPostgres, type DatabaseServer } from '../fixtures/postgres-server.js';
import { needsServices } from '../fixtures/system-services.js';

// A Nest app on Express and Fastify querying a real PostgreSQL through pg (a Pool) and
// through TypeORM's pg driver: the db spans sit under the request's @Traced() service span,
// with their attributes, and no bound value or literal secret anywhere.

/** Bound parameters the app sends: never in a span. */
const SECRET_EMAIL = 'carol.hidden@example.org';
/** A literal in the statement itself: replaced by ? unless queryText is 'raw'. */
const LITERAL_PASSWORD = 'pw-literal-in-sql-7731';

let server: DatabaseServer;

/** The app's pg pool, closed with the app. */
@Injectable()
class Database implements OnApplicationShutdown {
  readonly pool = new Pool({ connectionString: server.url, max: 2 });
  async onApplicationShutdown(): Promise<void> {
    let open = this.pool.totalCount;
    const closed = new Promise<void>((resolve) => {
      if (open === 0) resolve();
      this.pool.on('remove', () => --open === 0 && resolve());
    });
    await this.pool.end();
    await closed;
  }
}

@Injectable()
class UsersService {
  constructor(@Inject(Database) private readonly db: Database) {}

  @Traced()
  async findByEmail(): Promise<unknown[]> {
    const { rows } = await this.db.pool.query('SELECT id, email FROM users WHERE email = $1', [
      SECRET_EMAIL,
    ]);
    await this.db.pool.query(
      `SELECT count(*) AS n FROM users WHERE password = '${LITERAL_PASSWORD}'`,
    );
    return rows;
  }
}

@Controller('users')
class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  find(): Promise<unknown[]> {
    return this.users.findByEmail();
  }
}

function pgAppModule(tracing: TracingModuleOptions = {}): Type<unknown> {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'pg-e2e', exporters: [{ type: 'memory' }], ...tracing }),
    ],
    controllers: [UsersController],
    providers: [Database, UsersService],
  })
  class PgAppModule {}
  return PgAppModule;
}

@Entity('accounts')
class Account {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ type: 'text' })
  plan!: string;
}

@Injectable()
class AccountsService {
  constructor(@InjectRepository(Account) private readonly accounts: Repository<Account>) {}

  @Traced()
  async planOf(): Promise<string | undefined> {
    await this.accounts.upsert({ email: SECRET_EMAIL, plan: 'pro' }, ['email']);
    const account = await this.accounts.findOneBy({ email: SECRET_EMAIL });
    return account?.plan;
  }
}

@Controller('accounts')
class AccountsController {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {}

  @Get()
  async plan(): Promise<{ plan: string | undefined }> {
    return { plan: await this.accounts.planOf() };
  }
}

function typeOrmAppModule(): Type<unknown> {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'typeorm-e2e', exporters: [{ type: 'memory' }] }),
      TypeOrmModule.forRoot({
        type: 'postgres',
        host: server.host,
        port: server.port,
        username: server.user,
        password: server.password,
        database: server.database,
        entities: [Account],
        synchronize: true,
        logging: false,
      }),
      TypeOrmModule.forFeature([Account]),
    ],
    controllers: [AccountsController],
    providers: [AccountsService],
  })
  class TypeOrmAppModule {}
  return TypeOrmAppModule;
}

/** The generated client's surface this test uses (test/fixtures/prisma/schema.prisma). */
interface PrismaMembers {
  member: {
    upsert(args: {
      where: { email: string };
      create: { email: string; name: string };
      update: { name: string };
    }): Promise<unknown>;
    findUnique(args: { where: { email: string } }): Promise<{ name: string } | null>;
  };
  $disconnect(): Promise<void>;
}

let PrismaClient: new (options: { adapter: PrismaPg }) => PrismaMembers;

/** Prisma 7 on the pg driver adapter: its queries go through the app's pg Pool. */
@Injectable()
class PrismaService implements OnApplicationShutdown {
  readonly client = new PrismaClient({ adapter: new PrismaPg({ connectionString: server.url }) });
  onApplicationShutdown(): Promise<void> {
    return this.client.$disconnect();
  }
}

@Injectable()
class MembersService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  @Traced()
  async nameOf(): Promise<string | undefined> {
    await this.prisma.client.member.upsert({
      where: { email: SECRET_EMAIL },
      create: { email: SECRET_EMAIL, name: 'Carol' },
      update: { name: 'Carol' },
    });
    return (await this.prisma.client.member.findUnique({ where: { email: SECRET_EMAIL } }))?.name;
  }
}

@Controller('members')
class MembersController {
  constructor(@Inject(MembersService) private readonly members: MembersService) {}

  @Get()
  async name(): Promise<{ name: string | undefined }> {
    return { name: await this.members.nameOf() };
  }
}

function prismaAppModule(): Type<unknown> {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'prisma-e2e', exporters: [{ type: 'memory' }] }),
    ],
    controllers: [MembersController],
    providers: [PrismaService, MembersService],
  })
  class PrismaAppModule {}
  return PrismaAppModule;
}

const dbSpans = (spans: readonly ReadableSpan[]) =>
  spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');

const everything = (spans: readonly ReadableSpan[]) =>
  JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
    })),
  );

describe('pg in a Nest app', needsServices('postgres'), () => {
  beforeAll(async () => {
    server = await startPostgres();
    const setup = new Client({ connectionString: server.url });
    await setup.connect();
    await setup.query('CREATE TABLE users (id serial PRIMARY KEY, email text, password text)');
    await setup.query('INSERT INTO users (email, password) VALUES ($1, $2)', [
      SECRET_EMAIL,
      LITERAL_PASSWORD,
    ]);
    // Prisma's schema engine (migrations) is not fetched offline: the table is made here.
    await setup.query(
      'CREATE TABLE members (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text NOT NULL)',
    );
    await setup.end();
    ({ PrismaClient } = (await import(await generatePrismaClient())) as {
      PrismaClient: typeof PrismaClient;
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication | undefined;

    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    async function get(module: Type<unknown>, path: string) {
      const started = await startApp(module, platform);
      app = started.app;
      const spans = app.get(InMemorySpanExporter);
      spans.reset();
      const res = await request(started.url).get(path).expect(200);
      const trace = await waitForTrace(spans, {
        span: (s) => s.kind === SpanKind.SERVER && s.name === `GET ${path}`,
      });
      return { res, trace, spans };
    }

    it('server -> @Traced() service -> SELECT users, attributed, no bound value or literal secret', async () => {
      const { res, trace, spans } = await get(pgAppModule(), '/users');
      expect(res.body).toEqual([{ id: 1, email: SECRET_EMAIL }]);
      const root = trace.root;
      expect(root).toMatchObject({ kind: SpanKind.SERVER, name: 'GET /users' });
      const service = trace.spans.find((s) => s.name === 'UsersService.findByEmail')!;
      expect(service.parentSpanId).toBe(root.spanId);
      const queries = dbSpans(trace.spans).filter(
        (s) => s.attributes['db.operation.name'] !== 'connect',
      );
      expect(queries.map((s) => s.name)).toEqual(['SELECT users', 'SELECT users']);
      for (const span of dbSpans(trace.spans)) {
        expect(span.parentSpanId).toBe(service.spanId);
        expect(span.kind).toBe(SpanKind.CLIENT);
      }
      expect(queries[0]!.attributes).toEqual({
        'db.system.name': 'postgresql',
        'db.namespace': server.database,
        'db.operation.name': 'SELECT',
        'db.collection.name': 'users',
        'db.query.summary': 'SELECT users',
        'db.query.text': 'SELECT id, email FROM users WHERE email = $1',
        'server.address': '127.0.0.1',
        'server.port': server.port,
      });
      expect(queries[1]!.attributes['db.query.text']).toBe(
        'SELECT count(*) AS n FROM users WHERE password = ?',
      );
      // The response carries the email; no exported span does.
      const all = everything(spans.getFinishedSpans());
      expect(all).not.toContain(SECRET_EMAIL);
      expect(all).not.toContain(LITERAL_PASSWORD);
      expect(all).not.toContain(server.password);
    });

    it("queryText: 'raw' keeps the statement as written (still no bound value)", async () => {
      const { trace } = await get(pgAppModule({ integrations: { queryText: 'raw' } }), '/users');
      const texts = dbSpans(trace.spans).map((s) => s.attributes['db.query.text']);
      expect(texts).toContain(
        `SELECT count(*) AS n FROM users WHERE password = '${LITERAL_PASSWORD}'`,
      );
      expect(everything(trace.spans)).not.toContain(SECRET_EMAIL);
    });

    it('integrations: { pg: false } removes the db spans, and pg is unwrapped', async () => {
      const { trace, spans } = await get(pgAppModule({ integrations: { pg: false } }), '/users');
      expect(trace.spans.map((s) => s.name)).toEqual(['GET /users', 'UsersService.findByEmail']);
      expect(dbSpans(spans.getFinishedSpans())).toEqual([]);
      expect((Client.prototype.query as { name: string }).name).toBe('query');
      expect(
        Object.getOwnPropertySymbols(Client.prototype.query).map((s) => s.description),
      ).toEqual([]);
    });

    it('TypeORM (pg driver) through TypeOrmModule: its queries under the request', async () => {
      const { res, trace, spans } = await get(typeOrmAppModule(), '/accounts');
      expect(res.body).toEqual({ plan: 'pro' });
      const service = trace.spans.find((s) => s.name === 'AccountsService.planOf')!;
      expect(service.parentSpanId).toBe(trace.root.spanId);
      const queries = dbSpans(trace.spans).filter(
        (s) => s.attributes['db.operation.name'] !== 'connect',
      );
      // An upsert, then the lookup: each a span under the service, values bound, never shown.
      expect(queries.map((s) => s.name)).toEqual(['INSERT accounts', 'SELECT accounts']);
      expect(queries.every((s) => s.parentSpanId === service.spanId)).toBe(true);
      expect(queries[0]!.attributes['db.query.text']).toMatch(
        /^INSERT INTO "accounts"\("email", "plan"\) VALUES \(\$1, \$2\) ON CONFLICT/,
      );
      expect(queries[1]!.attributes['db.query.text']).toMatch(
        /^SELECT .* FROM "accounts" "Account" WHERE \(\("Account"."email" = \$1\)\) LIMIT \?$/,
      );
      expect(everything(spans.getFinishedSpans())).not.toContain(SECRET_EMAIL);
    });

    it('Prisma 7 with @prisma/adapter-pg: its queries under the request', async () => {
      const { res, trace, spans } = await get(prismaAppModule(), '/members');
      expect(res.body).toEqual({ name: 'Carol' });
      const service = trace.spans.find((s) => s.name === 'MembersService.nameOf')!;
      expect(service.parentSpanId).toBe(trace.root.spanId);
      const queries = dbSpans(trace.spans).filter(
        (s) => s.attributes['db.operation.name'] !== 'connect',
      );
      // An upsert and a lookup, schema-qualified and quoted; no transaction around either.
      expect(queries.map((s) => s.name)).toEqual([
        'INSERT public.members',
        'SELECT public.members',
      ]);
      expect(queries.every((s) => s.parentSpanId === service.spanId)).toBe(true);
      expect(queries[1]!.attributes).toMatchObject({
        'db.collection.name': 'public.members',
        'db.namespace': server.database,
        'server.port': server.port,
      });
      expect(queries[1]!.attributes['db.query.text']).toMatch(
        /^SELECT .* FROM "public"."members" WHERE \("public"."members"."email" = \$1 AND \?=\?\) LIMIT \$2 OFFSET \$3$/,
      );
      expect(everything(spans.getFinishedSpans())).not.toContain(SECRET_EMAIL);
    });
  });

  it('every app closed: pg is as it was', () => {
    expect(Object.getOwnPropertySymbols(Client.prototype.query)).toEqual([]);
    expect(Object.getOwnPropertySymbols(Client.prototype.connect)).toEqual([]);
  });
});
