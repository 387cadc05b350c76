import type { IntegrationName } from '../config/integration-options.js';
import { currentContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import type { ActiveHost, Integration, IntegrationHost, IntegrationHosts } from './integration.js';

/** What registering a host switched on, and what failed to (named, never thrown). */
export interface RegisteredHost {
  /** The integrations this host's registration subscribed (others may already have been). */
  readonly enabled: readonly IntegrationName[];
  readonly failures: readonly string[];
  unregister(): void;
}

/**
 * The process's integrations: channels are process-wide, apps are not, so each integration
 * is subscribed once while any registered app wants it and its library is installed, and
 * each traced call goes to the app whose context it runs in.
 */
export class IntegrationRegistry implements IntegrationHosts {
  private readonly hosts: IntegrationHost[] = [];
  private readonly byTracer = new Map<Tracer, IntegrationHost>();
  private readonly subscribed = new Map<IntegrationName, () => void>();

  constructor(private readonly integrations: readonly Integration[]) {}

  register(host: IntegrationHost): RegisteredHost {
    this.hosts.push(host);
    this.byTracer.set(host.tracer, host);
    const enabled: IntegrationName[] = [];
    const failures: string[] = [];
    if (host.tracer.enabled) {
      for (const integration of this.integrations) {
        const { name } = integration;
        if (!host.settings.enabled.has(name) || this.subscribed.has(name)) continue;
        try {
          if (!integration.installed()) continue;
          this.subscribed.set(name, integration.enable(this));
          enabled.push(name);
        } catch (error) {
          failures.push(`integration "${name}" could not start: ${(error as Error)?.message}`);
        }
      }
    }
    let registered = true;
    return {
      enabled,
      failures,
      unregister: () => {
        if (!registered) return;
        registered = false;
        this.unregister(host);
      },
    };
  }

  current(integration: IntegrationName): ActiveHost | undefined {
    const context = currentContext();
    // Only calls made inside traced work (a request, a job, a @Traced() method): start-up
    // queries, connection housekeeping and background polling would each start a trace.
    if (context === undefined || context.suppressed || context.span === undefined) {
      return undefined;
    }
    const owner = context?.tracer;
    const host = (owner === undefined ? undefined : this.byTracer.get(owner)) ?? this.hosts.at(-1);
    if (host === undefined || !host.tracer.enabled || !host.settings.enabled.has(integration)) {
      return undefined;
    }
    return { host, context };
  }

  /** The integrations subscribed now, for tests and health. */
  active(): IntegrationName[] {
    return [...this.subscribed.keys()];
  }

  private unregister(host: IntegrationHost): void {
    const i = this.hosts.indexOf(host);
    if (i >= 0) this.hosts.splice(i, 1);
    if (this.byTracer.get(host.tracer) === host) {
      this.byTracer.delete(host.tracer);
      const other = this.hosts.find((h) => h.tracer === host.tracer);
      if (other !== undefined) this.byTracer.set(other.tracer, other);
    }
    for (const [name, dispose] of this.subscribed) {
      if (this.hosts.some((h) => h.tracer.enabled && h.settings.enabled.has(name))) continue;
      this.subscribed.delete(name);
      try {
        dispose();
      } catch {
        // Unsubscribing never throws in Node; a wrapped library's restore is best effort.
      }
    }
  }
}
