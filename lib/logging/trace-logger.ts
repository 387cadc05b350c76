import {
  Injectable,
  Optional,
  type LoggerService,
  type LogLevel as NestLogLevel,
} from '@nestjs/common';
import type { ExporterStats } from '../core/exporter-stats.js';
import { createResource } from '../core/resource.js';
import type { LogDestination } from './log-output.js';
import { LogPipeline, logPipelineFor, type LogInput } from './log-pipeline.js';
import { toLogError, toLogLevel, type LogLevel, type LogLevelName } from '../core/log-record.js';

/** Options of a TraceLogger made without TracingModule (`TraceLogger.create`). */
export interface StandaloneTraceLoggerOptions {
  /** @default OTEL_SERVICE_NAME, else 'unknown_service:node' */
  serviceName?: string;
  environment?: string;
  /** @default 'info' */
  level?: LogLevelName;
  /** @default 'json' */
  format?: 'json' | 'pretty';
  /** @default process.stdout */
  destination?: LogDestination;
}

const STACK_LINE = /\n[ \t]+at .+:\d+:\d+/;

/**
 * A Nest LoggerService writing structured lines that carry the current trace: use it
 * with `app.useLogger(app.get(TraceLogger))`, and every `new Logger('Context')`, as well
 * as Nest's own framework logs, goes through it. Each line has the time, level, message,
 * context, service, environment, trace and span ids, correlation id and the fields bound
 * to the current run context. Writing never blocks: lines are written in batches after
 * the current turn of the event loop, and exported in the background.
 */
@Injectable()
export class TraceLogger implements LoggerService {
  private readonly pipeline: LogPipeline | undefined;
  private defaultContext: string | undefined;

  constructor(@Optional() pipeline?: LogPipeline) {
    this.pipeline = pipeline;
  }

  /** A logger outside TracingModule (before the app exists, or in a script). */
  static create(options: StandaloneTraceLoggerOptions = {}): TraceLogger {
    const level = toLogLevel(options.level ?? 'info');
    if (level === undefined) {
      throw new TypeError(
        `TraceLogger: option "level" must be one of trace, debug, info, warn, error, fatal (or verbose, log); got ${JSON.stringify(options.level)}`,
      );
    }
    return new TraceLogger(
      new LogPipeline({
        resource: createResource({
          serviceName:
            options.serviceName ??
            (process.env.OTEL_SERVICE_NAME?.trim() || 'unknown_service:node'),
          environment: options.environment,
        }),
        level,
        format: options.format,
        destination: options.destination,
      }),
    );
  }

  /** A logger that uses `context` when a call names none (like `new Logger(context)`). */
  forContext(context: string): TraceLogger {
    const child = new TraceLogger(this.pipeline);
    child.defaultContext = context;
    return child;
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params, false);
  }

  /** The same as `log`. */
  info(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params, false);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params, false);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params, false);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params, false);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  /** Nest's `app.useLogger(['error', 'warn'])` and `Logger.overrideLogger(levels)`. */
  setLogLevels(levels: NestLogLevel[]): void {
    this.resolve().setEnabledLevels(
      levels.map((level) => toLogLevel(level)).filter((l): l is LogLevel => l !== undefined),
    );
  }

  isLevelEnabled(level: LogLevelName): boolean {
    const parsed = toLogLevel(level);
    return parsed !== undefined && this.resolve().isLevelEnabled(parsed);
  }

  /** Writes queued lines now and exports what the log exporters hold. */
  flush(): Promise<void> {
    return this.resolve().forceFlush();
  }

  /** What each log exporter's queue has done: exported, dropped, failed, retried. */
  getExporterStats(): ExporterStats[] {
    return this.resolve().stats();
  }

  private resolve(): LogPipeline {
    // Outside DI, a logger follows whichever app owns the current request.
    return this.pipeline ?? logPipelineFor(undefined);
  }

  /**
   * Reads Nest's calling conventions, as ConsoleLogger does: a trailing string is the
   * context; for error and fatal, a string with stack frames is the stack; plain objects
   * are fields; an Error as the message gives its message, class and stack.
   */
  private write(level: LogLevel, message: unknown, params: unknown[], mayHaveStack: boolean) {
    const pipeline = this.resolve();
    if (!pipeline.isLevelEnabled(level)) return;
    let rest = params;
    let context = this.defaultContext;
    let stack: string | undefined;
    if (mayHaveStack && rest.length === 1 && (rest[0] === undefined || isStack(rest[0]))) {
      stack = rest[0] as string | undefined;
      rest = [];
    } else if (rest.length > 0 && typeof rest.at(-1) === 'string') {
      context = rest.at(-1) as string;
      rest = rest.slice(0, -1);
      if (mayHaveStack && rest.length > 0) {
        const last = rest.at(-1);
        if (last === undefined || typeof last === 'string') {
          stack = last;
          rest = rest.slice(0, -1);
        }
      }
    }
    const input: LogInput = { level, message: '', context };
    let fields: Record<string, unknown> | undefined;
    if (message instanceof Error) {
      input.error = toLogError(message);
      input.message = message.message;
    } else if (isPlainObject(message)) {
      const { message: text, msg, ...others } = message;
      const chosen = text ?? msg;
      input.message = typeof chosen === 'string' ? chosen : '';
      fields = others;
    } else {
      input.message = textOf(message);
    }
    const extra: string[] = [];
    for (const param of rest) {
      if (param instanceof Error && input.error === undefined) input.error = toLogError(param);
      else if (isPlainObject(param)) fields = { ...fields, ...param };
      else if (param !== undefined) extra.push(textOf(param));
    }
    if (extra.length > 0) input.message += (input.message ? ' ' : '') + extra.join(' ');
    if (stack !== undefined) {
      input.error ??= { type: 'Error', message: input.message };
      input.error.stack ??= stack;
    }
    if (fields !== undefined) input.fields = fields;
    pipeline.emit(input);
  }
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && STACK_LINE.test(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}
