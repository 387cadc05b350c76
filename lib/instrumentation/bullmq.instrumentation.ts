import { Baggage } from '../core/baggage.js';
import { getGlobalTracer } from '../core/global-tracer.js';
import { NonRecordingSpan } from '../core/non-recording-span.js';
import { parseTraceparent } from '../core/propagation/w3c-trace-context-propagator.js';
import { currentContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import { SpanKind, type SpanContext } from '../core/types.js';
import { wrapMethod } from '../decorators/traced-method.js';
import type { TracingService } from '../nest/tracing.service.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

// BullMQ, duck-typed: bullmq and @nestjs/bullmq are optional peers.
interface JobOptionsLike {
  telemetry?: { metadata?: string; omitContext?: boolean };
  repeat?: unknown;
}
interface QueueLike {
  name: string;
  add(name: string, data: unknown, opts?: JobOptionsLike): Promise<{ id?: string }>;
  addBulk(
    jobs: { name: string; data: unknown; opts?: JobOptionsLike }[],
  ): Promise<{ id?: string }[]>;
}
interface JobLike {
  id?: string;
  name?: string;
  queueName?: string;
  attemptsMade?: number;
  repeatJobKey?: string;
  opts?: JobOptionsLike;
}
interface ProcessorDecoratorLike {
  decorate(processor: AnyFunction): AnyFunction;
}

export type ServiceLookup = (tracer: Tracer | undefined) => TracingService | undefined;

export function isBullQueue(instance: object): instance is QueueLike {
  const q = instance as Partial<QueueLike> & { opts?: unknown };
  return (
    instance.constructor?.name === 'Queue' &&
    typeof q.name === 'string' &&
    typeof q.add === 'function' &&
    typeof q.addBulk === 'function' &&
    typeof q.opts === 'object'
  );
}

/** @nestjs/bullmq's hook around every processor function (static and request-scoped). */
export function isProcessorDecorator(instance: object): instance is ProcessorDecoratorLike {
  for (let c = instance.constructor; typeof c === 'function' && c !== Object;) {
    if (c.name === 'ProcessorDecoratorService') {
      return typeof (instance as Partial<ProcessorDecoratorLike>).decorate === 'function';
    }
    c = Object.getPrototypeOf(c) as Function;
  }
  return false;
}

/**
 * The job carries the enqueuing request's context in `opts.telemetry.metadata`, BullMQ's
 * own slot for it, as the JSON object of propagation headers that BullMQ's OpenTelemetry
 * integration writes too; `data` stays the app's. Options the app set are kept.
 */
function withContext(opts: JobOptionsLike | undefined, service: TracingService): JobOptionsLike {
  const telemetry = opts?.telemetry;
  if (telemetry?.metadata !== undefined || telemetry?.omitContext === true) return opts ?? {};
  const carrier = service.inject({} as Record<string, string>);
  return { ...opts, telemetry: { ...telemetry, metadata: JSON.stringify(carrier) } };
}

function sendAttributes(queue: string): Record<string, string> {
  return {
    'messaging.system': 'bullmq',
    'messaging.destination.name': queue,
    'messaging.operation.type': 'send',
  };
}

/**
 * `add` and `addBulk` of a queue the container created: inside a traced request, a
 * PRODUCER span `send <queue>` whose context travels with the job. Outside one, a plain
 * call (the job will start its own trace).
 */
export function instrumentQueue(queue: QueueLike, serviceFor: ServiceLookup): void {
  const add = queue.add;
  const addBulk = queue.addBulk;
  const tracedAdd = wrapMethod(
    function (this: unknown, name: unknown, data: unknown, opts: unknown): unknown {
      const service = serviceFor(currentContext()?.tracer);
      const options = service ? withContext(opts as JobOptionsLike, service) : opts;
      const span = currentContext()?.span;
      if (typeof name === 'string') span?.setAttribute('bullmq.job.name', name);
      return (
        add.call(this, name as string, data, options as JobOptionsLike) as Promise<{
          id?: string;
        }>
      ).then((job) => {
        span?.setAttribute('messaging.message.id', job?.id);
        return job;
      });
    } as AnyFunction,
    'Queue',
    'add',
    { name: `send ${queue.name}`, kind: SpanKind.PRODUCER, attributes: sendAttributes(queue.name) },
  );
  const tracedAddBulk = wrapMethod(
    function (this: unknown, jobs: unknown): unknown {
      const service = serviceFor(currentContext()?.tracer);
      const list = jobs as { name: string; data: unknown; opts?: JobOptionsLike }[];
      currentContext()?.span?.setAttribute('messaging.batch.message_count', list.length);
      const carried = service
        ? list.map((j) => ({ ...j, opts: withContext(j.opts, service) }))
        : list;
      return addBulk.call(this, carried);
    } as AnyFunction,
    'Queue',
    'addBulk',
    { name: `send ${queue.name}`, kind: SpanKind.PRODUCER, attributes: sendAttributes(queue.name) },
  );
  define(queue, 'add', add as AnyFunction, tracedAdd);
  define(queue, 'addBulk', addBulk as AnyFunction, tracedAddBulk);
}

function define(target: object, key: string, original: AnyFunction, traced: AnyFunction): void {
  const wrapper = function (this: unknown): unknown {
    const ctx = currentContext();
    const span = ctx?.span;
    if (ctx === undefined || span === undefined || ctx.suppressed || !span.isRecording()) {
      return original.apply(this, arguments as unknown as unknown[]);
    }
    return traced.apply(this, arguments as unknown as unknown[]);
  };
  Object.defineProperty(wrapper, 'name', { value: key, configurable: true });
  // Replaces a method on an instance we do not own: listed, with why, in lib/nest/patches.ts.
  Object.defineProperty(target, key, {
    value: wrapper,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function readCarrier(job: JobLike): Record<string, string> | undefined {
  const metadata = job.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string' || metadata.length > 8192) return undefined;
  try {
    const parsed: unknown = JSON.parse(metadata);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The context a job runs in: the enqueuing request's (a remote parent read from the job,
 * with its correlation id and baggage), or none for repeatable jobs, which start a trace
 * of their own on every run and link back to where they were scheduled.
 */
function jobContext(
  job: JobLike,
  tracer: Tracer,
  service: TracingService | undefined,
): { ctx: TraceContext; link: SpanContext | undefined } {
  const carrier = readCarrier(job);
  const repeatable = job.repeatJobKey !== undefined || job.opts?.repeat !== undefined;
  if (carrier !== undefined && !repeatable) {
    if (service !== undefined) return { ctx: service.extract(carrier), link: undefined };
    const parent = parseTraceparent(carrier.traceparent ?? '');
    if (parent !== undefined) {
      return {
        ctx: tracer.createContext(new NonRecordingSpan(parent), undefined, new Baggage()),
        link: undefined,
      };
    }
  }
  const link = carrier === undefined ? undefined : parseTraceparent(carrier.traceparent ?? '');
  return { ctx: tracer.createContext(undefined, undefined, new Baggage()), link };
}

/**
 * Every job a worker runs becomes a CONSUMER span `process <queue>`, child of the
 * request that enqueued it. @nestjs/bullmq hands each processor function to
 * ProcessorDecoratorService.decorate; its instance is given a decorate that wraps them.
 */
export function instrumentProcessorDecorator(
  decorator: ProcessorDecoratorLike,
  serviceFor: ServiceLookup,
): void {
  const decorate = decorator.decorate;
  // Replaces a method on an instance we do not own: listed, with why, in lib/nest/patches.ts.
  Object.defineProperty(decorator, 'decorate', {
    value: function (this: unknown, processor: AnyFunction): AnyFunction {
      return traceJobs(decorate.call(this, processor), serviceFor);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function traceJobs(processor: AnyFunction, serviceFor: ServiceLookup): AnyFunction {
  const byQueue = new Map<string, AnyFunction>();
  // A repeatable job's link to where it was scheduled, handed to the span once it exists.
  const links = new WeakMap<object, SpanContext>();
  const inner = function (this: unknown, job: unknown): unknown {
    const j = job as JobLike;
    const span = currentContext()?.span;
    if (span?.isRecording()) {
      span.setAttributes({
        'messaging.message.id': j.id,
        'bullmq.job.name': j.name,
        'bullmq.job.attempt': (j.attemptsMade ?? 0) + 1,
      });
      const link = links.get(j);
      if (link !== undefined) span.addLink({ context: link });
    }
    return processor.apply(this, arguments as unknown as unknown[]);
  };
  return function (this: unknown, job: unknown): unknown {
    const tracer = getGlobalTracer();
    const j = (job ?? {}) as JobLike;
    if (tracer === undefined || !tracer.enabled) {
      return processor.apply(this, arguments as unknown as unknown[]);
    }
    const queue = j.queueName ?? 'bullmq';
    let traced = byQueue.get(queue);
    if (traced === undefined) {
      traced = wrapMethod(inner, 'Worker', 'process', {
        name: `process ${queue}`,
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'bullmq',
          'messaging.destination.name': queue,
          'messaging.operation.type': 'process',
          'nestjs.type': 'job',
        },
      });
      byQueue.set(queue, traced);
    }
    const { ctx, link } = jobContext(j, tracer, serviceFor(tracer));
    if (link !== undefined && job !== null && typeof job === 'object') links.set(job, link);
    return runWithContext(ctx, Reflect.apply, traced, this, arguments);
  };
}
