import { describe, expect, it } from 'vitest';
import { closestOption, findUnknownOption, optionKeys } from '../../../lib/config/option-keys.js';
import { findInvalidBatchOption } from '../../../lib/config/batch-options.js';

const OTLP = ['type', 'url', 'protocol', 'headers', 'compression', 'timeoutMs', 'batch'];

describe('findUnknownOption', () => {
  it.each([
    [
      'an alias from other libraries',
      { type: 'otlp', endpoint: 'http://collector:4318' },
      'exporters[0]',
      OTLP,
      'unknown option "exporters[0].endpoint"; known options are type, url, protocol, headers, compression, timeoutMs, batch (did you mean "url"?)',
    ],
    [
      'a swap of two letters at the root',
      { serviceNmae: 'orders' },
      '',
      ['serviceName', 'serviceVersion'],
      'unknown option "serviceNmae"; known options are serviceName, serviceVersion (did you mean "serviceName"?)',
    ],
    [
      'another case and separator',
      { service_name: 'orders' },
      '',
      ['serviceName'],
      'unknown option "service_name"; known options are serviceName (did you mean "serviceName"?)',
    ],
    [
      "OpenTelemetry's millisecond suffix",
      { timeoutMillis: 5 },
      'exporters[1]',
      OTLP,
      'unknown option "exporters[1].timeoutMillis"; known options are type, url, protocol, headers, compression, timeoutMs, batch (did you mean "timeoutMs"?)',
    ],
    [
      'a key like none of them',
      { kafkaTopic: 'x' },
      'exporters[0]',
      OTLP,
      'unknown option "exporters[0].kafkaTopic"; known options are type, url, protocol, headers, compression, timeoutMs, batch',
    ],
  ])('names %s with its path, the known keys and the close match', (_, value, path, known, msg) => {
    expect(findUnknownOption(value, path, known)).toBe(msg);
  });

  it('passes objects whose keys are all known, and inherited names are not known keys', () => {
    expect(findUnknownOption({ type: 'otlp', url: 'http://a' }, 'exporters[0]', OTLP)).toBe(
      undefined,
    );
    expect(findUnknownOption({ toString: 1 }, 'x', ['a'])).toMatch(/unknown option "x.toString"/);
  });

  it('is the check the batch options use', () => {
    expect(findInvalidBatchOption({ scheduledDelayMillis: 5 } as never, 'batch')).toMatch(
      /^unknown option "batch.scheduledDelayMillis"; known options are .*scheduledDelayMs.* \(did you mean "scheduledDelayMs"\?\)$/,
    );
    expect(findInvalidBatchOption({ toString: 5 } as never, 'batch')).toMatch(/unknown option/);
  });
});

describe('closestOption', () => {
  it.each([
    ['endpoint', ['url', 'headers'], 'url'],
    ['endpoint', ['endpointUrl', 'headers'], 'endpointUrl'],
    ['urll', ['url', 'headers'], 'url'],
    ['header', ['url', 'headers'], 'headers'],
    ['servicename', ['serviceName'], 'serviceName'],
    ['serivceName', ['serviceName'], 'serviceName'],
    ['tags', ['ddtags', 'ddsource'], 'ddtags'],
    ['xyz', ['url'], undefined],
    ['maxSpan', ['maxSpans'], 'maxSpans'],
    ['eventLimit', ['attributeCountLimit', 'eventCountLimit', 'linkCountLimit'], 'eventCountLimit'],
    ['maxFileSize', ['path', 'maxFileBytes', 'maxFiles'], 'maxFileBytes'],
    ['attributeLimit', ['attributeValueLengthLimit', 'attributeCountLimit'], 'attributeCountLimit'],
    ['maxSize', ['maxSpans', 'maxFiles'], undefined],
    ['recordArgs', ['recordArguments', 'recordResult'], 'recordArguments'],
    ['attrCountLimit', ['attributeCountLimit', 'eventCountLimit'], 'attributeCountLimit'],
  ])('suggests for %s among %j: %s', (key, known, expected) => {
    expect(closestOption(key, known)).toBe(expected);
  });
});

describe('optionKeys', () => {
  it('lists the keys of an options type', () => {
    expect(optionKeys<{ a?: number; b: string }>({ a: true, b: true })).toEqual(['a', 'b']);
  });
});
