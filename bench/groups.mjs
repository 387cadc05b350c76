// The benchmark groups. Each runs in its own worker process (see run.mjs for why); a
// group returns its cases and, optionally, a `finish()` that checks what was exported.
// Every measured method computes `i + 1`, sync or async, so all cases do the same work.
import { decorateMethod } from './harness.mjs';

const SPAN_NAME_ATTRIBUTE = 'code.function.name';

export class PlainSync {
  m(i) {
    return i + 1;
  }
}

export class PlainAsync {
  async m(i) {
    return i + 1;
  }
}

function plainCases(label) {
  return [
    { id: `plain.${label}.sync`, kind: 'sync', obj: new PlainSync() },
    { id: `plain.${label}.async`, kind: 'async', obj: new PlainAsync() },
  ];
}

function check(condition, message) {
  if (!condition) throw new Error(`verification failed: ${message}`);
}

// ---------------------------------------------------------------------------------------
// nestjs-tracing

async function loadOurs() {
  const lib = { ...(await import('nestjs-tracing')), ...(await import('nestjs-tracing/export')) };
  // Internal path on purpose: setGlobalTracer is not public API (TracingModule sets it).
  const { setGlobalTracer } = await import('../dist/core/global-tracer.js');
  const { Traced } = lib;

  class OursSync {
    m(i) {
      return i + 1;
    }
  }
  class OursAsync {
    async m(i) {
      return i + 1;
    }
  }
  // Returns the span @Traced made active, to check each case does what it says.
  class OursProbe {
    m() {
      return lib.activeContext().span;
    }
  }
  for (const C of [OursSync, OursAsync, OursProbe]) decorateMethod(C, Traced());
  return { lib, setGlobalTracer, OursSync, OursAsync, OursProbe };
}

/** A processor for the disabled tracer, which never hands it a span. */
class QueueOnlyProcessor {
  queue = [];
  onEnd(span) {
    if ((span.traceFlags & 1) === 0) return;
    this.queue.push(span);
    if (this.queue.length >= 512) this.queue = [];
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

class OursDiscardingExporter {
  constructor(code) {
    this.result = Object.freeze({ code });
  }
  export(spans) {
    this.last = spans[spans.length - 1];
    return Promise.resolve(this.result);
  }
  shutdown() {
    return Promise.resolve();
  }
}

/** cold: no AsyncLocalStorage has ever run in this process. */
async function cold() {
  const ours = await loadOurs();
  const { lib } = ours;
  const disabled = new lib.Tracer({
    processor: new QueueOnlyProcessor(),
    resource: { attributes: { 'service.name': 'bench' } },
    enabled: false,
  });
  ours.setGlobalTracer(disabled);

  // OpenTelemetry with no SDK registered (what OTEL_SDK_DISABLED leaves): the API's
  // no-op tracer and no-op context manager, which never touch AsyncLocalStorage.
  const api = await import('@opentelemetry/api');
  const noopTracer = api.trace.getTracer('bench');
  const { OtelSync, OtelAsync } = otelClasses(api, noopTracer);

  const verify = () => {
    check(new ours.OursProbe().m() === undefined, 'disabled @Traced must not activate a span');
  };
  return {
    cases: [
      ...plainCases('cold'),
      { id: 'ours.disabled.sync', kind: 'sync', obj: new ours.OursSync(), verify },
      { id: 'ours.disabled.async', kind: 'async', obj: new ours.OursAsync() },
      { id: 'otel.disabled.sync', kind: 'sync', obj: new OtelSync() },
      { id: 'otel.disabled.async', kind: 'async', obj: new OtelAsync() },
    ],
  };
}

/** ours-batch, ours-simple, ours-unsampled: one tracer configuration per process. */
function oursGroup(variant) {
  return async () => {
    const ours = await loadOurs();
    const { lib } = ours;
    const exporter = new OursDiscardingExporter(lib.ExportResultCode.SUCCESS);
    const processor =
      variant === 'simple'
        ? new lib.SimpleSpanProcessor(exporter)
        : new lib.BatchSpanProcessor(exporter);
    const tracer = new lib.Tracer({
      processor,
      resource: { attributes: { 'service.name': 'bench' } },
      sampler: variant === 'unsampled' ? new lib.AlwaysOffSampler() : undefined,
    });
    ours.setGlobalTracer(tracer);
    // BENCH_OTEL_API=1: the OpenTelemetry API bridge attached, as forRoot does when
    // @opentelemetry/api is installed (to show @Traced() costs the same either way).
    if (process.env.BENCH_OTEL_API === '1') {
      const { openTelemetryApiBridge } = await import('../dist/otel-api/bridge.js');
      const api = await import('@opentelemetry/api');
      const propagator = new lib.W3CTraceContextPropagator();
      const { conflicts } = openTelemetryApiBridge.attach(api, { tracer, propagator });
      check(conflicts.length === 0, 'the bridge must own the API globals');
      check(
        api.trace.getTracer('x').startSpan('y').isRecording() === (variant !== 'unsampled'),
        'bridged',
      );
    }
    // A request-like parent, as the interceptor would open it.
    const parent = tracer.startSpan('GET /users/:id', { kind: lib.SpanKind.SERVER, root: true });
    const requestContext = tracer.createContext(parent, 'corr', undefined);
    const inRequest = (fn) => lib.runWithContext(requestContext, fn);
    // Switch AsyncLocalStorage on before anything is timed, so the plain baseline of this
    // process pays the same promise hooks as the traced cases.
    lib.runWithContext(lib.activeContext(), () => {});

    const handed = () => {
      const stats = processor.stats();
      return stats.exported + stats.queueLength + stats.dropped + stats.failed;
    };
    const verify = (child) => () => {
      const count = handed();
      const span = child ? inRequest(() => new ours.OursProbe().m()) : new ours.OursProbe().m();
      check(span !== undefined, 'a span is active inside the method');
      const sc = span.spanContext();
      const sampled = (sc.traceFlags & 1) === 1;
      check(sampled === (variant !== 'unsampled'), `${variant}: sampled flag is ${sampled}`);
      const p = parent.spanContext();
      check((sc.traceId === p.traceId) === child, 'root spans start a trace, children join it');
      if (variant !== 'unsampled') {
        if (variant === 'simple')
          check(exporter.last?.spanId === sc.spanId, 'the span was exported');
        else check(handed() === count + 1, 'the span reached the batch queue');
        check(span.ended, 'the span ended with the call');
        check(span.parentSpanId === (child ? p.spanId : undefined), 'parent span id');
        check(span.attributes[SPAN_NAME_ATTRIBUTE] === 'OursProbe.m', 'attributes');
      }
    };
    const before = () => ours.setGlobalTracer(tracer);
    const floor = variant === 'batch' ? floorCases(lib, tracer, inRequest) : [];
    return {
      cases: [
        ...plainCases('als-ours'),
        ...floor,
        {
          id: `ours.${variant}.root.sync`,
          kind: 'sync',
          obj: new ours.OursSync(),
          before,
          verify: verify(false),
        },
        { id: `ours.${variant}.root.async`, kind: 'async', obj: new ours.OursAsync(), before },
        {
          id: `ours.${variant}.child.sync`,
          kind: 'sync',
          obj: new ours.OursSync(),
          enter: inRequest,
          verify: verify(true),
        },
        {
          id: `ours.${variant}.child.async`,
          kind: 'async',
          obj: new ours.OursAsync(),
          enter: inRequest,
        },
      ],
      finish: async () => {
        await processor.forceFlush();
        return {};
      },
    };
  };
}

/**
 * The floor: the least any tracer that carries context through async code does per call,
 * measured in the same process as ours. Two clock reads, a new context object made active
 * with AsyncLocalStorage.run (this library's store, so the process still has one store),
 * and for an async method one reaction to see the promise settle. No ids, no span, no
 * export. On Node 24 the run alone copies the store map twice (AsyncContextFrame), on
 * Node 20 it is cheap but every promise pays the hooks it switched on.
 */
const floorSync = (i) => i + 1;
const floorAsync = async (i) => i + 1;

function floorCases(lib, tracer, inRequest) {
  let elapsed = 0;
  const settled = (start) => (value) => {
    elapsed += performance.now() - start;
    return value;
  };
  const context = () => tracer.createContext(undefined, undefined, undefined);
  const sync = {
    m(i) {
      const start = performance.now();
      const value = lib.runWithContext(context(), floorSync, i);
      elapsed += performance.now() - start;
      return value;
    },
  };
  const async = {
    m(i) {
      return lib.runWithContext(context(), floorAsync, i).then(settled(performance.now()));
    },
  };
  return [
    { id: 'floor.root.sync', kind: 'sync', obj: sync },
    { id: 'floor.root.async', kind: 'async', obj: async },
    { id: 'floor.child.sync', kind: 'sync', obj: sync, enter: inRequest },
    { id: 'floor.child.async', kind: 'async', obj: async, enter: inRequest },
  ];
}

// ---------------------------------------------------------------------------------------
// OpenTelemetry JS SDK

/**
 * The natural hand-instrumented equivalent of `@Traced()`: the user's method runs inside
 * `startActiveSpan`, errors are recorded the way OTel users do, and the span ends when the
 * result returns (sync) or settles (async). The span gets the same attribute ours sets.
 */
function otelClasses(api, tracer, withAttribute = true) {
  const { SpanStatusCode } = api;
  const fail = (span, error) => {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
  };
  const syncOptions = withAttribute ? { attributes: { [SPAN_NAME_ATTRIBUTE]: 'OtelSync.m' } } : {};
  const asyncOptions = withAttribute
    ? { attributes: { [SPAN_NAME_ATTRIBUTE]: 'OtelAsync.m' } }
    : {};
  class OtelSync {
    impl(i) {
      return i + 1;
    }
    m(i) {
      return tracer.startActiveSpan('OtelSync.m', syncOptions, (span) => {
        try {
          return this.impl(i);
        } catch (error) {
          fail(span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    }
  }
  class OtelAsync {
    async impl(i) {
      return i + 1;
    }
    m(i) {
      return tracer.startActiveSpan('OtelAsync.m', asyncOptions, async (span) => {
        try {
          return await this.impl(i);
        } catch (error) {
          fail(span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    }
  }
  return { OtelSync, OtelAsync };
}

class OtelDiscardingExporter {
  exported = 0;
  export(spans, resultCallback) {
    this.exported += spans.length;
    this.last = spans[spans.length - 1];
    resultCallback({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

/**
 * otel-batch, otel-unsampled: BasicTracerProvider + BatchSpanProcessor + ALS context
 * manager. otel-batch-noattr: the same spans without the attribute, in case one holds
 * that the natural OTel equivalent would not set it.
 */
function otelGroup(variant, withAttribute = true) {
  return async () => {
    const api = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider, BatchSpanProcessor, AlwaysOffSampler } =
      await import('@opentelemetry/sdk-trace-base');
    const { context, trace } = api;
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new OtelDiscardingExporter();
    const provider = new BasicTracerProvider({
      sampler: variant === 'unsampled' ? new AlwaysOffSampler() : undefined,
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    // The SDK tracer itself (not the API's ProxyTracer): OTel's cheapest path.
    const tracer = provider.getTracer('bench');
    const { OtelSync, OtelAsync } = otelClasses(api, tracer, withAttribute);
    const parent = tracer.startSpan('GET /users/:id', { kind: api.SpanKind.SERVER, root: true });
    const requestContext = trace.setSpan(context.active(), parent);
    const inRequest = (fn) => context.with(requestContext, fn);
    context.with(context.active(), () => {}); // switch AsyncLocalStorage on, as in oursGroup

    const probe = () => tracer.startActiveSpan('probe', (span) => (span.end(), span));
    const verify = (child) => async () => {
      await provider.forceFlush();
      const span = child ? inRequest(probe) : probe();
      const sc = span.spanContext();
      const sampled = (sc.traceFlags & 1) === 1;
      check(sampled === (variant !== 'unsampled'), `otel ${variant}: sampled flag is ${sampled}`);
      const p = parent.spanContext();
      check((sc.traceId === p.traceId) === child, 'root spans start a trace, children join it');
      if (variant !== 'unsampled') {
        await provider.forceFlush();
        check(exporter.last.spanContext().spanId === sc.spanId, 'the span was exported');
        check(exporter.last.parentSpanContext?.spanId === (child ? p.spanId : undefined), 'parent');
      }
    };
    const key = withAttribute ? variant : `${variant}-noattr`;
    const cases = [
      ...plainCases('als-otel'),
      { id: `otel.${key}.root.sync`, kind: 'sync', obj: new OtelSync() },
      { id: `otel.${key}.root.async`, kind: 'async', obj: new OtelAsync() },
      { id: `otel.${key}.child.sync`, kind: 'sync', obj: new OtelSync(), enter: inRequest },
      { id: `otel.${key}.child.async`, kind: 'async', obj: new OtelAsync(), enter: inRequest },
    ];
    return {
      cases,
      finish: async () => {
        await verify(false)();
        await verify(true)();
        await provider.forceFlush();
        const traced = cases.filter((c) => c.id.startsWith('otel.'));
        // +2: the probes; the parent span never ends.
        const expected =
          variant === 'unsampled' ? 0 : traced.reduce((sum, c) => sum + c.calls, 0) + 2;
        return { exported: exporter.exported, expected, dropped: expected - exporter.exported };
      },
    };
  };
}

export const GROUPS = {
  cold,
  'ours-batch': oursGroup('batch'),
  'otel-batch': otelGroup('batch'),
  'ours-unsampled': oursGroup('unsampled'),
  'otel-unsampled': otelGroup('unsampled'),
  'ours-simple': oursGroup('simple'),
  'otel-batch-noattr': otelGroup('batch', false),
};
