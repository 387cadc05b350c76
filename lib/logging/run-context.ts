import { randomUUID } from 'node:crypto';
import { sanitizeAttributeValue, setOwn } from '../core/attributes.js';
import { Baggage } from '../core/baggage.js';
import { getGlobalTracer } from '../core/global-tracer.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import {
  activeContext,
  currentContext,
  runWithContext,
  TraceContext,
} from '../core/trace-context.js';
import { runAndEnd, type Tracer } from '../core/tracer.js';
import { SpanKind, type Attributes, type AttributesInput, type Span } from '../core/types.js';
import { FieldRedactor } from './log-fields.js';
import { logPipelineFor } from './log-pipeline.js';
import { toLogError, type LogLevel } from '../core/log-record.js';
import { describeValue } from '../core/describe-value.js';

/** What identifies a unit of background work: a workflow run, a job, a stage of either. */
export interface RunOptions {
  /** @default a random UUID */
  runId?: string;
  /** The run that started this one. @default the enclosing run's id, when there is one */
  parentRunId?: string;
  workflow?: string;
  stage?: string;
  job?: string;
  userId?: string;
  tenantId?: string;
  /** `['nightly', 'backfill']` or `{ team: 'data' }` (bound as `team:data`). */
  tags?: readonly string[] | Readonly<Record<string, string>>;
  /** More fields bound to the run: strings, numbers, booleans or arrays of one of them. */
  fields?: AttributesInput;
  /** The run span's name. @default `run <workflow>/<stage>/<job>` (the parts given) */
  name?: string;
  /** Start a new trace (and drop the enclosing fields) even inside a request or a run. @default false */
  root?: boolean;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** @default the tracer of the current context, else the app's (set by TracingModule) */
  tracer?: Tracer;
}

/** The fields a run binds, as its span attributes and log lines carry them. */
export const RUN_FIELD_NAMES = Object.freeze({
  runId: 'run_id',
  parentRunId: 'parent_run_id',
  workflow: 'workflow',
  stage: 'stage',
  job: 'job',
  userId: 'user_id',
  tenantId: 'tenant_id',
  tags: 'tags',
} as const);

const STRING_OPTIONS = [
  'runId',
  'parentRunId',
  'workflow',
  'stage',
  'job',
  'userId',
  'tenantId',
] as const;
const redactor = new FieldRedactor();

/**
 * A run of background work: every span started and every line logged inside it carry
 * its fields (`run_id`, `parent_run_id`, `workflow`, `stage`, `job`, `user_id`,
 * `tenant_id`, `tags`). Its log methods write through the app's TraceLogger pipeline.
 */
export class RunContext {
  /** @internal Made by `runJob` and `currentRun`. */
  constructor(
    private readonly context: TraceContext,
    readonly runId: string,
  ) {}

  /** The fields bound to the run (and inherited from enclosing runs). */
  get fields(): Readonly<Attributes> {
    return this.context.fields ?? {};
  }

  /** The run's span (a no-op span when tracing is off). */
  get span(): Span {
    return this.context.span ?? NOOP_SPAN;
  }

  get traceId(): string | undefined {
    const span = this.context.span;
    return span !== undefined && span !== NOOP_SPAN ? span.spanContext().traceId : undefined;
  }

  get correlationId(): string | undefined {
    return this.context.correlationId;
  }

  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.emit('debug', message, fields);
  }

  info(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.emit('info', message, fields);
  }

  warning(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.emit('warn', message, fields);
  }

  /** The same as `warning`, by Nest's name. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.emit('warn', message, fields);
  }

  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.emit('error', message, fields);
  }

  /**
   * Logs `error` with its stack at error level and records it as an `exception` event on
   * the active span. The span's status is left alone: a handled error need not fail the run.
   */
  exception(error: unknown, message?: string, fields?: Readonly<Record<string, unknown>>): void {
    const context = this.activeFor();
    const span = context.span;
    if (span !== undefined && span !== NOOP_SPAN) span.recordException(error);
    const logError = toLogError(error);
    logPipelineFor(context.tracer).emit(
      { level: 'error', message: message ?? logError.message, fields, error: logError },
      context,
    );
  }

  /** Runs `fn` inside the run again: for callbacks that lost the async context. */
  run<R>(fn: () => R): R {
    return runWithContext(this.context, fn);
  }

  private emit(
    level: LogLevel,
    message: string,
    fields: Readonly<Record<string, unknown>> | undefined,
  ): void {
    const context = this.activeFor();
    logPipelineFor(context.tracer).emit({ level, message, fields }, context);
  }

  /** Inside the run the current context (and its innermost span) wins; outside, the run's. */
  private activeFor(): TraceContext {
    const current = currentContext();
    return current !== undefined && current.fields?.run_id === this.runId ? current : this.context;
  }
}

/**
 * Runs `fn` as a run of background work (a workflow, a job, a stage): in a span of its
 * own, with the run's fields bound to everything inside. Returns what `fn` returns (a
 * Promise stays a Promise); the span ends when `fn` returns or its promise settles, and
 * records a thrown error. Nested runs get the enclosing run as their parent.
 */
export function runJob<R>(options: RunOptions, fn: (run: RunContext) => R): R {
  const fields = runFields(options);
  const runId = fields.run_id as string;
  const enclosing = activeContext();
  const tracer = options.tracer ?? enclosing.tracer ?? getGlobalTracer();
  const root = options.root === true;
  const base = root ? undefined : enclosing;
  if (base?.fields?.run_id !== undefined && options.parentRunId === undefined) {
    const parent = base.fields.run_id;
    if (typeof parent === 'string' && parent !== runId) fields.parent_run_id = parent;
  }
  const context = new TraceContext(
    base?.span,
    base?.correlationId ?? runId,
    base?.baggage ?? new Baggage(),
    tracer,
    false,
    base?.fields ? { ...base.fields, ...fields } : fields,
    base?.root,
  );
  const span =
    tracer === undefined || enclosing.suppressed
      ? NOOP_SPAN
      : tracer.startSpan(
          options.name ?? defaultName(options),
          { kind: options.kind ?? SpanKind.INTERNAL, root },
          context,
        );
  const inside = span === NOOP_SPAN ? context : context.withSpan(span);
  const run = new RunContext(inside, runId);
  return runWithContext(inside, runAndEnd, span, () => fn(run), tracer?.errorPolicy);
}

/** The run the current code is inside, or undefined outside any. */
export function currentRun(): RunContext | undefined {
  const context = currentContext();
  const runId = context?.fields?.run_id;
  return context !== undefined && typeof runId === 'string'
    ? new RunContext(context, runId)
    : undefined;
}

function runFields(options: RunOptions): Attributes {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`runJob: options must be an object; got ${String(options)}`);
  }
  for (const key of STRING_OPTIONS) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TypeError(
        `runJob: option "${key}" must be a non-empty string; got ${describeValue(value)}`,
      );
    }
  }
  const fields: Attributes = {};
  // Extra fields first: the run's own names win over a field of the same name.
  if (options.fields !== undefined) {
    if (options.fields === null || typeof options.fields !== 'object') {
      throw new TypeError(
        `runJob: option "fields" must be an object; got ${describeValue(options.fields)}`,
      );
    }
    for (const key of Object.keys(options.fields)) {
      const raw = options.fields[key];
      if (raw === undefined || raw === null) continue;
      const value = sanitizeAttributeValue(raw, 4096);
      if (value === undefined) {
        throw new TypeError(
          `runJob: option "fields.${key}" must be a string, number, boolean or an array of one of them; got ${describeValue(raw)}`,
        );
      }
      setOwn(fields, key, value);
    }
  }
  fields.run_id = options.runId ?? randomUUID();
  for (const key of STRING_OPTIONS) {
    const value = options[key];
    if (key !== 'runId' && value !== undefined) fields[RUN_FIELD_NAMES[key]] = value;
  }
  const tags = toTags(options.tags);
  if (tags !== undefined) fields.tags = tags;
  // Spans keep these fields as attributes: secrets must not get that far.
  return redactor.flat(fields) as Attributes;
}

function toTags(tags: RunOptions['tags']): string[] | undefined {
  if (tags === undefined) return undefined;
  if (Array.isArray(tags)) {
    if (tags.some((t) => typeof t !== 'string')) {
      throw new TypeError(`runJob: option "tags" must be strings or an object of strings`);
    }
    return [...(tags as readonly string[])];
  }
  if (tags === null || typeof tags !== 'object') {
    throw new TypeError(
      `runJob: option "tags" must be an array or an object; got ${describeValue(tags)}`,
    );
  }
  return Object.entries(tags as Record<string, unknown>).map(([key, value]) => {
    if (typeof value !== 'string') {
      throw new TypeError(
        `runJob: option "tags.${key}" must be a string; got ${describeValue(value)}`,
      );
    }
    return `${key}:${value}`;
  });
}

function defaultName(options: RunOptions): string {
  const parts = [options.workflow, options.stage, options.job].filter((p) => p !== undefined);
  return parts.length === 0 ? 'run' : `run ${parts.join('/')}`;
}
