import { isIPv4, isIPv6 } from 'node:net';
import { hrTimeToUnixMicros } from '../../../core/clock.js';
import { isB3Debug } from '../../../core/trace-state.js';
import {
  SpanKind,
  SpanStatusCode,
  type AttributeValue,
  type Attributes,
  type ReadableSpan,
} from '../../../core/types.js';

/**
 * Pure OpenTelemetry → Zipkin v2 JSON mapping (no I/O), following the OpenTelemetry
 * "OpenTelemetry to Zipkin Transformation" document and the Zipkin v2 API
 * (`zipkin2-api.yaml`). Decisions the documents leave open are noted where they are made.
 */

export type ZipkinSpanKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

/** Zipkin's network context of a node. It has no host-name field: see `remoteEndpoint`. */
export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  /** Epoch microseconds. */
  timestamp: number;
  value: string;
}

/** One span of the Zipkin v2 `ListOfSpans` body. Absent fields are omitted, never null. */
export interface ZipkinSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  id: string;
  parentId?: string;
  name?: string;
  /** Absent for OpenTelemetry INTERNAL spans. */
  kind?: ZipkinSpanKind;
  /** Epoch microseconds of the start. */
  timestamp: number;
  /** Microseconds, at least 1. */
  duration: number;
  localEndpoint: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: ZipkinAnnotation[];
  tags?: Record<string, string>;
  /** Set on every span of a trace a B3 debug request (`b3: …-d`, `X-B3-Flags: 1`) forced. */
  debug?: boolean;
}

export interface ZipkinFormatOptions {
  /**
   * The local service name. When set it wins over the resource's `service.name` (an explicit
   * choice); otherwise the resource's is used, and `unknown_service` when there is none.
   */
  serviceName?: string;
}

const KINDS: readonly (ZipkinSpanKind | undefined)[] = [
  undefined, // INTERNAL: the OTel document says the kind must be omitted.
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];

const UNKNOWN_SERVICE = 'unknown_service';

export function toZipkinSpan(span: ReadableSpan, options: ZipkinFormatOptions = {}): ZipkinSpan {
  const timestamp = hrTimeToUnixMicros(span.startTime);
  const out: ZipkinSpan = {
    traceId: span.traceId,
    id: span.spanId,
    timestamp,
    // Whole microseconds; the Zipkin spec has `minimum: 1` ("durations of less than one are
    // rounded up"). Taken from the rounded end so timestamp + duration is the end time.
    duration: Math.max(1, hrTimeToUnixMicros(span.endTime) - timestamp),
    localEndpoint: { serviceName: localServiceName(span, options.serviceName) },
  };
  // Our server spans always have their own span id, child of the caller's: Zipkin's
  // `shared` (a server half of a client's span id, B3 "join") never applies, so it is omitted.
  if (span.parentSpanId !== undefined) out.parentId = span.parentSpanId;
  if (span.name !== '') out.name = span.name;
  const kind = KINDS[span.kind];
  if (kind !== undefined) out.kind = kind;
  if (span.kind === SpanKind.CLIENT || span.kind === SpanKind.PRODUCER) {
    const remote = remoteEndpoint(span.attributes);
    if (remote !== undefined) out.remoteEndpoint = remote;
  }
  const annotations = toAnnotations(span);
  if (annotations !== undefined) out.annotations = annotations;
  out.tags = toTags(span);
  // B3: debug "additionally report[s] Span.debug = true for each span in the trace".
  if (isB3Debug(span.traceState)) out.debug = true;
  return out;
}

/** The `ListOfSpans` request body. */
export function encodeZipkinJson(
  spans: readonly ReadableSpan[],
  options: ZipkinFormatOptions = {},
): string {
  // The tag map must be built anyway (status and `error` override attributes), so a
  // hand-written writer would save little over stringifying the small span objects.
  const list = spans.map((span) => toZipkinSpan(span, options));
  return JSON.stringify(list);
}

function localServiceName(span: ReadableSpan, explicit: string | undefined): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromResource = span.resource.attributes['service.name'];
  return typeof fromResource === 'string' && fromResource !== '' ? fromResource : UNKNOWN_SERVICE;
}

/** An attribute value as a Zipkin tag: booleans lower case, arrays as a JSON list. */
export function tagValue(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

const STATUS_CODE_TAG = 'otel.status_code';
const ERROR_TAG = 'error';

/**
 * Resource attributes (minus `service.name`, which is the local endpoint), then span
 * attributes over them, then the scope, dropped counts and status, which win over any
 * attribute of the same name.
 */
function toTags(span: ReadableSpan): Record<string, string> {
  const tags: Record<string, string> = {};
  const resource = span.resource.attributes;
  for (const key in resource) {
    if (key !== 'service.name') setTag(tags, key, tagValue(resource[key]!));
  }
  const attributes = span.attributes;
  for (const key in attributes) setTag(tags, key, tagValue(attributes[key]!));

  const scope = span.instrumentationScope;
  // otel.scope.* per "Transformation to non-OTLP Formats", with the deprecated
  // otel.library.* aliases that document also requires.
  tags['otel.scope.name'] = scope.name;
  tags['otel.library.name'] = scope.name;
  if (scope.version !== undefined) {
    tags['otel.scope.version'] = scope.version;
    tags['otel.library.version'] = scope.version;
  }
  if (span.droppedAttributesCount > 0) {
    tags['otel.dropped_attributes_count'] = String(span.droppedAttributesCount);
  }
  if (span.droppedEventsCount > 0) {
    tags['otel.dropped_events_count'] = String(span.droppedEventsCount);
  }
  if (span.droppedLinksCount > 0) {
    tags['otel.dropped_links_count'] = String(span.droppedLinksCount);
  }

  const status = span.status;
  if (status.code === SpanStatusCode.ERROR) {
    tags[STATUS_CODE_TAG] = 'ERROR';
    // Zipkin marks any span carrying an `error` tag as failed; the value is the description.
    tags[ERROR_TAG] = status.message ?? '';
  } else {
    if (status.code === SpanStatusCode.OK) tags[STATUS_CODE_TAG] = 'OK';
    else delete tags[STATUS_CODE_TAG];
    // A boolean-like false `error` would still mark the span failed in Zipkin: drop it.
    if (tags[ERROR_TAG] === 'false') delete tags[ERROR_TAG];
  }
  return tags;
}

function setTag(tags: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(tags, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    tags[key] = value;
  }
}

/**
 * Events become annotations. With attributes the value is `"name": {attributes as JSON}`,
 * the form the OTel document gives; without, the bare name (Zipkin prefers short values).
 * Exact duplicates are dropped: the spec declares annotations `uniqueItems`.
 */
function toAnnotations(span: ReadableSpan): ZipkinAnnotation[] | undefined {
  const events = span.events;
  if (events.length === 0) return undefined;
  const out: ZipkinAnnotation[] = [];
  let seen: Set<string> | undefined;
  for (const event of events) {
    const timestamp = hrTimeToUnixMicros(event.time);
    const attributes = event.attributes;
    const value =
      attributes !== undefined && Object.keys(attributes).length > 0
        ? `${JSON.stringify(event.name)}: ${JSON.stringify(attributes)}`
        : event.name;
    if (events.length > 1) {
      seen ??= new Set();
      const key = `${timestamp} ${value}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push({ timestamp, value });
  }
  return out;
}

/**
 * Address attributes in the OTel document's rank order (its "Remote endpoint" table), each
 * with the port attribute that belongs to it.
 */
const REMOTE_ADDRESS_KEYS: readonly (readonly [address: string, port: string | undefined])[] = [
  ['server.address', 'server.port'],
  ['net.peer.name', 'net.peer.port'],
  ['network.peer.address', 'network.peer.port'],
  ['server.socket.domain', undefined],
  ['server.socket.address', 'server.socket.port'],
  ['net.sock.peer.name', undefined],
  ['net.sock.peer.addr', 'net.sock.peer.port'],
  ['peer.hostname', undefined],
  ['peer.address', undefined],
  ['db.name', undefined],
];

/**
 * The peer of a CLIENT or PRODUCER span, from the highest-ranked attributes present.
 * A Zipkin endpoint has only `serviceName`, `ipv4`, `ipv6` and `port`: an IP literal goes
 * to `ipv4`/`ipv6`, while a host name (which has no field of its own) becomes the
 * `serviceName` unless `peer.service` names the peer, as the OTel ranking intends (Zipkin
 * links a dependency only to a named remote endpoint). The port is the one paired with
 * the address used.
 */
function remoteEndpoint(attributes: Readonly<Attributes>): ZipkinEndpoint | undefined {
  const peerService = attributes['peer.service'];
  let serviceName = typeof peerService === 'string' && peerService !== '' ? peerService : undefined;
  let ip: { ipv4?: string; ipv6?: string } | undefined;
  let port: number | undefined;
  let hostPort: number | undefined;
  for (const [addressKey, portKey] of REMOTE_ADDRESS_KEYS) {
    const raw = attributes[addressKey];
    if (typeof raw !== 'string' || raw === '') continue;
    const parsed = parseIp(raw);
    if (parsed !== undefined) {
      if (ip === undefined) {
        ip = parsed;
        port = portKey === undefined ? undefined : parsePort(attributes[portKey]);
      }
    } else if (serviceName === undefined) {
      serviceName = raw;
      hostPort = portKey === undefined ? undefined : parsePort(attributes[portKey]);
    }
    if (ip !== undefined && serviceName !== undefined) break;
  }
  if (ip === undefined && serviceName === undefined) return undefined;
  const endpoint: ZipkinEndpoint = {};
  if (serviceName !== undefined) endpoint.serviceName = serviceName;
  if (ip?.ipv4 !== undefined) endpoint.ipv4 = ip.ipv4;
  if (ip?.ipv6 !== undefined) endpoint.ipv6 = ip.ipv6;
  const chosenPort = ip !== undefined ? port : hostPort;
  if (chosenPort !== undefined) endpoint.port = chosenPort;
  return endpoint;
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IP literal as Zipkin's ipv4/ipv6; undefined for host names and anything else. */
function parseIp(value: string): { ipv4?: string; ipv6?: string } | undefined {
  if (isIPv4(value)) return { ipv4: value };
  let v6 = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  // A zone id (`fe80::1%eth0`) means nothing to another host.
  const zone = v6.indexOf('%');
  if (zone !== -1) v6 = v6.slice(0, zone);
  if (!isIPv6(v6)) return undefined;
  // "Prefer using the ipv4 field for mapped addresses" (zipkin2-api.yaml, Endpoint.ipv6).
  const mapped = MAPPED_IPV4.exec(v6);
  if (mapped !== null && isIPv4(mapped[1]!)) return { ipv4: mapped[1]! };
  return { ipv6: v6.toLowerCase() };
}

/** A port 1-65535 ("please don't set to zero"), from a number or a decimal string. */
function parsePort(value: AttributeValue | undefined): number | undefined {
  const port =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,5}$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}
