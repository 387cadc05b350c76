import { invalidOption, rejectUnknownOptions } from '../tracing.errors.js';
import { optionKeys } from './option-keys.js';

/** The client libraries traced automatically, each with its own switch in `forRoot({ integrations })`. */
export const INTEGRATION_NAMES = [
  'fetch',
  'http',
  'pg',
  'mysql2',
  'ioredis',
  'redis',
  'mongoose',
  'graphql',
] as const;

export type IntegrationName = (typeof INTEGRATION_NAMES)[number];

/** How a database span records its statement (`db.query.text`). */
export type QueryTextMode = 'sanitized' | 'raw' | false;

/** `forRoot({ integrations })`: every integration is on unless switched off here. */
export interface IntegrationsOptions {
  /** `fetch()` and undici clients: a CLIENT span per request, trace headers added. @default true */
  fetch?: boolean;
  /** The `node:http` / `node:https` client (axios, got, the SDKs built on it). @default true */
  http?: boolean;
  /** PostgreSQL through `pg` (and TypeORM, MikroORM, Prisma's pg adapter on top of it). @default true */
  pg?: boolean;
  /** MySQL / MariaDB through `mysql2` (>= 3.20). @default true */
  mysql2?: boolean;
  /** Redis through `ioredis` (>= 5.11). @default true */
  ioredis?: boolean;
  /** Redis through `redis` / `@redis/client` (>= 5.12). @default true */
  redis?: boolean;
  /** MongoDB through `mongoose` (>= 9.7). @default true */
  mongoose?: boolean;
  /**
   * GraphQL (graphql >= 17): operation name and type on the server span, a span per
   * parse/validate/execute; `{ resolvers: true }` adds a span per field resolver. @default true
   */
  graphql?: boolean | { resolvers?: boolean };
  /**
   * What database spans record as `db.query.text`: `'sanitized'` replaces literals with `?`,
   * `'raw'` keeps the statement as written, `false` records none. Bound parameters are
   * never recorded. @default 'sanitized'
   */
  queryText?: QueryTextMode;
}

/** The options after defaults and `OTEL_NODE_(EN|DIS)ABLED_INSTRUMENTATIONS`. */
export interface ResolvedIntegrations {
  readonly enabled: ReadonlySet<IntegrationName>;
  readonly queryText: QueryTextMode;
  readonly graphqlResolvers: boolean;
}

const KNOWN_INTEGRATION_OPTIONS = optionKeys<IntegrationsOptions>({
  fetch: true,
  http: true,
  pg: true,
  mysql2: true,
  ioredis: true,
  redis: true,
  mongoose: true,
  graphql: true,
  queryText: true,
});

const KNOWN_GRAPHQL_OPTIONS = optionKeys<{ resolvers?: boolean }>({ resolvers: true });

/**
 * The names `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` use
 * (OpenTelemetry's auto-instrumentations-node), mapped to ours; our own names work too.
 */
const OTEL_NAMES: Readonly<Record<string, IntegrationName>> = {
  undici: 'fetch',
  fetch: 'fetch',
  http: 'http',
  pg: 'pg',
  mysql2: 'mysql2',
  ioredis: 'ioredis',
  redis: 'redis',
  'redis-4': 'redis',
  mongoose: 'mongoose',
  graphql: 'graphql',
};

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `integrations` after defaults: `false` switches every integration off; each key switches
 * one. The OpenTelemetry variables narrow the set (an option set to `true` wins over them).
 */
export function resolveIntegrations(
  option: IntegrationsOptions | false | undefined,
  env: Env,
  warnings: string[],
): ResolvedIntegrations {
  if (option === false) {
    return { enabled: new Set(), queryText: 'sanitized', graphqlResolvers: false };
  }
  const options = option ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('integrations', 'false or an object', option);
  }
  rejectUnknownOptions(options, 'integrations', KNOWN_INTEGRATION_OPTIONS);
  const enabled = new Set<IntegrationName>(INTEGRATION_NAMES);
  const listed = (name: string): Set<IntegrationName> | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const names = new Set<IntegrationName>();
    for (const entry of raw.split(',')) {
      const key = entry.trim().replace(/^@opentelemetry\/instrumentation-/, '');
      if (!key) continue;
      const ours = OTEL_NAMES[key];
      if (ours === undefined)
        warnings.push(
          `${name}: "${key}" names no integration of nestjs-tracing (known: ${Object.keys(OTEL_NAMES).join(', ')}); ignored.`,
        );
      else names.add(ours);
    }
    return names;
  };
  const only = listed('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  if (only !== undefined)
    for (const name of INTEGRATION_NAMES) if (!only.has(name)) enabled.delete(name);
  for (const name of listed('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) enabled.delete(name);

  let graphqlResolvers = false;
  for (const name of INTEGRATION_NAMES) {
    const value: unknown = options[name];
    if (value === undefined) continue;
    if (
      name === 'graphql' &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value)
    ) {
      rejectUnknownOptions(value, 'integrations.graphql', KNOWN_GRAPHQL_OPTIONS);
      const resolvers: unknown = (value as { resolvers?: unknown }).resolvers;
      if (resolvers !== undefined && typeof resolvers !== 'boolean') {
        throw invalidOption('integrations.graphql.resolvers', 'a boolean', resolvers);
      }
      graphqlResolvers = resolvers === true;
      enabled.add(name);
      continue;
    }
    if (typeof value !== 'boolean') {
      throw invalidOption(
        `integrations.${name}`,
        name === 'graphql' ? 'a boolean or { resolvers: boolean }' : 'a boolean',
        value,
      );
    }
    if (value) enabled.add(name);
    else enabled.delete(name);
  }
  const queryText = options.queryText ?? 'sanitized';
  if (queryText !== 'sanitized' && queryText !== 'raw' && queryText !== false) {
    throw invalidOption('integrations.queryText', "'sanitized', 'raw' or false", queryText);
  }
  return { enabled, queryText, graphqlResolvers };
}
