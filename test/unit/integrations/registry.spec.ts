import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { runSuppressed, runWithContext, TraceContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { createIntegrationHost } from '../../../lib/integrations/host.js';
import type { Integration, IntegrationHosts } from '../../../lib/integrations/integration.js';
import { IntegrationRegistry } from '../../../lib/integrations/registry.js';
import type { TracingModuleOptions } from '../../../lib/interfaces/tracing-module-options.interface.js';

function app(options: TracingModuleOptions = {}, env: Record<string, string> = {}) {
  const config = resolveTracingConfig({ serviceName: 'unit', ...options }, env);
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    resource: { attributes: { 'service.name': 'unit' } },
    enabled: config.enabled,
  });
  return { tracer, host: createIntegrationHost(tracer, config) };
}

/** An integration that records its subscriptions and hands back the registry it was given. */
function recording(name: Integration['name'], installed = true) {
  const log: string[] = [];
  let hosts: IntegrationHosts | undefined;
  const integration: Integration = {
    name,
    installed: () => installed,
    enable(given) {
      hosts = given;
      log.push('enable');
      return () => log.push('disable');
    },
  };
  return { integration, log, hosts: () => hosts! };
}

describe('IntegrationRegistry', () => {
  it('subscribes each installed integration once, while any app wants it', () => {
    const pg = recording('pg');
    const redis = recording('redis', false);
    const registry = new IntegrationRegistry([pg.integration, redis.integration]);
    const a = registry.register(app().host);
    const b = registry.register(app().host);
    expect(a.enabled).toEqual(['pg']);
    expect(b.enabled).toEqual([]);
    expect(pg.log).toEqual(['enable']);
    expect(redis.log).toEqual([]);
    a.unregister();
    expect(pg.log).toEqual(['enable']);
    b.unregister();
    b.unregister();
    expect(pg.log).toEqual(['enable', 'disable']);
    expect(registry.active()).toEqual([]);
  });

  it('subscribes nothing for an app that switched the integration (or tracing) off', () => {
    const pg = recording('pg');
    const registry = new IntegrationRegistry([pg.integration]);
    registry.register(app({ integrations: { pg: false } }).host);
    registry.register(app({ integrations: false }).host);
    registry.register(app({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }).host);
    registry.register(app({ enabled: false }).host);
    expect(pg.log).toEqual([]);
  });

  it('names an integration that fails to start instead of throwing', () => {
    const broken: Integration = {
      name: 'mysql2',
      installed: () => true,
      enable: () => {
        throw new Error('channel gone');
      },
    };
    const registered = new IntegrationRegistry([broken]).register(app().host);
    expect(registered.failures).toEqual(['integration "mysql2" could not start: channel gone']);
  });

  it("traces a call with the app whose context it runs in, else the latest app's", () => {
    const pg = recording('pg');
    const registry = new IntegrationRegistry([pg.integration]);
    const first = app();
    const second = app({ integrations: { pg: false, http: true } });
    registry.register(first.host);
    registry.register(second.host);
    const hosts = pg.hosts();
    // Outside traced work (no active span): nothing is traced.
    expect(hosts.current('http')).toBeUndefined();
    // A span of no app's context (a tracer of its own): the latest app, which switched pg off.
    const unowned = new TraceContext(
      first.tracer.startSpan('job'),
      undefined,
      undefined,
      undefined,
      false,
    );
    runWithContext(unowned, () => {
      expect(hosts.current('pg')).toBeUndefined();
      expect(hosts.current('http')?.host).toBe(second.host);
    });
    const owned = new TraceContext(
      first.tracer.startSpan('request'),
      'c1',
      undefined,
      first.tracer,
      false,
    );
    runWithContext(owned, () => {
      expect(hosts.current('pg')?.host).toBe(first.host);
      expect(hosts.current('pg')?.context).toBe(owned);
      // The library's own work (exports) is never traced.
      runSuppressed(() => expect(hosts.current('pg')).toBeUndefined());
    });
  });
});

describe('integrations option', () => {
  it('rejects unknown keys and bad values, naming the option', () => {
    expect(() => resolveTracingConfig({ integrations: { postgres: false } as never }, {})).toThrow(
      /integrations/,
    );
    expect(() => resolveTracingConfig({ integrations: { pg: 'no' } as never }, {})).toThrow(
      'option "integrations.pg" must be a boolean',
    );
    expect(() =>
      resolveTracingConfig({ integrations: { queryText: 'full' } as never }, {}),
    ).toThrow('integrations.queryText');
    expect(() =>
      resolveTracingConfig({ integrations: { graphql: { resolver: true } } as never }, {}),
    ).toThrow(/integrations\.graphql/);
  });

  it('reads OpenTelemetry’s enable and disable lists, an explicit option winning', () => {
    const only = resolveTracingConfig(
      { integrations: { redis: true } },
      {
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,undici',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      },
    );
    expect([...only.integrations.enabled].toSorted()).toEqual(['fetch', 'redis']);
    const warned = resolveTracingConfig({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'nope' });
    expect(warned.warnings.join()).toContain('"nope" names no integration');
    const gql = resolveTracingConfig({ integrations: { graphql: { resolvers: true } } }, {});
    expect(gql.integrations.graphqlResolvers).toBe(true);
    expect(gql.integrations.queryText).toBe('sanitized');
  });
});
