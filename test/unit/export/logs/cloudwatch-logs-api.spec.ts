import { describe, expect, it } from 'vitest';
import {
  CloudWatchLogsApi,
  isResourceNotFound,
  putLogEventsFailure,
} from '../../../../lib/export/logs/cloudwatch-logs-api.js';

/** A stand-in for the SDK module: records the commands sent, answers from `reply`. */
function fakeSdk(
  reply: (command: { kind: string; input: unknown }) => unknown,
  region = 'eu-west-1',
) {
  const sent: { kind: string; input: unknown }[] = [];
  const command = (kind: string) =>
    class {
      readonly kind = kind;
      constructor(readonly input: unknown) {}
    };
  const sdk = {
    CloudWatchLogsClient: class {
      destroyed = false;
      config = {
        region: () =>
          region ? Promise.resolve(region) : Promise.reject(new Error('Region is missing')),
      };
      constructor(readonly settings: Record<string, unknown>) {}
      send(c: { kind: string; input: unknown }) {
        sent.push({ kind: c.kind, input: c.input });
        try {
          return Promise.resolve(reply(c));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      destroy() {
        this.destroyed = true;
      }
    },
    PutLogEventsCommand: command('put'),
    CreateLogGroupCommand: command('group'),
    CreateLogStreamCommand: command('stream'),
  };
  return { sdk, sent };
}

const named = (name: string, extra: object = {}) =>
  Object.assign(new Error(name), { name, ...extra });

describe('CloudWatchLogsApi', () => {
  it('loads the SDK from a module default export and returns what PutLogEvents refused', async () => {
    const info = { tooOldLogEventEndIndex: 2 };
    const { sdk, sent } = fakeSdk(() => ({ rejectedLogEventsInfo: info }));
    const api = await CloudWatchLogsApi.open(() => Promise.resolve({ default: sdk }), {});
    const events = [{ timestamp: 1, message: 'm' }];
    await expect(api.putLogEvents('/g', 's', events)).resolves.toBe(info);
    expect(sent).toEqual([
      { kind: 'put', input: { logGroupName: '/g', logStreamName: 's', logEvents: events } },
    ]);
  });

  it('says how to install the SDK when it cannot be loaded, and names a missing region', async () => {
    await expect(
      CloudWatchLogsApi.open(() => Promise.reject(new Error('not found')), {}),
    ).rejects.toThrow('npm install @aws-sdk/client-cloudwatch-logs');
    const { sdk } = fakeSdk(() => ({}), '');
    await expect(CloudWatchLogsApi.open(() => Promise.resolve(sdk), {})).rejects.toThrow(
      'no AWS region: set option "region" or AWS_REGION',
    );
  });

  it('counts a group or stream that already exists as created', async () => {
    const { sdk } = fakeSdk(() => {
      throw named('ResourceAlreadyExistsException');
    });
    const api = await CloudWatchLogsApi.open(() => Promise.resolve(sdk), {});
    await expect(api.createLogGroup('/g')).resolves.toBeUndefined();
    await expect(api.createLogStream('/g', 's')).resolves.toBeUndefined();
  });
});

describe('putLogEventsFailure', () => {
  it('retries throttling, 5xx and network errors, not bad credentials', () => {
    expect(putLogEventsFailure(named('ThrottlingException'), '/g', 's').retryable).toBe(true);
    expect(
      putLogEventsFailure(named('X', { $metadata: { httpStatusCode: 503 } }), '/g', 's').retryable,
    ).toBe(true);
    expect(putLogEventsFailure(new Error('socket hang up'), '/g', 's').retryable).toBe(true);
    const final = putLogEventsFailure(
      named('UnrecognizedClientException', { $metadata: { httpStatusCode: 400 } }),
      '/g',
      's',
    );
    expect(final.retryable).toBe(false);
    expect(final.error?.message).toBe(
      'CloudWatchLogExporter: PutLogEvents to /g/s failed: HTTP 400 UnrecognizedClientException: UnrecognizedClientException',
    );
  });

  it('tells a missing group or stream apart', () => {
    expect(isResourceNotFound(named('ResourceNotFoundException'))).toBe(true);
    expect(isResourceNotFound(new Error('x'))).toBe(false);
  });
});
