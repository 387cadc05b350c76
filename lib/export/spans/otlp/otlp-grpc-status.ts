import { readVarint, skipField, type Reader } from './otlp-partial-success.js';

/**
 * gRPC status codes (grpc/doc/statuscodes.md) that the OTLP/gRPC specification calls
 * retryable. RESOURCE_EXHAUSTED (8) is retryable only when the server sends RetryInfo,
 * so it is not listed here: see `isRetryableGrpcStatus`.
 */
export const OTLP_RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  10, // ABORTED
  11, // OUT_OF_RANGE
  14, // UNAVAILABLE
  15, // DATA_LOSS
]);
export const GRPC_RESOURCE_EXHAUSTED = 8;

/** The metadata key carrying a serialized `google.rpc.Status` with details. */
export const GRPC_STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** Whether a failed call is worth retrying, per OTLP/gRPC, given the server's RetryInfo. */
export function isRetryableGrpcStatus(code: number, retryDelayMs: number | undefined): boolean {
  if (code === GRPC_RESOURCE_EXHAUSTED) return retryDelayMs !== undefined;
  return OTLP_RETRYABLE_GRPC_CODES.has(code);
}

/**
 * The `retry_delay` of the `google.rpc.RetryInfo` in a `grpc-status-details-bin` value, in
 * ms; undefined without one or when the bytes cannot be read (never a throw).
 *
 * `google.rpc.Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }`,
 * `google.protobuf.Any { string type_url = 1; bytes value = 2; }`,
 * `google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }`,
 * `google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2; }`.
 */
export function readRetryDelayMs(statusDetails: Uint8Array): number | undefined {
  const status: Reader = { bytes: statusDetails, pos: 0, end: statusDetails.length };
  let delay: number | undefined;
  while (status.pos < status.end) {
    const tag = readVarint(status);
    if (tag === undefined) return undefined;
    if (tag === 0x1a) {
      const any = subMessage(status);
      if (any === undefined) return undefined;
      const found = readAnyRetryInfo(any);
      if (found === null) return undefined;
      if (found !== undefined) delay = found;
    } else if (!skipField(status, tag)) return undefined;
  }
  return delay;
}

/** The delay of an `Any` holding RetryInfo; undefined for another type; null when malformed. */
function readAnyRetryInfo(any: Reader): number | undefined | null {
  let typeUrl = '';
  let value: Reader | undefined;
  while (any.pos < any.end) {
    const tag = readVarint(any);
    if (tag === undefined) return null;
    if (tag === 0x0a) {
      const text = subMessage(any);
      if (text === undefined) return null;
      typeUrl = Buffer.from(
        text.bytes.buffer,
        text.bytes.byteOffset + text.pos,
        text.end - text.pos,
      ).toString('utf8');
    } else if (tag === 0x12) {
      value = subMessage(any);
      if (value === undefined) return null;
    } else if (!skipField(any, tag)) return null;
  }
  if (typeUrl !== RETRY_INFO_TYPE) return undefined;
  // An empty RetryInfo still says "retry"; with no delay the backoff decides.
  if (value === undefined) return 0;
  let ms = 0;
  while (value.pos < value.end) {
    const tag = readVarint(value);
    if (tag === undefined) return null;
    if (tag === 0x0a) {
      const duration = subMessage(value);
      if (duration === undefined) return null;
      const read = readDurationMs(duration);
      if (read === undefined) return null;
      ms = read;
    } else if (!skipField(value, tag)) return null;
  }
  return ms;
}

function readDurationMs(duration: Reader): number | undefined {
  let seconds = 0;
  let nanos = 0;
  while (duration.pos < duration.end) {
    const tag = readVarint(duration);
    if (tag === undefined) return undefined;
    if (tag === 0x08 || tag === 0x10) {
      const n = readVarint(duration);
      if (n === undefined) return undefined;
      if (tag === 0x08) seconds = n;
      else nanos = n;
    } else if (!skipField(duration, tag)) return undefined;
  }
  // A negative (two's complement, so huge) or absurd value is no usable delay.
  if (seconds > 315_576_000_000 || nanos > 999_999_999) return undefined;
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

/** The length-delimited field at the reader's position, as a reader of its own. */
function subMessage(reader: Reader): Reader | undefined {
  const length = readVarint(reader);
  if (length === undefined || reader.pos + length > reader.end) return undefined;
  const sub: Reader = { bytes: reader.bytes, pos: reader.pos, end: reader.pos + length };
  reader.pos += length;
  return sub;
}
