import { Registration, type ClassRegistration } from './module-index.js';
import type { NestComponentType } from './tracing-instrument-options.interface.js';

// Nest's metadata keys, by value (constants of @nestjs/common, @nestjs/schedule,
// @nestjs/event-emitter and @nestjs/bullmq; the last three are optional peers).
const FILTER_CATCH_EXCEPTIONS = '__filterCatchExceptions__';
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const EVENT_LISTENER_METADATA = 'EVENT_LISTENER_METADATA';
const BULL_PROCESSOR_METADATA = 'bullmq:processor_metadata';

/** The method Nest calls on each kind of enhancer: the one that gets the span. */
export const ROLE_METHODS: Partial<Record<NestComponentType, string>> = {
  guard: 'canActivate',
  pipe: 'transform',
  interceptor: 'intercept',
  filter: 'catch',
  middleware: 'use',
};

export function isEnhancerType(type: NestComponentType): boolean {
  return type === 'guard' || type === 'pipe' || type === 'interceptor' || type === 'filter';
}

function has(proto: object, method: string): boolean {
  return typeof (proto as Record<string, unknown>)[method] === 'function';
}

/**
 * What a class is to Nest. Registration decides where it is known (a controller is a
 * controller); the method implemented decides the enhancer kind, but only for classes
 * bound as enhancers, registered as middleware or not registered at all (instances given
 * to `useGlobalPipes()` and friends), so a service with a `transform` method stays a
 * provider.
 */
export function componentType(
  ctor: Function,
  registration: ClassRegistration | undefined,
): NestComponentType {
  const flags = registration?.flags ?? 0;
  if (flags & Registration.CONTROLLER) return 'controller';
  const proto = ctor.prototype as object;
  const enhancerLike =
    registration === undefined ||
    (flags & (Registration.ENHANCER | Registration.GLOBAL_ENHANCER | Registration.MIDDLEWARE)) !==
      0;
  if (enhancerLike) {
    if (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, ctor) !== undefined && has(proto, 'catch')) {
      return 'filter';
    }
    if (has(proto, 'canActivate')) return 'guard';
    if (has(proto, 'intercept')) return 'interceptor';
    if (has(proto, 'transform')) return 'pipe';
    if (has(proto, 'catch')) return 'filter';
    if (flags & Registration.MIDDLEWARE && has(proto, 'use')) return 'middleware';
  }
  return 'provider';
}

/** A method that is a unit of work of its own (a root span when nothing is active). */
export interface UnitOfWork {
  readonly type: NestComponentType;
  readonly attributes: Record<string, string>;
  /** Always a new trace (scheduled work), rather than a child of whatever is active. */
  readonly root: boolean;
}

const SCHEDULE_TYPES: Record<number, NestComponentType> = {
  1: 'cron',
  2: 'timeout',
  3: 'interval',
};

export function unitOfWork(
  method: Function,
  options: { schedule: boolean; events: boolean },
): UnitOfWork | undefined {
  if (options.schedule) {
    const scheduled = SCHEDULE_TYPES[Reflect.getMetadata(SCHEDULER_TYPE, method) as number];
    if (scheduled !== undefined) {
      const attributes: Record<string, string> = {};
      const name: unknown = Reflect.getMetadata(SCHEDULER_NAME, method);
      if (typeof name === 'string') attributes['nestjs.schedule.name'] = name;
      const cron = Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, method) as
        { cronTime?: unknown; name?: unknown } | undefined;
      if (typeof cron?.cronTime === 'string') attributes['nestjs.schedule.cron'] = cron.cronTime;
      if (typeof cron?.name === 'string') attributes['nestjs.schedule.name'] = cron.name;
      return { type: scheduled, attributes, root: true };
    }
  }
  if (options.events) {
    const listeners = Reflect.getMetadata(EVENT_LISTENER_METADATA, method) as
      { event?: unknown }[] | undefined;
    if (Array.isArray(listeners) && listeners.length > 0) {
      const events = listeners.map((l) => eventName(l.event)).join(',');
      return { type: 'event', attributes: { 'nestjs.event.name': events }, root: false };
    }
  }
  return undefined;
}

function eventName(event: unknown): string {
  if (Array.isArray(event)) return event.map(eventName).join('.');
  if (typeof event === 'symbol') return event.description ?? 'symbol';
  return String(event);
}

/** BullMQ processor classes: their `process` gets the job's span from the worker hook instead. */
export function isBullProcessor(ctor: Function): boolean {
  return Reflect.getMetadata(BULL_PROCESSOR_METADATA, ctor) !== undefined;
}
