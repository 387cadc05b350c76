import { optionKeys } from '../config/option-keys.js';
import { rejectUnknownOptions, TracingConfigError } from '../tracing.errors.js';
import type { ReadableSpan } from '../core/types.js';
import type { CollapseRules } from './collapse-rules.js';
import type {
  CollapseOptions,
  InstrumentationMatcher,
  SpanHoldLimits,
  TracingInstrumentOptions,
} from './tracing-instrument-options.interface.js';

/**
 * Modules whose classes get no spans unless `include` names them: Nest's core, its
 * official packages, common integrations and this library. Guards, pipes, interceptors
 * and filters are traced wherever they come from (a global ValidationPipe is yours).
 */
export const DEFAULT_FRAMEWORK_MODULES: readonly string[] = Object.freeze([
  'InternalCoreModule',
  'TracingModule',
  'TracedHttpModule',
  'DiscoveryModule',
  'ScheduleModule',
  'EventEmitterModule',
  'BullModule',
  'BullMQModule',
  'ClientsModule',
  'ConfigModule',
  'ConfigHostModule',
  'HttpModule',
  'TerminusModule',
  'CacheModule',
  'ThrottlerModule',
  'CqrsModule',
  'GraphQLModule',
  'GraphQLSchemaBuilderModule',
  'TypeOrmModule',
  'TypeOrmCoreModule',
  'MongooseModule',
  'MongooseCoreModule',
  'SequelizeModule',
  'SequelizeCoreModule',
  'MikroOrmModule',
  'MikroOrmCoreModule',
  'MikroOrmMiddlewareModule',
  'ElasticsearchModule',
  'JwtModule',
  'PassportModule',
  'MulterModule',
  'ServeStaticModule',
  'DevtoolsModule',
  // nestjs-cls: ClsPluginsModule holds ClsPluginsHooksHost (beforeSetup/afterSetup run on
  // every request); each plugin gets a ClsPluginModule of its own.
  'ClsModule',
  'ClsRootModule',
  'ClsCommonModule',
  'ClsPluginsModule',
  'ClsPluginModule',
  // nestjs-pino: PinoLogger and its Logger, called on every log line.
  'LoggerModule',
  'I18nModule',
  'SentryModule',
  // @willsoto/nestjs-prometheus
  'PrometheusModule',
  'RouterModule',
  'SwaggerModule',
]);

/** A matcher compiled to a test on (class, method, modules). */
export type CompiledMatcher = (
  ctor: Function,
  qualified: string,
  modules: readonly string[],
) => boolean;

export interface ResolvedInstrumentOptions {
  readonly include: readonly CompiledMatcher[];
  readonly exclude: readonly CompiledMatcher[];
  readonly frameworkModules: ReadonlySet<string>;
  readonly enhancers: boolean;
  /** Undefined when neither collapsing nor keep-only-root is on: the processor stays idle. */
  readonly collapse: CollapseRules | undefined;
  readonly clientProxy: boolean;
  readonly bullmq: boolean;
  readonly schedule: boolean;
  readonly events: boolean;
}

const OWNER = 'createTracingInstrument';
const KNOWN_OPTIONS = optionKeys<TracingInstrumentOptions>({
  include: true,
  exclude: true,
  frameworkModules: true,
  enhancers: true,
  collapse: true,
  keepOnlyRoot: true,
  holdLimits: true,
  clientProxy: true,
  bullmq: true,
  schedule: true,
  events: true,
});
const COLLAPSE_KEYS = optionKeys<CollapseOptions>({ threshold: true, keep: true });
const HOLD_KEYS = optionKeys<SpanHoldLimits>({
  maxSpansPerTrace: true,
  maxHeldSpans: true,
  maxHoldMs: true,
});

function fail(option: string, expected: string): never {
  throw new TracingConfigError(`${OWNER}: option "${option}" must be ${expected}.`);
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function compileMatcher(matcher: InstrumentationMatcher, path: string): CompiledMatcher {
  if (typeof matcher === 'string') {
    if (matcher === '') fail(path, 'a non-empty pattern');
    const re = wildcard(matcher.includes('.') ? matcher : `${matcher}.*`);
    return (_ctor, qualified) => re.test(qualified);
  }
  if (matcher instanceof RegExp) {
    return (_ctor, qualified) => {
      matcher.lastIndex = 0;
      return matcher.test(qualified);
    };
  }
  if (typeof matcher === 'function') return (ctor) => ctor === matcher;
  if (matcher !== null && typeof matcher === 'object' && 'module' in matcher) {
    const m = matcher.module;
    if (typeof m === 'string') return (_c, _q, modules) => modules.includes(m);
    if (m instanceof RegExp) {
      return (_c, _q, modules) =>
        modules.some((name) => {
          m.lastIndex = 0;
          return m.test(name);
        });
    }
  }
  return fail(path, "a 'Class.method' pattern, a RegExp, a class or { module }");
}

function matchers(list: unknown, name: string): CompiledMatcher[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(name, 'an array');
  return list.map((m: InstrumentationMatcher, i) => compileMatcher(m, `${name}[${i}]`));
}

function bool(options: TracingInstrumentOptions, key: keyof TracingInstrumentOptions): boolean {
  const value = options[key];
  if (value === undefined) return true;
  if (typeof value !== 'boolean') fail(key, 'a boolean');
  return value;
}

function positiveInt(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(name, `an integer of at least ${min}`);
  }
  return value;
}

function resolveKeepOnlyRoot(
  value: TracingInstrumentOptions['keepOnlyRoot'],
): ((root: ReadableSpan) => boolean) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value;
  if (!Array.isArray(value) || value.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
    fail('keepOnlyRoot', 'an array of HTTP status codes or a function');
  }
  if (value.length === 0) return undefined;
  const statuses = new Set(value);
  return (root) => {
    const status = root.attributes['http.response.status_code'];
    return typeof status === 'number' && statuses.has(status);
  };
}

/** Validates the options once, when the instrument is made, and fills in defaults. */
export function resolveInstrumentOptions(
  options: TracingInstrumentOptions = {},
): ResolvedInstrumentOptions {
  if (options === null || typeof options !== 'object') fail('options', 'an object');
  rejectUnknownOptions(options, '', KNOWN_OPTIONS, OWNER);
  const framework = options.frameworkModules ?? DEFAULT_FRAMEWORK_MODULES;
  if (!Array.isArray(framework) || framework.some((m) => typeof m !== 'string')) {
    fail('frameworkModules', 'an array of module class names');
  }
  const collapse = options.collapse ?? {};
  if (collapse !== false && (collapse === null || typeof collapse !== 'object')) {
    fail('collapse', 'an object { threshold, keep } or false');
  }
  if (collapse !== false) rejectUnknownOptions(collapse, 'collapse', COLLAPSE_KEYS, OWNER);
  const holds = options.holdLimits ?? {};
  if (holds === null || typeof holds !== 'object') fail('holdLimits', 'an object');
  rejectUnknownOptions(holds, 'holdLimits', HOLD_KEYS, OWNER);
  const keepOnlyRoot = resolveKeepOnlyRoot(options.keepOnlyRoot);
  const threshold =
    collapse === false ? Infinity : positiveInt(collapse.threshold, 'collapse.threshold', 10, 1);
  const keep = collapse === false ? 0 : positiveInt(collapse.keep, 'collapse.keep', 3, 0);
  const rules: CollapseRules = {
    threshold,
    keep,
    keepOnlyRoot,
    maxSpansPerTrace: positiveInt(holds.maxSpansPerTrace, 'holdLimits.maxSpansPerTrace', 1000, 1),
    maxHeldSpans: positiveInt(holds.maxHeldSpans, 'holdLimits.maxHeldSpans', 20_000, 1),
    maxHoldMs: positiveInt(holds.maxHoldMs, 'holdLimits.maxHoldMs', 60_000, 1),
  };
  return {
    include: matchers(options.include, 'include'),
    exclude: matchers(options.exclude, 'exclude'),
    frameworkModules: new Set(framework),
    enhancers: bool(options, 'enhancers'),
    collapse: collapse === false && keepOnlyRoot === undefined ? undefined : rules,
    clientProxy: bool(options, 'clientProxy'),
    bullmq: bool(options, 'bullmq'),
    schedule: bool(options, 'schedule'),
    events: bool(options, 'events'),
  };
}
