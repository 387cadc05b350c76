import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import {
  Args,
  Field,
  GraphQLModule,
  ID,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { integrationRegistry } from '../../lib/integrations/index.js';

// GraphQL through @nestjs/graphql 14 on graphql-js 17 (which publishes the graphql:* tracing
// channels): Apollo Server 5 on Express and on Fastify, Mercurius 16 on Fastify. Both
// servers peer on graphql 16; package.json overrides it with 17 and both run on it.

const SECRET = 's3cret-literal-9f2c';
const SECRET_VARIABLE = 'variable-secret-77ab';

@ObjectType()
class Post {
  @Field(() => ID) id!: string;
  @Field() title!: string;
}

@ObjectType()
class User {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [Post]) posts?: Post[];
}

@Injectable()
class UsersService {
  @Traced()
  async find(id: string): Promise<User | undefined> {
    await Promise.resolve();
    return id === 'missing' ? undefined : { id, name: `user ${id}` };
  }

  @Traced()
  async postsOf(userId: string): Promise<Post[]> {
    await Promise.resolve();
    return [{ id: `${userId}-p1`, title: 'first' }];
  }

  @Traced()
  async all(count: number): Promise<User[]> {
    await Promise.resolve();
    return Array.from({ length: count }, (_, i) => ({ id: String(i), name: `user ${i}` }));
  }
}

@Resolver(() => User)
class UsersResolver {
  constructor(private readonly service: UsersService) {}

  @Query(() => User, { nullable: true })
  user(@Args('id', { type: () => ID }) id: string): Promise<User | undefined> {
    return this.service.find(id);
  }

  @Query(() => [User])
  users(@Args('count', { type: () => Int }) count: number): Promise<User[]> {
    return this.service.all(count);
  }

  @Query(() => String, { nullable: true })
  fail(): string {
    throw new TypeError('resolver failed');
  }

  @Mutation(() => User)
  rename(@Args('id', { type: () => ID }) id: string, @Args('name') name: string): User {
    return { id, name };
  }

  @ResolveField(() => [Post])
  posts(@Parent() user: User): Promise<Post[]> {
    return this.service.postsOf(user.id);
  }
}

type Setup = 'apollo-express' | 'apollo-fastify' | 'mercurius-fastify';
const SETUPS: Setup[] = ['apollo-express', 'apollo-fastify', 'mercurius-fastify'];

interface Booted {
  app: INestApplication;
  url: string;
  spans: InMemorySpanExporter;
}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function boot(
  setup: Setup,
  options: TracingModuleOptions = {},
  instrument = false,
): Promise<Booted> {
  const graphql =
    setup === 'mercurius-fastify'
      ? GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
        })
      : GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true });
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'gql', exporters: [{ type: 'memory' }], ...options }),
      graphql,
    ],
    providers: [UsersService, UsersResolver],
  })
  class AppModule {}
  const adapter = setup === 'apollo-express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, {
    logger: false,
    // The collapse rule is switched on by the instrument; the resolver class is left to the
    // integration's spans.
    ...(instrument ? { instrument: createTracingInstrument({ exclude: [UsersResolver] }) } : {}),
  });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, spans: app.get(InMemorySpanExporter) };
}

/** Posts one GraphQL request and returns the response body and its trace's spans. */
async function post(
  booted: Booted,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{
  status: number;
  body: { data?: unknown; errors?: unknown[] };
  spans: ReadableSpan[];
}> {
  booted.spans.reset();
  const res = await fetch(`${booted.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  await expect
    .poll(() => booted.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length)
    .toBe(1);
  return { status: res.status, body, spans: booted.spans.getFinishedSpans() };
}

function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

function server(spans: ReadableSpan[]): ReadableSpan {
  const found = spans.filter((s) => s.kind === SpanKind.SERVER);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function graphqlSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.name.startsWith('graphql.') || /^(query|mutation)\b/.test(s.name));
}

describe.each(SETUPS)('GraphQL integration on %s', (setup) => {
  it('traces parse, validate and the operation; the server span gets the operation name and type; resolvers get no span by default', async () => {
    const booted = await boot(setup);
    expect(integrationRegistry.active()).toContain('graphql');
    const { status, body, spans } = await post(
      booted,
      `query GetUser { user(id: "${SECRET}") { id name } }`,
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({ user: { id: SECRET, name: `user ${SECRET}` } });

    const root = server(spans);
    expect(root.name).toBe('POST /graphql');
    expect(root.attributes).toMatchObject({
      'graphql.operation.name': 'GetUser',
      'graphql.operation.type': 'query',
    });
    const operation = one(spans, 'query GetUser');
    expect(operation.kind).toBe(SpanKind.INTERNAL);
    expect(operation.parentSpanId).toBe(root.spanId);
    expect(operation.traceId).toBe(root.traceId);
    expect(operation.attributes).toMatchObject({
      'graphql.operation.name': 'GetUser',
      'graphql.operation.type': 'query',
    });
    const document = operation.attributes['graphql.document'];
    expect(typeof document).toBe('string');
    expect(document).toContain('user(id: ?)');
    expect(document).toContain('GetUser');
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);

    const parse = one(spans, 'graphql.parse');
    const validate = one(spans, 'graphql.validate');
    expect(parse.parentSpanId).toBe(root.spanId);
    expect(validate.parentSpanId).toBe(root.spanId);

    // server -> operation -> @Traced() service span (no resolver span in between by default)
    const service = one(spans, 'UsersService.find');
    expect(service.parentSpanId).toBe(operation.spanId);
    expect(spans.some((s) => s.name === 'Query.user')).toBe(false);

    // The literal never appears in any span.
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain(SECRET);
  });

  it.skipIf(setup === 'mercurius-fastify')(
    'names an anonymous mutation by its type; variable values are never recorded',
    async () => {
      const booted = await boot(setup);
      const { body, spans } = await post(
        booted,
        'mutation ($id: ID!, $name: String!) { rename(id: $id, name: $name) { id name } }',
        { id: '7', name: SECRET_VARIABLE },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ rename: { id: '7', name: SECRET_VARIABLE } });
      const operation = one(spans, 'mutation');
      expect(operation.attributes['graphql.operation.type']).toBe('mutation');
      expect(operation.attributes['graphql.operation.name']).toBeUndefined();
      expect(operation.attributes['graphql.document']).toContain('rename(id: $id, name: $name)');
      expect(server(spans).attributes['graphql.operation.type']).toBe('mutation');
      for (const span of spans) {
        expect(JSON.stringify(span.attributes)).not.toContain(SECRET_VARIABLE);
      }
    },
  );

  // Mercurius 16 imports buildExecutionContext from graphql/execution/execute to check
  // variables; graphql 17 no longer has it, so on graphql 17 every request with variables
  // fails there (before graphql:execute). Fails (and then this test goes) once it works.
  it.runIf(setup === 'mercurius-fastify')(
    'Mercurius 16 on graphql 17: a request with variables fails inside Mercurius',
    async () => {
      const booted = await boot(setup);
      const { body, spans } = await post(booted, 'query Q($id: ID!) { user(id: $id) { id } }', {
        id: '1',
      });
      expect(body.errors).toEqual([{ message: 'buildExecutionContext is not a function' }]);
      expect(spans.some((s) => s.name === 'query Q')).toBe(false);
    },
  );

  it('with resolvers on: a span per field resolver, the service span under it, many siblings collapsed', async () => {
    const booted = await boot(setup, { integrations: { graphql: { resolvers: true } } }, true);
    const { body, spans } = await post(
      booted,
      'query Everyone { users(count: 12) { id posts { title } } }',
    );
    expect((body.data as { users: unknown[] }).users).toHaveLength(12);
    const root = server(spans);
    const operation = one(spans, 'query Everyone');
    expect(operation.parentSpanId).toBe(root.spanId);
    const users = one(spans, 'Query.users');
    expect(users.parentSpanId).toBe(operation.spanId);
    expect(users.attributes).toMatchObject({
      'graphql.field.name': 'users',
      'graphql.field.path': 'users',
      'graphql.field.type': '[User!]!',
      'graphql.parent.name': 'Query',
    });
    expect(one(spans, 'UsersService.all').parentSpanId).toBe(users.spanId);
    // Fields below the root that return a built-in scalar (id, title) get no span.
    expect(spans.some((s) => s.name === 'User.id' || s.name === 'Post.title')).toBe(false);

    // 12 User.posts resolvers, siblings under the operation (graphql runs a field's
    // children after its resolver returned, in the operation's context): the collapse keeps
    // the slowest 3 and sums the other 9 (with their service spans) into one span.
    const posts = spans.filter(
      (s) => s.name === 'User.posts' && s.attributes['nestjs.collapsed.count'] === undefined,
    );
    expect(posts).toHaveLength(3);
    for (const span of posts) {
      expect(span.parentSpanId).toBe(operation.spanId);
      expect(String(span.attributes['graphql.field.path'])).toMatch(/^users\.\d+\.posts$/);
      const service = spans.filter((s) => s.parentSpanId === span.spanId);
      expect(service.map((s) => s.name)).toEqual(['UsersService.postsOf']);
    }
    const collapsed = spans.find((s) => s.attributes['nestjs.collapsed.count'] !== undefined);
    expect(collapsed?.name).toBe('User.posts');
    expect(collapsed?.attributes['nestjs.collapsed.count']).toBe(9);
    expect(collapsed?.parentSpanId).toBe(operation.spanId);
  });

  it('records a resolver error on the operation (and the resolver) span', async () => {
    const booted = await boot(setup, { integrations: { graphql: { resolvers: true } } });
    const { body, spans } = await post(booted, 'query Broken { fail }');
    expect(body.errors).toHaveLength(1);
    const operation = one(spans, 'query Broken');
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation.attributes['error.type']).toBe('TypeError');
    const resolver = one(spans, 'Query.fail');
    expect(resolver.parentSpanId).toBe(operation.spanId);
    expect(resolver.status).toEqual({ code: SpanStatusCode.ERROR, message: 'resolver failed' });
    expect(resolver.attributes['error.type']).toBe('TypeError');
    expect(resolver.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('records syntax and validation errors on the parse and validate spans', async () => {
    const booted = await boot(setup);
    const syntax = await post(booted, `query Bad { user(id: "${SECRET}") {`);
    const parse = one(syntax.spans, 'graphql.parse');
    expect(parse.status.code).toBe(SpanStatusCode.ERROR);
    expect(parse.attributes['error.type']).toBe('GRAPHQL_PARSE_FAILED');
    expect(graphqlSpans(syntax.spans).map((s) => s.name)).toEqual(['graphql.parse']);

    const invalid = await post(booted, 'query Unknown { nope }');
    const validate = one(invalid.spans, 'graphql.validate');
    expect(validate.status.code).toBe(SpanStatusCode.ERROR);
    expect(validate.attributes).toMatchObject({
      'error.type': 'GRAPHQL_VALIDATION_FAILED',
      'graphql.validation.error_count': 1,
    });
    expect(invalid.spans.some((s) => s.name === 'query Unknown')).toBe(false);
  });

  it('`integrations: { graphql: false }` removes every GraphQL span and attribute', async () => {
    const booted = await boot(setup, { integrations: { graphql: false } });
    expect(integrationRegistry.active()).not.toContain('graphql');
    const { body, spans } = await post(booted, 'query GetUser { user(id: "1") { id } }');
    expect(body.data).toEqual({ user: { id: '1' } });
    expect(graphqlSpans(spans)).toEqual([]);
    const root = server(spans);
    expect(root.attributes['graphql.operation.name']).toBeUndefined();
    // The service span is still there, under the server span.
    expect(one(spans, 'UsersService.find').parentSpanId).toBe(root.spanId);
  });
});
