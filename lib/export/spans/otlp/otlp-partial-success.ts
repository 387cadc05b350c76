/** What a backend reported in `ExportTraceServiceResponse.partial_success`. */
export interface OtlpPartialSuccess {
  /** Spans the backend rejected; the others were accepted. 0 when it only sent a warning. */
  rejectedSpans: number;
  /** The backend's explanation (may be empty when spans were rejected). */
  errorMessage: string;
}

/**
 * The partial success in an OTLP/HTTP response body of the given protocol; undefined when
 * the body carries none or cannot be read (never a throw).
 */
export function readOtlpPartialSuccess(
  body: Buffer,
  protocol: 'http/json' | 'http/protobuf',
): OtlpPartialSuccess | undefined {
  return protocol === 'http/json' ? jsonPartialSuccess(body) : protobufPartialSuccess(body);
}

/** `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}` (int64 as string or number). */
function jsonPartialSuccess(body: Buffer): OtlpPartialSuccess | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const partial = (parsed as { partialSuccess?: unknown }).partialSuccess;
  if (partial === null || typeof partial !== 'object') return undefined;
  const { rejectedSpans, errorMessage } = partial as {
    rejectedSpans?: unknown;
    errorMessage?: unknown;
  };
  const rejected =
    typeof rejectedSpans === 'number' || typeof rejectedSpans === 'string'
      ? Number(rejectedSpans)
      : 0;
  return {
    rejectedSpans: Number.isFinite(rejected) && rejected > 0 ? rejected : 0,
    errorMessage: typeof errorMessage === 'string' ? errorMessage : '',
  };
}

/**
 * `ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }` with
 * `ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }`
 * (trace_service.proto). Malformed input gives undefined, never a throw.
 */
function protobufPartialSuccess(body: Uint8Array): OtlpPartialSuccess | undefined {
  const reader = { bytes: body, pos: 0, end: body.length };
  let result: OtlpPartialSuccess | undefined;
  while (reader.pos < reader.end) {
    const tag = readVarint(reader);
    if (tag === undefined) return undefined;
    if (tag === 0x0a) {
      const length = readVarint(reader);
      if (length === undefined || reader.pos + length > reader.end) return undefined;
      result = readPartialSuccessMessage({
        bytes: body,
        pos: reader.pos,
        end: reader.pos + length,
      });
      if (result === undefined) return undefined;
      reader.pos += length;
    } else if (!skipField(reader, tag)) return undefined;
  }
  return result;
}

/** A protobuf reader over `bytes[pos, end)`. */
export interface Reader {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

function readPartialSuccessMessage(reader: Reader): OtlpPartialSuccess | undefined {
  const out: OtlpPartialSuccess = { rejectedSpans: 0, errorMessage: '' };
  while (reader.pos < reader.end) {
    const tag = readVarint(reader);
    if (tag === undefined) return undefined;
    if (tag === 0x08) {
      const rejected = readVarint(reader);
      if (rejected === undefined) return undefined;
      out.rejectedSpans = rejected;
    } else if (tag === 0x12) {
      const length = readVarint(reader);
      if (length === undefined || reader.pos + length > reader.end) return undefined;
      out.errorMessage = Buffer.from(
        reader.bytes.buffer,
        reader.bytes.byteOffset + reader.pos,
        length,
      ).toString('utf8');
      reader.pos += length;
    } else if (!skipField(reader, tag)) return undefined;
  }
  return out;
}

/** A varint as a number (exact below 2^53; an int64 count never gets near). */
export function readVarint(reader: Reader): number | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (reader.pos >= reader.end) return undefined;
    const byte = reader.bytes[reader.pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  return undefined;
}

/** Skips the field whose tag was just read; false when the bytes end inside it. */
export function skipField(reader: Reader, tag: number): boolean {
  switch (tag & 7) {
    case 0:
      return readVarint(reader) !== undefined;
    case 1:
      reader.pos += 8;
      return reader.pos <= reader.end;
    case 2: {
      const length = readVarint(reader);
      if (length === undefined) return false;
      reader.pos += length;
      return reader.pos <= reader.end;
    }
    case 5:
      reader.pos += 4;
      return reader.pos <= reader.end;
    default:
      return false;
  }
}
