import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { types } from 'node:util';
import { BatchSpanProcessor } from '../core/batch-span-processor.js';
import { MultiSpanProcessor } from '../core/multi-span-processor.js';
import { SimpleSpanProcessor } from '../core/simple-span-processor.js';
import type { TraceContext } from '../core/trace-context.js';
import { Tracer } from '../core/tracer.js';
import { TracingContextMiddleware } from '../nest/tracing-context.middleware.js';
import { TracingInterceptor } from '../nest/tracing.interceptor.js';
import { TracingService } from '../nest/tracing.service.js';
import { TRACED_METADATA } from '../tracing.constants.js';
import {
  instrumentProcessorDecorator,
  instrumentQueue,
  isBullQueue,
  isProcessorDecorator,
} from './bullmq.instrumentation.js';
import { ClassPlan } from './class-plan.js';
import { instrumentClientProxy, isClientProxy } from './client-proxy.instrumentation.js';
import { resolveInstrumentOptions, type ResolvedInstrumentOptions } from './instrument-options.js';
import { ModuleIndex, type ModulesContainerLike } from './module-index.js';
import { SpanCollapse } from './span-collapse.js';
import type { TracingInstrumentOptions } from './tracing-instrument-options.interface.js';

// The library's own runtime objects: wrapping them would trace the tracer.
const OWN_CLASSES: readonly Function[] = [
  Tracer,
  TracingInterceptor,
  TracingContextMiddleware,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  MultiSpanProcessor,
];

const MODULE_METADATA_KEYS = ['imports', 'providers', 'controllers', 'exports'];

/**
 * Span processors and exporters (the library's features, the app's own) run for every
 * span, inside the request: wrapping them would only add a check to each span.
 */
function isSpanPipeline(instance: object): boolean {
  const o = instance as Record<string, unknown>;
  if (typeof o.shutdown !== 'function') return false;
  return (
    (typeof o.onEnd === 'function' && typeof o.forceFlush === 'function') ||
    typeof o.export === 'function'
  );
}

function isNativeClass(ctor: Function): boolean {
  return Function.prototype.toString.call(ctor).endsWith('{ [native code] }');
}

/**
 * Automatic spans for a whole Nest app, given to Nest as its `instrument` option:
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { instrument: createTracingInstrument() });
 * ```
 *
 * Nest calls `instanceDecorator` for every instance its container creates. The instance
 * is returned as it is (same object, same class), with its methods wrapped as own
 * properties; the wrappers find the tracer when called, so they work although they are
 * installed before TracingModule has made one.
 */
export class TracingInstrument {
  private readonly options: ResolvedInstrumentOptions;
  private readonly modules = new ModuleIndex();
  private readonly plans = new WeakMap<Function, ClassPlan | null>();
  private readonly seen = new WeakSet<object>();
  private readonly services: WeakRef<TracingService>[] = [];

  constructor(options: TracingInstrumentOptions = {}) {
    this.options = resolveInstrumentOptions(options);
  }

  /** Nest's hook. Never throws: an instance it cannot wrap is returned untouched. */
  readonly instanceDecorator = (instance: unknown): unknown => {
    try {
      this.decorate(instance);
    } catch {
      // Tracing never breaks the app: the instance simply gets no spans.
    }
    return instance;
  };

  /**
   * Instruments what a context has already created, for containers that do not take the
   * `instrument` option: `Test.createTestingModule(...).compile()`. Call it before
   * `init()` (routes, schedules and listeners are bound then), and pass the instrument to
   * `createNestApplication({ instrument })` too for request-scoped providers and global
   * enhancers.
   */
  applyTo(context: INestApplicationContext): this {
    const container = context.get(ModulesContainer, { strict: false }) as ModulesContainerLike;
    this.instanceDecorator(container);
    for (const module of container.values()) {
      const sections = [
        module.providers,
        module.controllers,
        module.injectables,
        module.middlewares,
      ];
      for (const section of sections) {
        for (const wrapper of section?.values() ?? []) {
          if (wrapper.isAlias) continue;
          this.instanceDecorator(wrapper.instance);
        }
      }
    }
    return this;
  }

  private decorate(instance: unknown): void {
    // A Proxy (nestjs-cls proxy providers, mocks) may throw from any trap: not touched.
    if (instance === null || typeof instance !== 'object' || types.isProxy(instance)) return;
    if (this.seen.has(instance)) return;
    this.seen.add(instance);
    if (instance instanceof ModulesContainer) {
      this.modules.add(instance as unknown as ModulesContainerLike);
      return;
    }
    if (instance instanceof TracingService) {
      // Apps closed since (tests make many) leave dead references: dropped here.
      const alive = this.services.filter((ref) => ref.deref() !== undefined);
      this.services.splice(0, this.services.length, ...alive, new WeakRef(instance));
      return;
    }
    if (instance instanceof SpanCollapse) {
      if (this.options.collapse !== undefined) instance.configure(this.options.collapse);
      return;
    }
    if (OWN_CLASSES.some((c) => instance instanceof c) || isSpanPipeline(instance)) return;
    if (this.options.clientProxy && isClientProxy(instance)) {
      instrumentClientProxy(instance, (ctx) => this.serviceFor(ctx.tracer));
      return;
    }
    if (this.options.bullmq && isBullQueue(instance)) {
      instrumentQueue(instance, (tracer) => this.serviceFor(tracer));
      return;
    }
    if (this.options.bullmq && isProcessorDecorator(instance)) {
      instrumentProcessorDecorator(instance, (tracer) => this.serviceFor(tracer));
      return;
    }
    this.planFor(instance.constructor)?.install(instance);
  }

  private planFor(ctor: unknown): ClassPlan | undefined {
    if (typeof ctor !== 'function' || ctor === Object) return undefined;
    let plan = this.plans.get(ctor);
    if (plan === undefined) {
      plan = this.skipsClass(ctor) ? null : new ClassPlan(ctor, this.options, this.modules);
      this.plans.set(ctor, plan);
    }
    return plan ?? undefined;
  }

  private skipsClass(ctor: Function): boolean {
    if (isNativeClass(ctor)) return true;
    // @Traced(false) / @NoTrace() on the class (or a parent class).
    if (Reflect.getMetadata(TRACED_METADATA, ctor) === false) return true;
    // Module classes: their methods run at bootstrap (configure, lifecycle hooks).
    return MODULE_METADATA_KEYS.some((key) => Reflect.hasOwnMetadata(key, ctor));
  }

  /** The TracingService of the app a context belongs to, for its propagators. */
  private serviceFor(tracer: TraceContext['tracer']): TracingService | undefined {
    let fallback: TracingService | undefined;
    for (const ref of this.services) {
      const service = ref.deref();
      if (service === undefined) continue;
      if (service.tracer === tracer) return service;
      fallback ??= service;
    }
    return tracer === undefined ? fallback : undefined;
  }
}

/**
 * Makes the hook for `NestFactory.create(AppModule, { instrument })` (and
 * `createMicroservice`, `createApplicationContext`): every controller and provider
 * method called inside a traced request becomes a span named `ClassName.method`, guards,
 * pipes, interceptors and filters get spans of their own type, and jobs, schedules,
 * events and outgoing messages carry the trace. Options are validated here, at once.
 */
export function createTracingInstrument(options?: TracingInstrumentOptions): TracingInstrument {
  return new TracingInstrument(options);
}
