import mongoose from 'mongoose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../../../lib/core/types.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { createIntegrationHost } from '../../../lib/integrations/host.js';
import { mongoShape, mongooseIntegration } from '../../../lib/integrations/mongoose.integration.js';
import { IntegrationRegistry, type RegisteredHost } from '../../../lib/integrations/registry.js';
import type { TracingModuleOptions } from '../../../lib/interfaces/tracing-module-options.interface.js';

// The channel contract of mongoose >= 9.7 (mongoose:query, :model:save, :model:insertMany,
// :model:bulkWrite, :aggregate), driven through mongoose's own published code: there is
// no MongoDB server here. A query that succeeds is answered by mongoose itself
// (`skipMiddlewareFunction` from a pre hook: mongoose skips the driver call and resolves
// with the given result, inside the traced exec); every other operation fails fast in
// mongoose on a connection that never connected (`bufferCommands: false`). Not covered:
// the driver's round trip, a server's error codes (db.response.status_code) and
// server.address/port, which mongoose fills in only once connected.

const SECRET = 'secret-email-4d1e@example.com';

const base = mongoose.createConnection(); // never connected
const db = base.useDb('shop');
const schema = new mongoose.Schema(
  { email: String, name: String, age: Number },
  { bufferCommands: false },
);
schema.pre(['find', 'findOne'], function () {
  const answer = (this.getOptions() as { answer?: unknown }).answer;
  if (answer !== undefined) throw mongoose.skipMiddlewareFunction(answer);
});
const User = db.model('User', schema);

let registered: RegisteredHost | undefined;
afterEach(() => {
  registered?.unregister();
  registered = undefined;
});
afterAll(async () => {
  await base.close();
});

function traced(options: TracingModuleOptions = {}) {
  const config = resolveTracingConfig({ serviceName: 'unit', ...options }, {});
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
  });
  const registry = new IntegrationRegistry([mongooseIntegration]);
  registered = registry.register(createIntegrationHost(tracer, config));
  return { tracer, exporter, registry };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail');
}

function only(spans: ReadableSpan[], kind = SpanKind.CLIENT): ReadableSpan {
  const found = spans.filter((s) => s.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('mongoose integration (channel contract, no server)', () => {
  it('finds the installed mongoose (>= 9.7) and subscribes its channels', () => {
    expect(mongooseIntegration.installed()).toBe(true);
  });

  it('traces a query as a CLIENT span under the active span; the filter is recorded as its shape only', async () => {
    const { tracer, exporter, registry } = traced();
    expect(registry.active()).toEqual(['mongoose']);
    const found = await tracer.withSpan('parent', () =>
      User.findOne({ email: SECRET, age: { $gt: 30 }, $or: [{ name: 'a' }, { name: 'b' }] })
        .setOptions({ answer: { email: SECRET, name: 'Ann' } })
        .exec(),
    );
    expect(found).toEqual({ email: SECRET, name: 'Ann' });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'parent')!;
    const span = only(spans);
    expect(span.name).toBe('findOne users');
    expect(span.parentSpanId).toBe(parent.spanId);
    expect(span.traceId).toBe(parent.traceId);
    expect(span.attributes).toEqual({
      'db.system.name': 'mongodb',
      'db.namespace': 'shop',
      'db.operation.name': 'findOne',
      'db.collection.name': 'users',
      // mongoose moves $or first in getFilter().
      'db.query.text': '{"$or":[{"name":"?"},{"name":"?"}],"email":"?","age":{"$gt":"?"}}',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(SECRET);
  });

  it('records a failed query: error.type, exception event, error status', async () => {
    const { tracer, exporter } = traced();
    const error = await tracer.withSpan('job', () => failure(User.find({ email: SECRET }).exec()));
    expect(error.constructor.name).toBe('MongooseError');
    const span = only(exporter.getFinishedSpans());
    expect(span.name).toBe('find users');
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'find',
      'db.query.text': '{"email":"?"}',
      'error.type': 'MongooseError',
    });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(JSON.stringify([span.attributes, span.events])).not.toContain(SECRET);
  });

  it('traces save, insertMany, bulkWrite and aggregate; documents are never recorded', async () => {
    const { tracer, exporter } = traced();
    await tracer.withSpan('job', async () => {
      await failure(new User({ email: SECRET }).save());
      await failure(User.insertMany([{ email: SECRET }, { email: 'b@example.com' }]));
      await failure(
        User.bulkWrite([
          { insertOne: { document: { email: SECRET } } },
          { deleteOne: { filter: { email: SECRET } } },
        ]),
      );
      await failure(User.aggregate([{ $match: { email: SECRET } }, { $limit: 5 }]).exec());
    });
    const spans = exporter.getFinishedSpans().filter((s) => s.name !== 'job');
    expect(spans.map((s) => s.name)).toEqual([
      'save users',
      'insertMany users',
      'bulkWrite users',
      'aggregate users',
    ]);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['db.namespace']).toBe('shop');
    }
    expect(spans[0]!.attributes['db.query.text']).toBeUndefined();
    expect(spans[1]!.attributes['db.operation.batch.size']).toBe(2);
    expect(spans[2]!.attributes['db.operation.batch.size']).toBe(2);
    expect(spans[3]!.attributes['db.query.text']).toBe('[{"$match":{"email":"?"}},{"$limit":"?"}]');
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.events]))).not.toContain(SECRET);
  });

  it('`queryText: false` records no statement; `mongoose: false` subscribes nothing', async () => {
    const quiet = traced({ integrations: { queryText: false } });
    await quiet.tracer.withSpan('job', () =>
      User.findOne({ email: SECRET }).setOptions({ answer: null }).exec(),
    );
    const span = only(quiet.exporter.getFinishedSpans());
    expect(span.attributes['db.query.text']).toBeUndefined();
    expect(span.attributes['db.operation.name']).toBe('findOne');
    registered!.unregister();

    const off = traced({ integrations: { mongoose: false } });
    expect(off.registry.active()).toEqual([]);
    await off.tracer.withSpan('job', async () => {
      await User.findOne({ email: SECRET }).setOptions({ answer: null }).exec();
      await failure(User.find({}).exec());
    });
    expect(off.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['job']);
  });
});

describe('mongoShape', () => {
  it('keeps keys and operators, turns every value (ObjectId, Date, RegExp included) into ?', () => {
    const id = new mongoose.Types.ObjectId();
    expect(
      mongoShape({
        _id: id,
        at: { $gte: new Date(0) },
        name: /ann/i,
        tags: { $in: ['a', 'b', 'c'] },
        $and: [{ a: 1 }, { b: { $exists: true } }],
        nested: { deep: { deeper: null } },
      }),
    ).toEqual({
      _id: '?',
      at: { $gte: '?' },
      name: '?',
      tags: { $in: '?' },
      $and: [{ a: '?' }, { b: { $exists: '?' } }],
      nested: { deep: { deeper: '?' } },
    });
  });

  it('treats a __proto__ key as a field name and bounds depth', () => {
    const filter = JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown;
    expect(JSON.stringify(mongoShape(filter))).toBe('{"__proto__":{"polluted":"?"}}');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    let deep: unknown = 'v';
    for (let i = 0; i < 20; i++) deep = { k: deep };
    expect(JSON.stringify(mongoShape(deep))).not.toContain('v');
  });
});
