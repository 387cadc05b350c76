import { Baggage } from '../core/baggage.js';
import { getGlobalTracer } from '../core/global-tracer.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { currentContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import { TraceFlags } from '../core/types.js';
import { wrapMethod } from '../decorators/traced-method.js';
import { TRACED_METADATA } from '../tracing.constants.js';
import {
  componentType,
  isBullProcessor,
  isEnhancerType,
  ROLE_METHODS,
  unitOfWork,
  type UnitOfWork,
} from './component-type.js';
import type { ResolvedInstrumentOptions } from './instrument-options.js';
import { Registration, type ModuleIndex } from './module-index.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Called on every instance, so never on lifecycle hooks or conversions (no request there). */
const SKIPPED_METHODS = new Set([
  'constructor',
  'toString',
  'toJSON',
  'toLocaleString',
  'valueOf',
  'onModuleInit',
  'onModuleDestroy',
  'onApplicationBootstrap',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

interface MethodEntry {
  readonly key: string;
  readonly original: AnyFunction;
  wrapper: AnyFunction;
  resolved: boolean;
  traced: AnyFunction | undefined;
  /** A unit of work: its wrapper always opens a span. */
  readonly unit: boolean;
}

interface ClassDecision {
  readonly on: boolean;
  readonly modules: readonly string[];
  readonly framework: boolean;
  /** For enhancers and middleware, the one method that gets a span. */
  readonly role: string | undefined;
  readonly attributes: Record<string, string>;
}

/**
 * A span is worth starting only inside a sampled request: anywhere else (bootstrap,
 * timers, unsampled or ignored requests, the library's own exports) the wrapper is a
 * plain call.
 */
function traceable(ctx: TraceContext): boolean {
  const span = ctx.span;
  if (span === undefined || span === NOOP_SPAN || ctx.suppressed) return false;
  return (
    (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0 ||
    ctx.tracer?.recordUnsampled === true
  );
}

/** Gives a wrapper the original's name, arity and metadata (routes, patterns, schedules). */
function keepShape(wrapper: AnyFunction, original: AnyFunction): AnyFunction {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
  }
  return wrapper;
}

/**
 * What the instrumentation does with one class: the wrappers of its methods (one per
 * method, shared by every instance) and, decided at the first traced call when the
 * app's modules are all known, which of them open spans.
 */
export class ClassPlan {
  private readonly methods: MethodEntry[] = [];
  private decision: ClassDecision | undefined;

  constructor(
    readonly ctor: Function,
    private readonly options: ResolvedInstrumentOptions,
    private readonly modules: ModuleIndex,
  ) {
    const skipProcess = options.bullmq && isBullProcessor(ctor);
    const seen = new Set<string>();
    for (
      let proto = ctor.prototype as object | null;
      proto !== null && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (seen.has(key)) continue;
        seen.add(key);
        if (SKIPPED_METHODS.has(key) || (skipProcess && key === 'process')) continue;
        // Reading the descriptor, not the property, never runs a getter.
        const descriptor = Object.getOwnPropertyDescriptor(proto, key);
        if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
        const entry = this.entry(key, descriptor.value as AnyFunction);
        if (entry !== undefined) this.methods.push(entry);
      }
    }
  }

  get className(): string {
    return this.ctor.name || 'anonymous';
  }

  /** Puts the wrappers on `instance` as own, non-enumerable properties. */
  install(instance: object): void {
    if (!Object.isExtensible(instance)) return;
    // Classes the container registered are decided now, so methods that will never open
    // a span (framework classes, excluded methods) are not wrapped at all. Others (made
    // by factories) are decided at their first traced call.
    if (this.decision === undefined && this.modules.lookup(this.ctor) !== undefined) {
      this.decision = this.decide();
    }
    const decided = this.decision !== undefined;
    const installs = (entry: MethodEntry) =>
      entry.unit || !decided || (entry.resolved ? entry.traced : this.resolve(entry)) !== undefined;
    // Function-valued fields (arrow functions) are per instance: wrapped per instance.
    for (const key of Object.keys(instance)) {
      const descriptor = Object.getOwnPropertyDescriptor(instance, key);
      const value: unknown = descriptor?.value;
      if (typeof value !== 'function' || !descriptor!.writable || 'prototype' in value) continue;
      const entry = this.entry(key, value as AnyFunction);
      if (entry !== undefined && installs(entry)) {
        Object.defineProperty(instance, key, { ...descriptor, value: entry.wrapper });
      }
    }
    for (const entry of this.methods) {
      // A property the constructor set wins, as it would without instrumentation.
      if (Object.hasOwn(instance, entry.key) || !installs(entry)) continue;
      Object.defineProperty(instance, entry.key, {
        value: entry.wrapper,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }

  private entry(key: string, original: AnyFunction): MethodEntry | undefined {
    // Already traced by @Traced(), or opted out with @Traced(false) / @NoTrace().
    if (Reflect.hasOwnMetadata(TRACED_METADATA, original)) return undefined;
    const unit = unitOfWork(original, this.options);
    if (unit !== undefined) {
      const wrapper = this.unitWrapper(key, original, unit);
      return { key, original, wrapper, resolved: true, traced: undefined, unit: true };
    }
    const entry: MethodEntry = {
      key,
      original,
      wrapper: original,
      resolved: false,
      traced: undefined,
      unit: false,
    };
    entry.wrapper = this.methodWrapper(entry);
    return entry;
  }

  private methodWrapper(entry: MethodEntry): AnyFunction {
    const original = entry.original;
    const resolve = (e: MethodEntry) => this.resolve(e);
    const wrapper = function (this: unknown): unknown {
      const ctx = currentContext();
      if (ctx === undefined || !traceable(ctx)) {
        return original.apply(this, arguments as unknown as unknown[]);
      }
      const traced = entry.resolved ? entry.traced : resolve(entry);
      if (traced === undefined) return original.apply(this, arguments as unknown as unknown[]);
      return traced.apply(this, arguments as unknown as unknown[]);
    };
    return keepShape(wrapper, original);
  }

  /**
   * Jobs, schedules and events are units of work: a span even outside any request, as a
   * root. Scheduled work always starts its own trace, whatever was active when its timer
   * was set.
   */
  private unitWrapper(key: string, original: AnyFunction, unit: UnitOfWork): AnyFunction {
    const name = this.className;
    const traced = wrapMethod(original, name, key, {
      attributes: { 'code.namespace': name, 'nestjs.type': unit.type, ...unit.attributes },
    });
    if (!unit.root) return traced;
    const wrapper = function (this: unknown): unknown {
      const tracer = getGlobalTracer();
      if (tracer === undefined || !tracer.enabled) {
        return original.apply(this, arguments as unknown as unknown[]);
      }
      const ctx = tracer.createContext(undefined, undefined, new Baggage());
      return runWithContext(ctx, Reflect.apply, traced, this, arguments);
    };
    return keepShape(wrapper, original);
  }

  private resolve(entry: MethodEntry): AnyFunction | undefined {
    const decision = (this.decision ??= this.decide());
    entry.resolved = true;
    if (!decision.on) return undefined;
    if (decision.role !== undefined && entry.key !== decision.role) return undefined;
    const qualified = `${this.className}.${entry.key}`;
    const { include, exclude } = this.options;
    if (exclude.some((m) => m(this.ctor, qualified, decision.modules))) return undefined;
    const on =
      include.length > 0
        ? include.some((m) => m(this.ctor, qualified, decision.modules))
        : !decision.framework;
    if (!on) return undefined;
    entry.traced = wrapMethod(entry.original, this.className, entry.key, {
      attributes: decision.attributes,
    });
    return entry.traced;
  }

  private decide(): ClassDecision {
    const registration = this.modules.lookup(this.ctor);
    const modules = registration?.modules ?? [];
    const off = { on: false, modules, framework: true, role: undefined, attributes: {} };
    if (registration !== undefined && registration.flags & Registration.MODULE) return off;
    const type = componentType(this.ctor, registration);
    const enhancer = isEnhancerType(type);
    if (enhancer && !this.options.enhancers) return off;
    // Enhancers are traced wherever they come from; other classes only from your modules.
    const framework =
      !enhancer &&
      (registration === undefined
        ? type !== 'middleware'
        : modules.every((m) => this.options.frameworkModules.has(m)));
    const attributes: Record<string, string> = {
      'code.namespace': this.className,
      'nestjs.type': type,
    };
    if (modules[0] !== undefined) attributes['nestjs.module'] = modules[0];
    return { on: true, modules, framework, role: ROLE_METHODS[type], attributes };
  }
}
