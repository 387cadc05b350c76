import { tracingChannel } from 'node:diagnostics_channel';
import { buildSchema, graphql, parse } from 'graphql';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanStatusCode } from '../../../lib/core/types.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import {
  graphqlIntegration,
  sanitizedDocument,
} from '../../../lib/integrations/graphql.integration.js';
import { createIntegrationHost } from '../../../lib/integrations/host.js';
import { IntegrationRegistry, type RegisteredHost } from '../../../lib/integrations/registry.js';
import type { TracingModuleOptions } from '../../../lib/interfaces/tracing-module-options.interface.js';

// graphql-js 17's channels driven by graphql-js itself (no server): what the e2e test
// (test/e2e/graphql.e2e-spec.ts) does not reach.

const schema = buildSchema(`
  enum Role { ADMIN USER }
  input Filter { name: String, tags: [String!] }
  type Query { users(role: Role, active: Boolean, limit: Int, score: Float, where: Filter, after: ID): [String] }
`);
const rootValue = { users: () => ['a'] };

let registered: RegisteredHost | undefined;
afterEach(() => {
  registered?.unregister();
  registered = undefined;
});

function traced(options: TracingModuleOptions = {}) {
  const config = resolveTracingConfig({ serviceName: 'unit', ...options }, {});
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
  });
  registered = new IntegrationRegistry([graphqlIntegration]).register(
    createIntegrationHost(tracer, config),
  );
  return { tracer, exporter };
}

const QUERY = `query Find($after: ID = "cursor-secret") {
  users(role: ADMIN, active: true, limit: 10, score: 1.5, where: { name: "name-secret", tags: ["t1", "t2"] }, after: $after)
}`;

describe('graphql integration (graphql-js 17 channels, no server)', () => {
  it('replaces every literal kind with ? and keeps variables, lists and input objects as shapes', async () => {
    const { tracer, exporter } = traced();
    const result = await tracer.withSpan('request', () =>
      graphql({ schema, source: QUERY, rootValue }),
    );
    expect(result.errors).toBeUndefined();
    const operation = exporter.getFinishedSpans().find((s) => s.name === 'query Find')!;
    const document = String(operation.attributes['graphql.document']);
    for (const part of [
      'role: ?',
      'active: ?',
      'limit: ?',
      'score: ?',
      'where: { name: ?, tags: [?, ?] }',
      'after: $after',
    ]) {
      expect(document).toContain(part);
    }
    expect(document).toContain('$after: ID = ?');
    for (const secret of ['cursor-secret', 'name-secret', 'ADMIN', '1.5', 't1']) {
      expect(document).not.toContain(secret);
    }
  });

  it("records the document as written with queryText 'raw' and none with false", async () => {
    const raw = traced({ integrations: { queryText: 'raw' } });
    await raw.tracer.withSpan('request', () => graphql({ schema, source: QUERY, rootValue }));
    const spans = raw.exporter.getFinishedSpans();
    expect(spans.find((s) => s.name === 'query Find')!.attributes['graphql.document']).toBe(QUERY);
    registered!.unregister();

    const none = traced({ integrations: { queryText: false } });
    await none.tracer.withSpan('request', () => graphql({ schema, source: QUERY, rootValue }));
    const op = none.exporter.getFinishedSpans().find((s) => s.name === 'query Find')!;
    expect(op.attributes['graphql.document']).toBeUndefined();
    expect(op.attributes['graphql.operation.name']).toBe('Find');
  });

  it('subscribes the resolve channel only once an app that wants resolver spans runs an operation', async () => {
    const resolve = tracingChannel('graphql:resolve');
    const off = traced();
    await off.tracer.withSpan('request', () => graphql({ schema, source: QUERY, rootValue }));
    expect(resolve.hasSubscribers).toBe(false);
    expect(off.exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'graphql.parse',
      'graphql.validate',
      'query Find',
      'request',
    ]);
    registered!.unregister();

    const on = traced({ integrations: { graphql: { resolvers: true } } });
    expect(resolve.hasSubscribers).toBe(false);
    await on.tracer.withSpan('request', () => graphql({ schema, source: QUERY, rootValue }));
    expect(resolve.hasSubscribers).toBe(true);
    const names = on.exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toContain('Query.users');
    registered!.unregister();
    expect(resolve.hasSubscribers).toBe(false);
  });

  it('opens no parse or validate span outside a unit of work (a schema parsed at boot)', () => {
    const { exporter } = traced();
    parse('type Query { a: String }');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('records an operation whose result carries errors as failed', async () => {
    const { tracer, exporter } = traced();
    const failing = {
      users: () => {
        throw new RangeError('bad range');
      },
    };
    await tracer.withSpan('request', () =>
      graphql({ schema, source: '{ users }', rootValue: failing }),
    );
    const op = exporter.getFinishedSpans().find((s) => s.name === 'query')!;
    expect(op.attributes['error.type']).toBe('RangeError');
    expect(op.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad range' });
    expect(op.attributes['graphql.operation.name']).toBeUndefined();
  });
});

describe('sanitizedDocument', () => {
  it('prints with the CommonJS copy of graphql an AST parsed by the ESM one', () => {
    const cjs = createRequire(import.meta.url)('graphql') as Parameters<
      typeof sanitizedDocument
    >[0];
    expect(sanitizedDocument(cjs, parse('{ a(x: "s", y: null, z: [1, 2]) }'))).toBe(
      '{\n  a(x: ?, y: ?, z: [?, ?])\n}',
    );
  });
});
