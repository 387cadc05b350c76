// A local OTLP/HTTP sink: accepts /v1/traces (protobuf or JSON) and counts spans per
// path prefix, so each benchmark variant can have its own count. Counting walks the
// protobuf wire format without decoding: ExportTraceServiceRequest.resource_spans (1)
// -> ResourceSpans.scope_spans (2) -> ScopeSpans.spans (2).
import { createServer } from 'node:http';

const counts = new Map();

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Calls fn(start, end) for each length-delimited field `field` of the message in buf[start, end). */
function eachField(buf, start, end, field, fn) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const wire = key & 7;
    if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      if (key >>> 3 === field) fn(pos, pos + len);
      pos += len;
    } else if (wire === 0) [, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
}

function countProtobufSpans(buf) {
  let spans = 0;
  eachField(buf, 0, buf.length, 1, (rs, re) =>
    eachField(buf, rs, re, 2, (ss, se) => eachField(buf, ss, se, 2, () => spans++)),
  );
  return spans;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const key = req.url.split('/')[1];
    const spans = req.headers['content-type']?.includes('json')
      ? JSON.parse(body).resourceSpans.reduce(
          (n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0),
          0,
        )
      : countProtobufSpans(body);
    counts.set(key, (counts.get(key) ?? 0) + spans);
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message.type === 'counts')
    process.send({ type: 'counts', counts: Object.fromEntries(counts) });
});
process.on('disconnect', () => process.exit(0));
