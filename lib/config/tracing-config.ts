import { ConsoleSpanExporter } from '../export/spans/console-span-exporter.js';
import { InMemorySpanExporter } from '../export/spans/in-memory-span-exporter.js';
import { createPropagator, parsePropagatorList } from '../core/propagation/propagator-factory.js';
import type { TextMapPropagator } from '../core/propagation/text-map-propagator.js';
import { parseResourceAttributes } from '../core/resource.js';
import {
  createSampler,
  FunctionSampler,
  SAMPLER_NAMES,
  type Sampler,
  type SamplerName,
} from '../core/samplers.js';
import type { SpanExporter } from '../core/span-exporter.js';
import type { BatchSpanProcessorOptions } from '../core/batch-span-processor.js';
import { DEFAULT_SPAN_LIMITS, type Attributes, type SpanLimits } from '../core/types.js';
import { DEFAULT_OTLP_TRACES_URL, isHttpUrl } from '../export/spans/otlp/otlp-http-options.js';
import { DEFAULT_ZIPKIN_URL } from '../export/spans/zipkin/zipkin-exporter.js';
import { optionKeys } from './option-keys.js';
import { findInvalidBatchOption } from './batch-options.js';
import {
  ENV_EXPORTER_NAMES,
  isSpanExporterType,
  SPAN_EXPORTER_TYPES,
  type SpanExporterType,
} from './exporter-types.js';
import type {
  BuiltInExporterConfig,
  CorrelationOptions,
  ExporterOption,
  IgnoredRoute,
  SamplingOptions,
  TailSamplingOptions,
  TracingModuleOptions,
} from '../interfaces/tracing-module-options.interface.js';
import type { ErrorPolicy } from '../core/error-policy.js';
import { resolveErrorPolicy } from './error-options.js';
import {
  invalidOption,
  MESSAGES,
  rejectUnknownOptions,
  TracingConfigError,
} from '../tracing.errors.js';
import { isHttpToken } from '../core/http-token.js';
import { resolveIntegrations, type ResolvedIntegrations } from './integration-options.js';
import {
  DEFAULT_TAIL_BOUNDS,
  type SpanRule,
  type TailSamplingPolicy,
} from '../core/tail-sampler.js';

/** Options after defaults and OTEL_* variables: what the rest of the module reads. */
export interface ResolvedTracingConfig {
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  readonly environment: string | undefined;
  readonly resourceAttributes: Attributes;
  /** The head sampler (with tail sampling on, applied at the tail, not by the tracer). */
  readonly sampler: Sampler;
  /** `sampling.tail`, resolved; undefined when off. */
  readonly tailSampling: TailSamplingPolicy | undefined;
  readonly propagator: TextMapPropagator;
  readonly exporters: readonly ExporterOption[];
  readonly correlationRequestHeaders: readonly string[];
  readonly correlationResponseHeader: string | undefined;
  readonly generateCorrelationId: (() => string) | undefined;
  readonly isIgnoredRoute: (path: string) => boolean;
  readonly spanLimits: SpanLimits;
  readonly batch: BatchSpanProcessorOptions;
  /** Trace HTTP from the platform's hooks (`instrumentServer`), not only the interceptor. */
  readonly instrumentServer: boolean;
  /** Which thrown values and response statuses fail a span (`errors.countAsError`). */
  readonly errorPolicy: ErrorPolicy;
  /** Which client libraries are traced from their channels (`integrations`). */
  readonly integrations: ResolvedIntegrations;
  /** The options as given, for features that validate and read their own section. */
  readonly options: Readonly<TracingModuleOptions>;
  /** Env-variable problems to log once the logger is up (never thrown: the environment is not code). */
  readonly warnings: readonly string[];
}

type Env = Record<string, string | undefined>;

/**
 * The routes the library's features serve (e.g. `/metrics`), which are never traced:
 * read from the options, and only when tracing is on.
 */
export type FeatureRoutes = (options: Readonly<TracingModuleOptions>) => readonly IgnoredRoute[];

const KNOWN_OPTIONS = optionKeys<TracingModuleOptions>({
  serviceName: true,
  serviceVersion: true,
  environment: true,
  resourceAttributes: true,
  enabled: true,
  sampler: true,
  sampling: true,
  propagators: true,
  correlation: true,
  exporters: true,
  ignoreRoutes: true,
  spanLimits: true,
  batch: true,
  instrumentServer: true,
  mountMiddleware: true,
  devtools: true,
  metrics: true,
  health: true,
  genAi: true,
  logging: true,
  errors: true,
  integrations: true,
  openTelemetryApi: true,
});

/**
 * Validates options (throwing on the first bad one) and merges in OTEL_* variables.
 * `featureRoutes` adds the features' own routes to `isIgnoredRoute`.
 */
export function resolveTracingConfig(
  options: TracingModuleOptions = {},
  env: Env = process.env,
  featureRoutes?: FeatureRoutes,
): ResolvedTracingConfig {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', 'an object', options);
  }
  rejectUnknownOptions(options, '', KNOWN_OPTIONS);
  const warnings: string[] = [];
  let envResource: Attributes = {};
  try {
    envResource = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  } catch (error) {
    warnings.push((error as Error).message);
  }

  optionalString(options, 'serviceName');
  optionalString(options, 'serviceVersion');
  optionalString(options, 'environment');
  if (options.serviceName === '') throw invalidOption('serviceName', 'a non-empty string', '');
  const envService = env.OTEL_SERVICE_NAME?.trim();
  const serviceName =
    options.serviceName ??
    (envService || undefined) ??
    (typeof envResource['service.name'] === 'string' ? envResource['service.name'] : undefined) ??
    'unknown_service:node';

  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    throw invalidOption('enabled', 'a boolean', options.enabled);
  }
  const enabled = options.enabled ?? !sdkDisabled(env, warnings);
  validateResourceAttributes(options.resourceAttributes);

  return {
    enabled,
    serviceName,
    serviceVersion: options.serviceVersion ?? stringAttr(envResource['service.version']),
    environment: options.environment ?? stringAttr(envResource['deployment.environment.name']),
    resourceAttributes: { ...envResource, ...options.resourceAttributes },
    ...resolveSampling(options, env, warnings),
    propagator: resolvePropagator(options, env, warnings),
    exporters: resolveExporters(options, env, warnings),
    ...resolveCorrelation(options),
    spanLimits: resolveLimits(options, env, warnings),
    batch: resolveBatch(options, env, warnings),
    instrumentServer: resolveInstrumentServer(options, warnings),
    errorPolicy: resolveErrorPolicy(options.errors),
    integrations: resolveIntegrations(options.integrations, env, warnings),
    // Last: the features validate their own sections once the shared options are known good.
    isIgnoredRoute: resolveIgnoredRoutes(options.ignoreRoutes, () =>
      enabled && featureRoutes !== undefined ? featureRoutes(options) : [],
    ),
    options,
    warnings,
  };
}

/** OTEL_SDK_DISABLED: `true` or `false` (any case); anything else is warned about and ignored. */
function sdkDisabled(env: Env, warnings: string[]): boolean {
  const raw = env.OTEL_SDK_DISABLED?.trim();
  if (!raw) return false;
  const value = raw.toLowerCase();
  if (value !== 'true' && value !== 'false') {
    warnings.push(MESSAGES.envIgnored('OTEL_SDK_DISABLED', raw, 'true or false'));
  }
  return value === 'true';
}

const ATTRIBUTE_VALUE = 'a string, number, boolean or an array of one of these';

/** Resource attributes go on the wire as they are: only OpenTelemetry attribute values. */
function validateResourceAttributes(value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption('resourceAttributes', 'an object of attribute values', value);
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isAttributeValue(item)) {
      throw invalidOption(`resourceAttributes[${JSON.stringify(key)}]`, ATTRIBUTE_VALUE, item);
    }
  }
}

function isAttributeValue(value: unknown): boolean {
  if (!Array.isArray(value)) return isScalar(value);
  const kinds = new Set(value.map((item) => typeof item));
  return kinds.size <= 1 && value.every(isScalar);
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
}

function optionalString(options: TracingModuleOptions, key: keyof TracingModuleOptions): void {
  const value = options[key];
  if (value !== undefined && typeof value !== 'string') throw invalidOption(key, 'a string', value);
}

function stringAttr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// The deprecated name is warned about once per process, not once per module built.
let mountMiddlewareWarned = false;

/** `instrumentServer`, or its deprecated alias `mountMiddleware`. */
function resolveInstrumentServer(options: TracingModuleOptions, warnings: string[]): boolean {
  if (options.mountMiddleware === undefined) {
    return resolveBoolean(options, 'instrumentServer', true);
  }
  if (options.instrumentServer !== undefined) {
    throw new TracingConfigError(
      'TracingModule: options "instrumentServer" and "mountMiddleware" are the same option; ' +
        'set only "instrumentServer" ("mountMiddleware" is its deprecated name).',
    );
  }
  const value = resolveBoolean(options, 'mountMiddleware', true);
  if (!mountMiddlewareWarned) {
    mountMiddlewareWarned = true;
    warnings.push(MESSAGES.optionRenamed('mountMiddleware', 'instrumentServer'));
  }
  return value;
}

function resolveBoolean(
  options: TracingModuleOptions,
  key: 'instrumentServer' | 'mountMiddleware',
  fallback: boolean,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(key, 'a boolean', value);
  return value;
}

function isSamplerName(value: unknown): value is SamplerName {
  return typeof value === 'string' && (SAMPLER_NAMES as readonly string[]).includes(value);
}

const SAMPLER_OBJECT_KEYS = optionKeys<{ type: SamplerName; ratio?: number }>({
  type: true,
  ratio: true,
});

function resolveSampler(options: TracingModuleOptions, env: Env, warnings: string[]): Sampler {
  const option = options.sampler;
  const expected = `one of ${SAMPLER_NAMES.join(', ')}, { type, ratio }, a Sampler or a function`;
  if (option !== undefined) {
    if (typeof option === 'function') return new FunctionSampler(option);
    if (isSamplerName(option)) return createSampler(option);
    if (option && typeof option === 'object') {
      if ('shouldSample' in option && typeof option.shouldSample === 'function') return option;
      rejectUnknownOptions(option, 'sampler', SAMPLER_OBJECT_KEYS);
      if ('type' in option) {
        if (!isSamplerName(option.type)) throw invalidOption('sampler.type', expected, option.type);
        const ratio = option.ratio;
        if (ratio !== undefined && !(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
          throw invalidOption('sampler.ratio', 'a number from 0 to 1', ratio);
        }
        return createSampler(option.type, ratio);
      }
    }
    throw invalidOption('sampler', expected, option);
  }
  const envName = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  let name: SamplerName = 'parentbased_always_on';
  if (envName) {
    if (isSamplerName(envName)) name = envName;
    else
      warnings.push(MESSAGES.envIgnored('OTEL_TRACES_SAMPLER', envName, SAMPLER_NAMES.join(', ')));
  }
  let ratio: number | undefined;
  const envArg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (envArg && name.endsWith('traceidratio')) {
    const parsed = Number(envArg);
    if (envArg !== '' && parsed >= 0 && parsed <= 1) ratio = parsed;
    else
      warnings.push(MESSAGES.envIgnored('OTEL_TRACES_SAMPLER_ARG', envArg, 'a number from 0 to 1'));
  }
  return createSampler(name, ratio);
}

const SAMPLING_KEYS = optionKeys<SamplingOptions>({ tail: true });
const TAIL_KEYS = optionKeys<TailSamplingOptions>({
  enabled: true,
  keepErrors: true,
  thresholdMs: true,
  keep: true,
  drop: true,
  maxTraces: true,
  maxSpansPerTrace: true,
  maxWaitMs: true,
});
const RULE_KEYS = optionKeys<SpanRule>({
  route: true,
  statusCode: true,
  attributes: true,
  match: true,
});

/** The head sampler and, when `sampling.tail` is on, the tail policy around it. */
function resolveSampling(
  options: TracingModuleOptions,
  env: Env,
  warnings: string[],
): { sampler: Sampler; tailSampling: TailSamplingPolicy | undefined } {
  const sampler = resolveSampler(options, env, warnings);
  const sampling = options.sampling;
  if (sampling === undefined) return { sampler, tailSampling: undefined };
  if (sampling === null || typeof sampling !== 'object' || Array.isArray(sampling)) {
    throw invalidOption('sampling', 'an object', sampling);
  }
  rejectUnknownOptions(sampling, 'sampling', SAMPLING_KEYS);
  const tail = sampling.tail;
  if (tail === undefined) return { sampler, tailSampling: undefined };
  if (tail === null || typeof tail !== 'object' || Array.isArray(tail)) {
    throw invalidOption('sampling.tail', 'an object', tail);
  }
  rejectUnknownOptions(tail, 'sampling.tail', TAIL_KEYS);
  if (tail.enabled !== undefined && typeof tail.enabled !== 'boolean') {
    throw invalidOption('sampling.tail.enabled', 'a boolean', tail.enabled);
  }
  if (tail.keepErrors !== undefined && typeof tail.keepErrors !== 'boolean') {
    throw invalidOption('sampling.tail.keepErrors', 'a boolean', tail.keepErrors);
  }
  if (
    tail.thresholdMs !== undefined &&
    !(typeof tail.thresholdMs === 'number' && tail.thresholdMs >= 0)
  ) {
    throw invalidOption('sampling.tail.thresholdMs', 'a non-negative number', tail.thresholdMs);
  }
  const bound = (key: 'maxTraces' | 'maxSpansPerTrace' | 'maxWaitMs'): number => {
    const value = tail[key];
    if (value === undefined) return DEFAULT_TAIL_BOUNDS[key];
    if (!Number.isInteger(value) || value < 1) {
      throw invalidOption(`sampling.tail.${key}`, 'a positive integer', value);
    }
    return value;
  };
  const policy: TailSamplingPolicy = {
    headSampler: sampler,
    keepErrors: tail.keepErrors ?? true,
    thresholdMs: tail.thresholdMs,
    keep: resolveRules(tail.keep, 'sampling.tail.keep'),
    drop: resolveRules(tail.drop, 'sampling.tail.drop'),
    maxTraces: bound('maxTraces'),
    maxSpansPerTrace: bound('maxSpansPerTrace'),
    maxWaitMs: bound('maxWaitMs'),
  };
  return { sampler, tailSampling: tail.enabled === false ? undefined : policy };
}

function resolveRules(rules: unknown, path: string): SpanRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) throw invalidOption(path, 'an array of rules', rules);
  return rules.map((rule: unknown, i) => {
    const at = `${path}[${i}]`;
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      throw invalidOption(at, '{ route?, statusCode?, attributes?, match? }', rule);
    }
    rejectUnknownOptions(rule, at, RULE_KEYS);
    const r = rule as SpanRule;
    if (r.route !== undefined && typeof r.route !== 'string' && !(r.route instanceof RegExp)) {
      throw invalidOption(`${at}.route`, 'a route string or a RegExp', r.route);
    }
    const codes = r.statusCode;
    if (
      codes !== undefined &&
      !Number.isInteger(codes) &&
      !(Array.isArray(codes) && codes.every((c) => Number.isInteger(c)))
    ) {
      throw invalidOption(`${at}.statusCode`, 'a status code or an array of them', codes);
    }
    if (r.attributes !== undefined) {
      if (r.attributes === null || typeof r.attributes !== 'object') {
        throw invalidOption(`${at}.attributes`, 'an object of attribute values', r.attributes);
      }
      for (const [key, value] of Object.entries(r.attributes)) {
        if (!isScalar(value)) {
          throw invalidOption(
            `${at}.attributes[${JSON.stringify(key)}]`,
            'a string, number or boolean',
            value,
          );
        }
      }
    }
    if (r.match !== undefined && typeof r.match !== 'function') {
      throw invalidOption(`${at}.match`, 'a function (root, spans) => boolean', r.match);
    }
    if (
      r.route === undefined &&
      codes === undefined &&
      r.attributes === undefined &&
      r.match === undefined
    ) {
      throw invalidOption(
        at,
        'a rule with at least one of route, statusCode, attributes, match',
        rule,
      );
    }
    return r;
  });
}

function resolvePropagator(
  options: TracingModuleOptions,
  env: Env,
  warnings: string[],
): TextMapPropagator {
  const option = options.propagators;
  if (option !== undefined) {
    if (Array.isArray(option)) {
      try {
        return createPropagator(option.map((n) => String(n).toLowerCase()));
      } catch (error) {
        throw new TracingConfigError(
          `TracingModule: option "propagators": ${(error as Error).message}`,
        );
      }
    }
    if (option && typeof option === 'object' && typeof option.inject === 'function') return option;
    throw invalidOption(
      'propagators',
      'an array of propagator names or a TextMapPropagator',
      option,
    );
  }
  const names = parsePropagatorList(env.OTEL_PROPAGATORS);
  try {
    return createPropagator(names);
  } catch (error) {
    warnings.push((error as Error).message + ' Using tracecontext,baggage.');
    return createPropagator([]);
  }
}

type BuiltIn<T extends SpanExporterType> = Extract<BuiltInExporterConfig, { type: T }>;
const OTLP_KEYS = optionKeys<BuiltIn<'otlp'>>({
  type: true,
  url: true,
  protocol: true,
  headers: true,
  compression: true,
  timeoutMs: true,
  insecure: true,
  tls: true,
  batch: true,
});
const OTLP_PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json', 'grpc'];
/** The keys of each built-in exporter's entry. */
const EXPORTER_KEYS: Readonly<Record<SpanExporterType, readonly string[]>> = {
  console: optionKeys<BuiltIn<'console'>>({
    type: true,
    format: true,
    write: true,
    attributeKeys: true,
    maxPendingSpans: true,
    batch: true,
  }),
  memory: optionKeys<BuiltIn<'memory'>>({ type: true, maxSpans: true }),
  file: optionKeys<BuiltIn<'file'>>({
    type: true,
    path: true,
    maxFileBytes: true,
    maxFiles: true,
    batch: true,
  }),
  otlp: OTLP_KEYS,
  jaeger: OTLP_KEYS,
  zipkin: optionKeys<BuiltIn<'zipkin'>>({
    type: true,
    url: true,
    headers: true,
    timeoutMs: true,
    serviceName: true,
    batch: true,
  }),
};
const DEFAULT_URLS: Readonly<Record<string, string>> = {
  otlp: DEFAULT_OTLP_TRACES_URL,
  jaeger: DEFAULT_OTLP_TRACES_URL,
  zipkin: DEFAULT_ZIPKIN_URL,
};

function resolveExporters(
  options: TracingModuleOptions,
  env: Env,
  warnings: string[],
): ExporterOption[] {
  const option = options.exporters;
  if (option !== undefined) {
    if (!Array.isArray(option)) throw invalidOption('exporters', 'an array', option);
    option.forEach((entry, i) => validateExporter(entry, `exporters[${i}]`));
    return [...option];
  }
  const names = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: ExporterOption[] = [];
  if (names.length === 0) warnings.push(MESSAGES.noExporters);
  for (const name of names) {
    const known = ENV_EXPORTER_NAMES.find((n) => n === name);
    if (known === undefined) warnings.push(MESSAGES.exporterUnavailable(name));
    else if (known !== 'none') out.push({ type: known });
  }
  return out;
}

/** The protocol, and the gRPC-only options given with an explicit HTTP protocol. */
function validateOtlpProtocol(entry: object, path: string): void {
  const { protocol, insecure, tls } = entry as {
    protocol?: unknown;
    insecure?: unknown;
    tls?: unknown;
  };
  if (protocol !== undefined && !OTLP_PROTOCOLS.includes(protocol as string)) {
    throw invalidOption(`${path}.protocol`, '"http/protobuf", "http/json" or "grpc"', protocol);
  }
  if (protocol !== undefined && protocol !== 'grpc') {
    const grpcOnly = insecure !== undefined ? 'insecure' : tls !== undefined ? 'tls' : undefined;
    if (grpcOnly !== undefined) {
      throw new TracingConfigError(
        `TracingModule: option "${path}.${grpcOnly}" applies to protocol "grpc" only, not "${protocol}".`,
      );
    }
  }
}

function validateExporter(entry: unknown, path: string): void {
  if (typeof entry === 'function') {
    const proto = (entry as { prototype?: { export?: unknown } }).prototype;
    if (proto && typeof proto.export === 'function') return;
    throw invalidOption(path, 'a class implementing SpanExporter (with an export method)', entry);
  }
  if (entry && typeof entry === 'object') {
    if (typeof (entry as SpanExporter).export === 'function') return;
    const type = (entry as { type?: unknown }).type;
    if (isSpanExporterType(type)) {
      rejectUnknownOptions(entry, path, EXPORTER_KEYS[type]);
      const url = (entry as { url?: unknown }).url;
      if (url !== undefined && (typeof url !== 'string' || !isHttpUrl(url))) {
        throw invalidOption(
          `${path}.url`,
          `an http: or https: URL such as ${DEFAULT_URLS[type]}`,
          url,
        );
      }
      if (type === 'otlp' || type === 'jaeger') validateOtlpProtocol(entry, path);
      const batch = (entry as { batch?: unknown }).batch;
      if (batch !== undefined && batch !== false) {
        if (typeof batch !== 'object' || batch === null) {
          throw invalidOption(`${path}.batch`, 'an object of batch options or false', batch);
        }
        const invalid = findInvalidBatchOption(batch, `${path}.batch`);
        if (invalid) throw new TracingConfigError(`TracingModule: ${invalid}.`);
      }
      if (type === 'file' && typeof (entry as { path?: unknown }).path !== 'string') {
        throw invalidOption(`${path}.path`, 'a file path', (entry as { path?: unknown }).path);
      }
      return;
    }
    if ('type' in entry) {
      throw invalidOption(
        `${path}.type`,
        SPAN_EXPORTER_TYPES.map((t) => `"${t}"`).join(', '),
        type,
      );
    }
  }
  throw invalidOption(
    path,
    `{ type: ${SPAN_EXPORTER_TYPES.map((t) => `'${t}'`).join(' | ')}, ... }, an exporter class or a SpanExporter instance`,
    entry,
  );
}

export function isBuiltInExporterClass(value: unknown): boolean {
  return value === ConsoleSpanExporter || value === InMemorySpanExporter;
}

const CORRELATION_KEYS = optionKeys<CorrelationOptions>({
  requestHeaders: true,
  responseHeader: true,
  generate: true,
});

function resolveCorrelation(options: TracingModuleOptions) {
  const c = options.correlation ?? {};
  if (typeof c !== 'object' || c === null) throw invalidOption('correlation', 'an object', c);
  rejectUnknownOptions(c, 'correlation', CORRELATION_KEYS);
  const requestHeaders = c.requestHeaders ?? ['x-correlation-id', 'x-request-id'];
  if (!Array.isArray(requestHeaders)) {
    throw invalidOption('correlation.requestHeaders', 'an array of header names', requestHeaders);
  }
  const lowered = requestHeaders.map((h, i) => {
    if (typeof h !== 'string' || !isHttpToken(h)) {
      throw invalidOption(`correlation.requestHeaders[${i}]`, 'a header name', h);
    }
    return h.toLowerCase();
  });
  const response = c.responseHeader ?? 'x-correlation-id';
  if (response !== false && (typeof response !== 'string' || !isHttpToken(response))) {
    throw invalidOption('correlation.responseHeader', 'a header name or false', response);
  }
  if (c.generate !== undefined && typeof c.generate !== 'function') {
    throw invalidOption('correlation.generate', 'a function returning a string', c.generate);
  }
  return {
    correlationRequestHeaders: lowered,
    correlationResponseHeader: response === false ? undefined : response.toLowerCase(),
    generateCorrelationId: c.generate,
  };
}

function resolveIgnoredRoutes(
  routes: IgnoredRoute[] | undefined,
  featureRoutes: () => readonly IgnoredRoute[],
): (path: string) => boolean {
  if (routes !== undefined && !Array.isArray(routes))
    throw invalidOption('ignoreRoutes', 'an array of paths or RegExps', routes);
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  const add = (route: IgnoredRoute): boolean => {
    if (route instanceof RegExp) patterns.push(route);
    else if (typeof route === 'string' && route.startsWith('/')) {
      if (route.endsWith('*')) prefixes.push(route.slice(0, -1));
      else exact.add(stripTrailingSlash(route));
    } else return false;
    return true;
  };
  routes?.forEach((route, i) => {
    if (!add(route)) {
      throw invalidOption(`ignoreRoutes[${i}]`, 'a path starting with "/" or a RegExp', route);
    }
  });
  // The features' paths come from their own options, which they validate.
  for (const route of featureRoutes()) add(route);
  if (exact.size === 0 && prefixes.length === 0 && patterns.length === 0) return () => false;
  return (path) => {
    const p = stripTrailingSlash(path);
    if (exact.has(p)) return true;
    for (const prefix of prefixes) if (p.startsWith(prefix)) return true;
    for (const re of patterns) {
      re.lastIndex = 0;
      if (re.test(path)) return true;
    }
    return false;
  };
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

const LIMIT_ENV: Record<keyof SpanLimits, string[]> = {
  attributeCountLimit: ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
  attributeValueLengthLimit: [
    'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ],
  eventCountLimit: ['OTEL_SPAN_EVENT_COUNT_LIMIT'],
  linkCountLimit: ['OTEL_SPAN_LINK_COUNT_LIMIT'],
};

function resolveLimits(options: TracingModuleOptions, env: Env, warnings: string[]): SpanLimits {
  const given = options.spanLimits ?? {};
  if (typeof given !== 'object' || given === null) {
    throw invalidOption('spanLimits', 'an object', given);
  }
  rejectUnknownOptions(given, 'spanLimits', Object.keys(LIMIT_ENV));
  const limits: SpanLimits = { ...DEFAULT_SPAN_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as (keyof SpanLimits)[]) {
    const value = given[key];
    if (value !== undefined) {
      if (!Number.isInteger(value) || value < 0) {
        throw invalidOption(`spanLimits.${key}`, 'a non-negative integer', value);
      }
      limits[key] = value;
      continue;
    }
    for (const name of LIMIT_ENV[key]) {
      const raw = env[name]?.trim();
      if (!raw) continue;
      const parsed = Number(raw);
      if (Number.isInteger(parsed) && parsed >= 0) limits[key] = parsed;
      else warnings.push(MESSAGES.envIgnored(name, raw, 'a non-negative integer'));
      break;
    }
  }
  return limits;
}

const BSP_ENV: [keyof BatchSpanProcessorOptions, string][] = [
  ['scheduledDelayMs', 'OTEL_BSP_SCHEDULE_DELAY'],
  ['exportTimeoutMs', 'OTEL_BSP_EXPORT_TIMEOUT'],
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
];

function resolveBatch(
  options: TracingModuleOptions,
  env: Env,
  warnings: string[],
): BatchSpanProcessorOptions {
  const given = options.batch;
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null)
      throw invalidOption('batch', 'an object', given);
    const invalid = findInvalidBatchOption(given);
    if (invalid) throw new TracingConfigError(`TracingModule: ${invalid}.`);
  }
  const batch: BatchSpanProcessorOptions = {};
  for (const [key, name] of BSP_ENV) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const parsed = Number(raw);
    const min = key === 'scheduledDelayMs' ? 0 : 1;
    if (Number.isInteger(parsed) && parsed >= min) batch[key] = parsed;
    else warnings.push(MESSAGES.envIgnored(name, raw, `an integer of at least ${min}`));
  }
  return { ...batch, ...given };
}
