import { tracingChannel } from 'node:diagnostics_channel';
import type { Span } from '../core/types.js';
import { endDbSpan, startDbSpan } from './db-span.js';
import type { Integration, IntegrationHosts } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';

/**
 * MongoDB through mongoose >= 9.7, which publishes a TracingChannel per operation
 * (mongoose/lib/tracing.js, traced with `tracePromise`): `mongoose:query` (every Query
 * exec: find, findOne, updateOne, deleteMany, countDocuments, ...), `mongoose:model:save`,
 * `mongoose:model:insertMany`, `mongoose:model:bulkWrite` and `mongoose:aggregate`. Each
 * message carries `operation`, `collection`, `database`, `serverAddress`, `serverPort`
 * and `args` (the filter, the pipeline, the documents, the options).
 *
 * A CLIENT span per operation after the OpenTelemetry database conventions: `find users`,
 * `db.system.name` `mongodb`, `db.namespace` the database, `db.query.text` the filter (or
 * pipeline) as JSON with every value replaced by `?` (the values of a Mongo filter are the
 * bound parameters of SQL: never recorded, whatever `queryText` says; `false` records
 * none). `mongoose:cursor:next` (one event per document of a cursor) is not subscribed.
 */

const CHANNELS = [
  'mongoose:query',
  'mongoose:model:save',
  'mongoose:model:insertMany',
  'mongoose:model:bulkWrite',
  'mongoose:aggregate',
] as const;

/** What mongoose's context factories publish (lib/query.js, model.js, aggregate.js). */
interface MongooseMessage {
  readonly operation?: unknown;
  readonly collection?: unknown;
  readonly database?: unknown;
  readonly serverAddress?: unknown;
  readonly serverPort?: unknown;
  readonly args?: {
    readonly filter?: unknown;
    readonly pipeline?: unknown;
    readonly docs?: unknown;
    readonly ops?: unknown;
  };
  error?: unknown;
  result?: unknown;
}

// The span of an operation in flight, on mongoose's own message object.
const SPAN = Symbol('nestjs-tracing.mongoose.span');
type Carrier = { [SPAN]?: Span };

const MIN_VERSION = '9.7';

export const mongooseIntegration: Integration = {
  name: 'mongoose',
  installed() {
    const found = findPackage('mongoose');
    return found !== undefined && atLeast(found.version, MIN_VERSION);
  },
  enable(hosts) {
    const undo = CHANNELS.map((name) => subscribe(name, hosts));
    return () => {
      for (const fn of undo) fn();
    };
  },
};

function subscribe(name: string, hosts: IntegrationHosts): () => void {
  const channel = tracingChannel(name);
  const handlers = {
    start: (message: unknown) => {
      try {
        start(message as MongooseMessage, hosts);
      } catch {
        // Never into mongoose.
      }
    },
    // A promise settles at asyncEnd; a call that throws before returning one (Node 20's
    // tracePromise) publishes `error` and `end` only.
    end: (message: unknown) => {
      if ('error' in (message as object)) finish(message as MongooseMessage);
    },
    asyncStart: noop,
    asyncEnd: (message: unknown) => finish(message as MongooseMessage),
    error: noop,
  };
  channel.subscribe(handlers);
  return () => {
    channel.unsubscribe(handlers);
  };
}

function noop(): void {}

function start(m: MongooseMessage, hosts: IntegrationHosts): void {
  const active = hosts.current('mongoose');
  if (active === undefined) return;
  const operation = stringOf(m.operation);
  const span = startDbSpan(active, {
    system: 'mongodb',
    namespace: stringOf(m.database),
    operation,
    collection: stringOf(m.collection),
    serverAddress: stringOf(m.serverAddress),
    serverPort: typeof m.serverPort === 'number' ? m.serverPort : undefined,
  });
  if (span === undefined || !span.isRecording()) return;
  const args = m.args;
  if (active.host.settings.queryText !== false) {
    const statement = operation === 'aggregate' ? args?.pipeline : args?.filter;
    if (statement !== undefined && statement !== null) {
      span.setAttribute('db.query.text', JSON.stringify(mongoShape(statement)));
    }
  }
  const batch = Array.isArray(args?.docs) ? args.docs : Array.isArray(args?.ops) ? args.ops : [];
  if (batch.length > 1) span.setAttribute('db.operation.batch.size', batch.length);
  (m as Carrier)[SPAN] = span;
}

function finish(m: MongooseMessage): void {
  const carrier = m as Carrier;
  const span = carrier[SPAN];
  if (span === undefined) return;
  delete carrier[SPAN];
  try {
    endDbSpan(span, m.error);
  } catch {
    // Never into mongoose.
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const MAX_DEPTH = 8;
const MAX_KEYS = 50;

/**
 * The shape of a filter or pipeline: objects keep their keys (field names and operators),
 * every value becomes `'?'`, an array of values one `'?'`. ObjectIds, dates, regular
 * expressions and buffers are values. Bounded in depth and width.
 */
export function mongoShape(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return '?';
    const items = value.slice(0, MAX_KEYS).map((item) => mongoShape(item, depth + 1));
    return items.every((item) => item === '?') ? '?' : items;
  }
  if (!isPlainObject(value) || depth >= MAX_DEPTH) return '?';
  // No prototype: a `__proto__` key in a filter is a field name like any other.
  const shape = Object.create(null) as Record<string, unknown>;
  let count = 0;
  for (const key of Object.keys(value)) {
    if (++count > MAX_KEYS) {
      shape['…'] = '?';
      break;
    }
    shape[key] = mongoShape(value[key], depth + 1);
  }
  return shape;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
