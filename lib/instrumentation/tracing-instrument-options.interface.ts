import type { Type } from '@nestjs/common';
import type { ReadableSpan } from '../core/types.js';

/**
 * Picks methods for `include` / `exclude`:
 * - a string is matched against `ClassName.method`, with `*` as a wildcard; a string
 *   without a dot names a class (`'UsersService'` is `'UsersService.*'`);
 * - a RegExp is tested against `ClassName.method`;
 * - a class matches its own methods;
 * - `{ module }` matches every class registered in a module of that name (or pattern).
 */
export type InstrumentationMatcher = string | RegExp | Type<unknown> | { module: string | RegExp };

/** What a span of the automatic instrumentation stands for, as its `nestjs.type` attribute. */
export type NestComponentType =
  | 'controller'
  | 'provider'
  | 'guard'
  | 'pipe'
  | 'interceptor'
  | 'filter'
  | 'middleware'
  | 'cron'
  | 'interval'
  | 'timeout'
  | 'event';

export interface CollapseOptions {
  /**
   * Sibling spans of one parent sharing a name (`ClassName.method`) are collapsed when
   * there are more than this many. @default 10
   */
  threshold?: number;
  /** How many of the slowest are kept (errored ones are always kept). @default 3 */
  keep?: number;
}

/**
 * Bounds on what the collapse rule holds in memory: a request's spans are held until its
 * root span ends. Past a bound, what is held is exported as it is.
 */
export interface SpanHoldLimits {
  /** Spans held for one request. @default 1000 */
  maxSpansPerTrace?: number;
  /** Spans held across all requests. @default 20000 */
  maxHeldSpans?: number;
  /** Longest a span is held waiting for its request's root to end. @default 60000 */
  maxHoldMs?: number;
}

export interface TracingInstrumentOptions {
  /**
   * Only methods matching one of these get spans (units of work always do). Matching a
   * rule here also brings back a class the defaults leave out (framework modules).
   * @default every method of your controllers, providers and enhancers
   */
  include?: InstrumentationMatcher[];
  /** Methods that never get spans; wins over `include`. @default [] */
  exclude?: InstrumentationMatcher[];
  /**
   * Classes registered only in these modules are left out unless `include` names them:
   * Nest's own modules, its official packages and this library.
   * @default DEFAULT_FRAMEWORK_MODULES
   */
  frameworkModules?: readonly string[];
  /** Spans for guards, pipes, interceptors and exception filters. @default true */
  enhancers?: boolean;
  /**
   * Replace excess sibling spans by one summary span carrying their count and summed
   * duration; `false` keeps every span. @default { threshold: 10, keep: 3 }
   */
  collapse?: CollapseOptions | false;
  /**
   * Keep only the root span of requests answered with one of these HTTP statuses, or
   * for which the function returns true. @default [] (keep everything)
   */
  keepOnlyRoot?: readonly number[] | ((root: ReadableSpan) => boolean);
  /** Memory bounds of the collapse and keep-only-root rules. */
  holdLimits?: SpanHoldLimits;
  /** Write the trace context into every packet of `ClientProxy` instances. @default true */
  clientProxy?: boolean;
  /** Carry the trace context through BullMQ jobs and give each job a span. @default true */
  bullmq?: boolean;
  /** Root spans for `@Cron`, `@Interval` and `@Timeout` handlers. @default true */
  schedule?: boolean;
  /** Spans for `@OnEvent` listeners, children of the emitter's context. @default true */
  events?: boolean;
}
