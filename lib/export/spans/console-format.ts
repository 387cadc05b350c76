import { hrTimeToUnixNanos } from '../../core/clock.js';
import {
  SpanStatusCode,
  type AttributeValue,
  type Attributes,
  type ReadableSpan,
  type SpanKind,
} from '../../core/types.js';

/**
 * Pure span formatting for humans (a trace tree) and machines (JSON lines). No I/O, so
 * the console and file exporters share it and tests check it directly.
 */

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatusName = 'unset' | 'ok' | 'error';

export interface SpanEventJson {
  name: string;
  timeUnixNano: string;
  attributes: Attributes;
}

export interface SpanLinkJson {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** One span as plain JSON: bigints are decimal strings, enums are names. */
export interface SpanJson {
  traceId: string;
  spanId: string;
  /** null on a root span. */
  parentSpanId: string | null;
  /** True when the parent came from another process. */
  parentIsRemote: boolean;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  status: { code: SpanStatusName; message?: string };
  attributes: Attributes;
  events: SpanEventJson[];
  links: SpanLinkJson[];
  resource: { attributes: Attributes };
  scope: { name: string; version?: string };
}

const KIND_NAMES: readonly SpanKindName[] = [
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];
const STATUS_NAMES: readonly SpanStatusName[] = ['unset', 'ok', 'error'];

export function spanKindName(kind: SpanKind): SpanKindName {
  return KIND_NAMES[kind] ?? 'internal';
}

export function spanStatusName(code: SpanStatusCode): SpanStatusName {
  return STATUS_NAMES[code] ?? 'unset';
}

export function spanToJson(span: ReadableSpan): SpanJson {
  const status: SpanJson['status'] = { code: spanStatusName(span.status.code) };
  if (span.status.message !== undefined) status.message = span.status.message;
  const scope: SpanJson['scope'] = { name: span.instrumentationScope.name };
  if (span.instrumentationScope.version !== undefined) {
    scope.version = span.instrumentationScope.version;
  }
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? null,
    parentIsRemote: span.parentIsRemote,
    name: span.name,
    kind: spanKindName(span.kind),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    // Microsecond precision is all a reader needs and keeps the numbers short.
    durationMs: Math.round(span.durationMs * 1000) / 1000,
    status,
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: hrTimeToUnixNanos(event.time).toString(),
      attributes: { ...event.attributes },
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: { ...link.attributes },
    })),
    resource: { attributes: { ...span.resource.attributes } },
    scope,
  };
}

/** One JSON line per span, each ending in a newline. */
export function formatJsonLines(spans: readonly ReadableSpan[]): string {
  let out = '';
  for (const span of spans) out += JSON.stringify(spanToJson(span)) + '\n';
  return out;
}

/** Attributes shown on a tree line when present, in this order. */
export const DEFAULT_TREE_ATTRIBUTE_KEYS: readonly string[] = Object.freeze([
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'url.full',
  'server.address',
  'rpc.method',
  'messaging.destination.name',
  'error.type',
  'code.function.name',
]);

export interface TraceTreeOptions {
  /** Extra attribute keys to show after the default ones. */
  attributeKeys?: readonly string[];
  /** Wrap parts in ANSI colour codes. Default false. */
  color?: boolean;
}

/** `12.3 ms`; finer steps below 10 ms so fast spans do not all read `0.0 ms`. */
export function formatDuration(ms: number): string {
  const digits = ms >= 10 ? 1 : ms >= 1 ? 2 : 3;
  return `${ms.toFixed(digits)} ms`;
}

/**
 * The spans of one trace as an indented tree: a header line, then one line per span
 * with its children under it, siblings by start time. Spans whose parent is not in
 * `spans` (local roots, orphans) start at the left edge.
 */
export function formatTraceTree(
  spans: readonly ReadableSpan[],
  options: TraceTreeOptions = {},
): string {
  if (spans.length === 0) return '';
  const paint = options.color ? ansi : plain;
  const keys = attributeKeyList(options.attributeKeys);
  const byId = new Map<string, ReadableSpan>();
  for (const span of spans) byId.set(span.spanId, span);
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parentId = span.parentSpanId;
    if (parentId === undefined || parentId === span.spanId || !byId.has(parentId)) {
      roots.push(span);
      continue;
    }
    const siblings = children.get(parentId);
    if (siblings === undefined) children.set(parentId, [span]);
    else siblings.push(span);
  }
  roots.sort(byStartTime);
  for (const siblings of children.values()) siblings.sort(byStartTime);

  const lines = [header(spans, roots, paint)];
  const visited = new Set<string>();
  // Iterative depth-first walk: deep traces cannot overflow the stack, and the
  // visited set stops malformed parent cycles from looping.
  const walk = (root: ReadableSpan): void => {
    const stack: { span: ReadableSpan; prefix: string; branch: string; last: boolean }[] = [
      { span: root, prefix: '', branch: '', last: true },
    ];
    while (stack.length > 0) {
      const { span, prefix, branch, last } = stack.pop()!;
      if (visited.has(span.spanId)) continue;
      visited.add(span.spanId);
      lines.push(prefix + branch + spanLine(span, keys, paint));
      const childPrefix = prefix + (branch === '' ? '' : last ? '   ' : '│  ');
      const kids = children.get(span.spanId) ?? [];
      for (const line of exceptionLines(span)) {
        lines.push(childPrefix + (kids.length > 0 ? '│  ' : '   ') + paint.red(line));
      }
      for (let i = kids.length - 1; i >= 0; i--) {
        const isLast = i === kids.length - 1;
        stack.push({
          span: kids[i]!,
          prefix: childPrefix,
          branch: isLast ? '└─ ' : '├─ ',
          last: isLast,
        });
      }
    }
  };
  for (const root of roots) walk(root);
  // Spans caught in a parent cycle were never reached from a root; show them anyway.
  for (const span of spans.toSorted(byStartTime)) if (!visited.has(span.spanId)) walk(span);
  return lines.join('\n');
}

function header(
  spans: readonly ReadableSpan[],
  roots: readonly ReadableSpan[],
  paint: Painter,
): string {
  let start = Infinity;
  let end = -Infinity;
  for (const span of spans) {
    if (span.startTime < start) start = span.startTime;
    if (span.endTime > end) end = span.endTime;
  }
  const first = roots[0] ?? spans[0]!;
  const service = first.resource.attributes['service.name'];
  const serviceName = typeof service === 'string' ? clean(service) : 'unknown_service';
  const count = spans.length === 1 ? '1 span' : `${spans.length} spans`;
  return paint.bold(
    `trace ${first.traceId}  ${serviceName}  ${formatDuration(Math.max(0, end - start))}  (${count})`,
  );
}

function spanLine(span: ReadableSpan, keys: readonly string[], paint: Painter): string {
  let line = `${paint.bold(clean(span.name))} ${paint.dim(`[${spanKindName(span.kind)}]`)} ${paint.cyan(formatDuration(span.durationMs))}`;
  if (span.status.code === SpanStatusCode.ERROR) {
    const message = span.status.message ? `ERROR: ${clean(span.status.message)}` : 'ERROR';
    line += ' ' + paint.red(message);
  }
  const attributes: string[] = [];
  for (const key of keys) {
    const value = span.attributes[key];
    if (value !== undefined) attributes.push(`${key}=${attributeText(value)}`);
  }
  if (attributes.length > 0) line += '  ' + paint.dim(attributes.join(' '));
  return line;
}

function exceptionLines(span: ReadableSpan): string[] {
  const lines: string[] = [];
  for (const event of span.events) {
    if (event.name !== 'exception') continue;
    const type = event.attributes?.['exception.type'];
    const message = event.attributes?.['exception.message'];
    const text = [type, message]
      .filter((part) => part !== undefined)
      .map((part) => clean(String(part)))
      .join(': ');
    lines.push(`! ${text || 'exception'}`);
  }
  return lines;
}

const MAX_VALUE_LENGTH = 120;

function attributeText(value: AttributeValue): string {
  let text =
    typeof value === 'string'
      ? /^[^\s"]+$/.test(value)
        ? value
        : JSON.stringify(value)
      : Array.isArray(value)
        ? JSON.stringify(value)
        : String(value);
  text = clean(text);
  return text.length > MAX_VALUE_LENGTH ? text.slice(0, MAX_VALUE_LENGTH - 1) + '…' : text;
}

function attributeKeyList(extra: readonly string[] | undefined): readonly string[] {
  if (extra === undefined || extra.length === 0) return DEFAULT_TREE_ATTRIBUTE_KEYS;
  return [...new Set([...DEFAULT_TREE_ATTRIBUTE_KEYS, ...extra])];
}

/**
 * One line, no control characters: span names and messages can carry user input,
 * which must not break the tree or smuggle escape sequences into the terminal.
 */
function clean(text: string): string {
  // oxlint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/\s*[\r\n]+\s*|\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function byStartTime(a: ReadableSpan, b: ReadableSpan): number {
  return a.startTime - b.startTime;
}

interface Painter {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const identity = (text: string): string => text;
const plain: Painter = { bold: identity, dim: identity, red: identity, cyan: identity };
const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const ansi: Painter = { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), cyan: sgr(36, 39) };
