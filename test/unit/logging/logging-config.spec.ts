import { describe, expect, it } from 'vitest';
import { CloudWatchLogExporter } from '../../../lib/export/logs/cloudwatch-log-exporter.js';
import { DatadogLogExporter } from '../../../lib/export/logs/datadog-log-exporter.js';
import { LokiLogExporter } from '../../../lib/export/logs/loki-log-exporter.js';
import { RestLogExporter } from '../../../lib/export/logs/rest-log-exporter.js';
import { createLogExporter, resolveLoggingConfig } from '../../../lib/logging/logging-config.js';
import type { LoggingOptions } from '../../../lib/logging/logging-options.interface.js';
import { TracingConfigError } from '../../../lib/tracing.errors.js';

const noop = () => undefined;

describe('resolveLoggingConfig', () => {
  it('defaults to info-level JSON lines on stdout, without span events or exporters', () => {
    expect(resolveLoggingConfig(undefined)).toEqual({
      level: 'info',
      format: 'json',
      destination: process.stdout,
      spanEvents: false,
      redactKeys: [],
      maxBufferedLines: 10_000,
      batch: {},
      exporters: [],
    });
  });

  it('accepts Nest’s level names', () => {
    expect(resolveLoggingConfig({ level: 'verbose' }).level).toBe('trace');
    expect(resolveLoggingConfig({ level: 'log' }).level).toBe('info');
  });

  it.each<[string, unknown, RegExp]>([
    ['level', { level: 'loud' }, /option "logging.level" must be one of trace, debug, info/],
    ['format', { format: 'xml' }, /option "logging.format" must be 'json' or 'pretty'/],
    ['destination', { destination: 'file' }, /option "logging.destination"/],
    ['spanEvents', { spanEvents: 'yes' }, /option "logging.spanEvents" must be a boolean/],
    ['redactKeys', { redactKeys: [1] }, /option "logging.redactKeys"/],
    ['maxBufferedLines', { maxBufferedLines: 0 }, /option "logging.maxBufferedLines"/],
    [
      'batch',
      { batch: { maxQueueSize: 0 } },
      /option "logging.batch.maxQueueSize" must be an integer/,
    ],
    ['an unknown key', { levle: 'info' }, /unknown option "logging.levle"/],
    ['exporters', { exporters: {} }, /option "logging.exporters" must be an array/],
    [
      'an exporter type',
      { exporters: [{ type: 'splunk' }] },
      /option "logging.exporters\[0\].type" must be 'datadog', 'loki', 'cloudwatch', 'rest'/,
    ],
    [
      'an exporter level',
      { exporters: [{ type: 'loki', level: 'x' }] },
      /"logging.exporters\[0\].level"/,
    ],
    [
      'an exporter batch',
      { exporters: [{ type: 'loki', batch: { maxRetries: -1 } }] },
      /"logging.exporters\[0\].batch.maxRetries"/,
    ],
    [
      'a custom exporter',
      { exporters: [{ exporter: {} }] },
      /"logging.exporters\[0\].exporter" must be a LogExporter/,
    ],
    [
      'a key at the root, with its close match',
      { exporter: [] },
      /^TracingModule: unknown option "logging.exporter"; known options are level, format, destination, spanEvents, redactKeys, maxBufferedLines, exporters, batch \(did you mean "exporters"\?\)\.$/,
    ],
    [
      'a Loki key another library uses',
      { exporters: [{ type: 'loki', endpoint: 'http://loki:3100' }] },
      /^TracingModule: unknown option "logging.exporters\[0\].endpoint"; known options are spans, level, batch, type, url, labels, .* \(did you mean "url"\?\)\.$/,
    ],
    [
      'a Datadog key',
      { exporters: [{ type: 'datadog', apiKey: 'k', tags: ['a:b'] }] },
      /^TracingModule: unknown option "logging.exporters\[0\].tags"; known options are .*ddtags.* \(did you mean "ddtags"\?\)\.$/,
    ],
    [
      'a CloudWatch key',
      { exporters: [{ type: 'cloudwatch', logGroup: 'app' }] },
      /^TracingModule: unknown option "logging.exporters\[0\].logGroup"; known options are .*logGroupName.* \(did you mean "logGroupName"\?\)\.$/,
    ],
    [
      'a key next to a custom exporter',
      { exporters: [{ exporter: { export: noop, shutdown: noop }, span: true }] },
      /^TracingModule: unknown option "logging.exporters\[0\].span"; known options are spans, level, batch, exporter \(did you mean "spans"\?\)\.$/,
    ],
    [
      'a key in a REST auth',
      { exporters: [{ type: 'rest', url: 'http://logs', auth: { token: 't' } }] },
      /^TracingModule: unknown option "logging.exporters\[0\].auth.token"; known options are username, password, bearerToken, header, value \(did you mean "bearerToken"\?\)\.$/,
    ],
    [
      'a key in CloudWatch credentials',
      {
        exporters: [
          {
            type: 'cloudwatch',
            logGroupName: 'app',
            credentials: { accessKey: 'a', secretAccessKey: 's' },
          },
        ],
      },
      /^TracingModule: unknown option "logging.exporters\[0\].credentials.accessKey"; known options are accessKeyId, secretAccessKey, sessionToken \(did you mean "accessKeyId"\?\)\.$/,
    ],
    [
      'a Loki url without a scheme',
      { exporters: [{ type: 'loki', url: 'loki:3100' }] },
      /^TracingModule: option "logging.exporters\[0\].url" must be an http: or https: URL; got "loki:3100"\.$/,
    ],
    [
      'a REST exporter without its url',
      { exporters: [{ type: 'rest' }] },
      /^TracingModule: option "logging.exporters\[0\].url" must be an http: or https: URL; got undefined\.$/,
    ],
    [
      'a CloudWatch endpoint without a scheme',
      { exporters: [{ type: 'cloudwatch', logGroupName: 'app', endpoint: 'localhost:4566' }] },
      /^TracingModule: option "logging.exporters\[0\].endpoint" must be an http: or https: URL; got "localhost:4566"\.$/,
    ],
  ])(
    'rejects an invalid %s with a TracingConfigError naming the option',
    (_what, options, message) => {
      expect(() => resolveLoggingConfig(options as LoggingOptions)).toThrow(TracingConfigError);
      expect(() => resolveLoggingConfig(options as LoggingOptions)).toThrow(message);
    },
  );
});

describe('createLogExporter', () => {
  it('makes each built-in exporter from its entry, keeping the common settings apart', async () => {
    const entries = await Promise.all([
      createLogExporter({ type: 'datadog', apiKey: 'k', spans: true, level: 'warn' }, 0, noop),
      createLogExporter({ type: 'loki', url: 'http://127.0.0.1:3100' }, 1, noop),
      createLogExporter(
        { type: 'rest', url: 'http://127.0.0.1:9/logs', batch: { maxRetries: 1 } },
        2,
        noop,
      ),
    ]);
    expect(entries[0]!.exporter).toBeInstanceOf(DatadogLogExporter);
    expect(entries[0]).toMatchObject({ spans: true, level: 'warn' });
    expect(entries[1]!.exporter).toBeInstanceOf(LokiLogExporter);
    expect((entries[1]!.exporter as LokiLogExporter).url).toBe(
      'http://127.0.0.1:3100/loki/api/v1/push',
    );
    expect(entries[2]!.exporter).toBeInstanceOf(RestLogExporter);
    expect(entries[2]!.batch).toEqual({ maxRetries: 1 });
    await Promise.all(entries.map((e) => e.exporter.shutdown()));
  });

  it.each<[string, object, RegExp]>([
    [
      'a Datadog exporter without an API key',
      { type: 'datadog' },
      /"logging.exporters\[3\]": DatadogLogExporter: option "apiKey" must be a Datadog API key \(or set DD_API_KEY\)/,
    ],
    ['a bad Datadog site', { type: 'datadog', apiKey: 'k', site: 'not a site' }, /option "site"/],
    [
      'a Loki label that is not a label name',
      { type: 'loki', labels: { 'bad-name': 'x' } },
      /option "labels.bad-name"/,
    ],
    [
      'a Loki label that would replace one of ours',
      { type: 'loki', labels: { level: 'x' } },
      /option "labels.level"/,
    ],
    [
      'a REST exporter without a url',
      { type: 'rest' },
      /RestLogExporter: option "url" must be an http: or https: URL/,
    ],
    [
      'a REST method',
      { type: 'rest', url: 'http://127.0.0.1:1', method: 'GET' },
      /option "method"/,
    ],
    [
      'REST auth',
      { type: 'rest', url: 'http://127.0.0.1:1', auth: { token: 'x' } },
      /option "auth" must be \{ username, password \}/,
    ],
    [
      'a header with a newline',
      { type: 'loki', headers: { 'x-a': 'a\nb' } },
      /option "headers.x-a"/,
    ],
    [
      'a CloudWatch group name with a colon',
      { type: 'cloudwatch', logGroupName: 'a:b' },
      /CloudWatchLogExporter: option "logGroupName"/,
    ],
  ])('fails at start-up on %s, naming the entry and the option', async (_what, entry, message) => {
    const env = process.env.DD_API_KEY;
    delete process.env.DD_API_KEY;
    try {
      await expect(createLogExporter(entry as never, 3, noop)).rejects.toThrow(TracingConfigError);
      await expect(createLogExporter(entry as never, 3, noop)).rejects.toThrow(message);
    } finally {
      if (env !== undefined) process.env.DD_API_KEY = env;
    }
  });
});

describe('CloudWatchLogExporter start-up', () => {
  it('names the optional peer package and how to install it when it is missing', async () => {
    const missing = Object.assign(
      new Error("Cannot find package '@aws-sdk/client-cloudwatch-logs'"),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    const exporter = new CloudWatchLogExporter({ logGroupName: '/app', region: 'us-east-1' }, () =>
      Promise.reject(missing),
    );
    await expect(exporter.start()).rejects.toThrow(
      /needs the optional peer dependency @aws-sdk\/client-cloudwatch-logs.*npm install @aws-sdk\/client-cloudwatch-logs/,
    );
  });

  it('does not load the SDK until it is started or used', () => {
    let loads = 0;
    const exporter = new CloudWatchLogExporter({ logGroupName: '/app' }, () => {
      loads++;
      return Promise.reject(new Error('not now'));
    });
    expect(exporter.logGroupName).toBe('/app');
    expect(loads).toBe(0);
  });

  it('asks for a region when none can be found', async () => {
    const saved = {
      AWS_REGION: process.env.AWS_REGION,
      AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
      AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE,
    };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    try {
      const exporter = new CloudWatchLogExporter({ logGroupName: '/app' });
      await expect(exporter.start()).rejects.toThrow(
        /no AWS region: set option "region" or AWS_REGION/,
      );
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
