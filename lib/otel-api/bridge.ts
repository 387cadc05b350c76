import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Baggage } from '../core/baggage.js';
import type { TextMapPropagator } from '../core/propagation/text-map-propagator.js';
import { currentContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import { BridgeContextManager } from './api-context.js';
import type { BaggageCodec } from './api-keys.js';
import { BridgePropagator } from './api-propagator.js';
import { BridgeTracerProvider } from './api-tracer.js';

export type OpenTelemetryApiModule = typeof OpenTelemetryApi;

/** One app's part in the bridge: its tracer and propagators. */
export interface BridgedApp {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
}

/** What attaching an app did: the API globals another library already held, named. */
export interface BridgeAttachment {
  /** Globals that were taken (by the OpenTelemetry SDK, say), each as a sentence for the log. */
  readonly conflicts: readonly string[];
  detach(): void;
}

interface Installed {
  readonly api: OpenTelemetryApiModule;
  readonly tracerProvider: boolean;
  readonly contextManager: boolean;
  readonly propagator: boolean;
}

/**
 * The OpenTelemetry API's globals (tracer provider, context manager, propagator), backed by
 * our tracer, context store and propagators while at least one app is attached. The API is
 * process-wide; an API span goes to the app whose context it starts in, else the latest.
 */
export class OpenTelemetryApiBridge {
  private readonly apps: BridgedApp[] = [];
  private installed: Installed | undefined;

  attach(api: OpenTelemetryApiModule, app: BridgedApp): BridgeAttachment {
    this.apps.push(app);
    const conflicts: string[] = [];
    if (this.installed === undefined) {
      const codec = baggageCodec(api);
      const contexts = new BridgeContextManager(codec);
      const installed: Installed = {
        api,
        // The context manager first: the provider's spans are made in its contexts.
        contextManager: api.context.setGlobalContextManager(contexts),
        tracerProvider: api.trace.setGlobalTracerProvider(
          new BridgeTracerProvider(() => this.tracer(), contexts),
        ),
        propagator: api.propagation.setGlobalPropagator(
          new BridgePropagator(() => this.apps.at(-1)?.propagator, codec),
        ),
      };
      this.installed = installed;
      if (!installed.tracerProvider) {
        conflicts.push(
          'another global TracerProvider is registered with @opentelemetry/api (the OpenTelemetry ' +
            'SDK?): spans started through the API go to it, not to nestjs-tracing. Remove that ' +
            "registration to trace them here, or set openTelemetryApi: false to keep the SDK's.",
        );
      }
      if (!installed.contextManager) {
        conflicts.push(
          'another global ContextManager is registered with @opentelemetry/api: API spans may not ' +
            'nest under nestjs-tracing spans (trace.getActiveSpan() does not see them).',
        );
      }
      if (!installed.propagator) {
        conflicts.push(
          'another global propagator is registered with @opentelemetry/api: propagation.inject ' +
            'uses it, not the propagators configured for nestjs-tracing.',
        );
      }
    }
    let attached = true;
    return {
      conflicts,
      detach: () => {
        if (!attached) return;
        attached = false;
        const i = this.apps.indexOf(app);
        if (i >= 0) this.apps.splice(i, 1);
        if (this.apps.length === 0) this.uninstall();
      },
    };
  }

  /** The tracer of the app whose context is active, else of the latest app. */
  private tracer(): Tracer | undefined {
    const owner = currentContext()?.tracer;
    if (owner !== undefined) {
      const app = this.apps.find((a) => a.tracer === owner);
      if (app !== undefined) return app.tracer;
    }
    return this.apps.at(-1)?.tracer;
  }

  /** Hands the API's globals back, only those this bridge registered. */
  private uninstall(): void {
    const installed = this.installed;
    this.installed = undefined;
    if (installed === undefined) return;
    if (installed.tracerProvider) installed.api.trace.disable();
    if (installed.contextManager) installed.api.context.disable();
    if (installed.propagator) installed.api.propagation.disable();
  }
}

function baggageCodec(api: OpenTelemetryApiModule): BaggageCodec {
  return {
    toApi(baggage: Baggage) {
      const entries: Record<string, OpenTelemetryApi.BaggageEntry> = {};
      for (const [key, entry] of baggage.all()) {
        entries[key] =
          entry.metadata === undefined
            ? { value: entry.value }
            : { value: entry.value, metadata: api.baggageEntryMetadataFromString(entry.metadata) };
      }
      return api.propagation.createBaggage(entries);
    },
  };
}

/** The process's bridge: the API's globals are process-wide, so there is one. */
export const openTelemetryApiBridge = new OpenTelemetryApiBridge();
