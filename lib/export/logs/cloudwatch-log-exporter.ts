import { hostname } from 'node:os';
import { InFlightRequests } from '../spans/in-flight-requests.js';
import { ExportResultCode, SUCCESS, type ExportResult } from '../../core/span-exporter.js';
import type { LogExporter, LogRecord } from '../../core/log-record.js';
import { ChunkedDelivery } from './chunked-delivery.js';
import {
  CLOUDWATCH_LIMITS,
  splitCloudWatchBatches,
  toCloudWatchLogEvents,
  type CloudWatchLimits,
  type CloudWatchLogEvent,
} from './cloudwatch-log-format.js';
import { checkOptions, optionError, optionalString, validateUrl } from './exporter-options.js';

/** Static AWS credentials; by default the SDK's standard chain finds them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CloudWatchLogExporterOptions {
  /** The log group, e.g. `/nestjs/orders`. Created when missing (see `createMissing`). */
  logGroupName: string;
  /** @default `<host name>/<pid>` */
  logStreamName?: string;
  /** @default the SDK's: AWS_REGION, then the shared config file */
  region?: string;
  /** Another endpoint (LocalStack, a VPC endpoint). @default the region's */
  endpoint?: string;
  /** @default the SDK's standard chain: environment, shared files, SSO, container and instance roles */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Create the log group and stream on ResourceNotFoundException. @default true */
  createMissing?: boolean;
  /**
   * More `CloudWatchLogsClient` settings (proxy agents, a custom request handler). The
   * batch queue does the retrying: the client makes one attempt unless `maxAttempts` is set here.
   */
  clientConfig?: Readonly<Record<string, unknown>>;
  /** Called when CloudWatch rejects some events of a batch (too old, too new, expired). */
  onRejected?: (message: string) => void;
}

/** The part of `@aws-sdk/client-cloudwatch-logs` this exporter uses. */
interface CloudWatchLogsSdk {
  CloudWatchLogsClient: new (config: Record<string, unknown>) => CloudWatchLogsClientLike;
  PutLogEventsCommand: new (input: {
    logGroupName: string;
    logStreamName: string;
    logEvents: CloudWatchLogEvent[];
  }) => object;
  CreateLogGroupCommand: new (input: { logGroupName: string }) => object;
  CreateLogStreamCommand: new (input: { logGroupName: string; logStreamName: string }) => object;
}

interface CloudWatchLogsClientLike {
  send(command: object): Promise<unknown>;
  destroy(): void;
  config: { region: () => Promise<string> };
}

interface PutLogEventsOutput {
  rejectedLogEventsInfo?: {
    tooNewLogEventStartIndex?: number;
    tooOldLogEventEndIndex?: number;
    expiredLogEventEndIndex?: number;
  };
}

/** Loads the SDK; a parameter so tests can stand in for a missing package. */
export type CloudWatchSdkLoader = () => Promise<unknown>;

export const CLOUDWATCH_SDK_PACKAGE = '@aws-sdk/client-cloudwatch-logs';
const OWNER = 'CloudWatchLogExporter';
// Group and stream names allow [^:*] and at most 512 characters.
const NAME = /^[^:*]{1,512}$/;
const RETRYABLE_ERRORS = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'LimitExceededException',
]);
const FINAL_ERRORS = new Set(['CredentialsProviderError', 'UnrecognizedClientException']);

const loadSdkPackage: CloudWatchSdkLoader = () => import('@aws-sdk/client-cloudwatch-logs');

/**
 * Ships log records to AWS CloudWatch Logs with PutLogEvents, through the AWS SDK's
 * CloudWatch Logs client, so requests are signed with SigV4 from the standard
 * credential chain. The SDK is an optional peer dependency, loaded on first use. Events
 * are sorted by time and split by the API's count, size and 24-hour limits; a missing
 * group or stream is created and the batch sent again.
 */
export class CloudWatchLogExporter implements LogExporter {
  readonly logGroupName: string;
  readonly logStreamName: string;
  private readonly options: CloudWatchLogExporterOptions;
  private readonly limits: CloudWatchLimits;
  private readonly delivery = new ChunkedDelivery<CloudWatchLogEvent[]>();
  private readonly requests = new InFlightRequests(OWNER);
  private started:
    Promise<{ sdk: CloudWatchLogsSdk; client: CloudWatchLogsClientLike }> | undefined;
  private rejected = 0;

  constructor(
    options: CloudWatchLogExporterOptions,
    private readonly loadSdk: CloudWatchSdkLoader = loadSdkPackage,
    limits: Partial<CloudWatchLimits> = {},
  ) {
    checkOptions(OWNER, options);
    if (typeof options.logGroupName !== 'string' || !NAME.test(options.logGroupName)) {
      throw optionError(
        OWNER,
        'logGroupName',
        'a log group name (1-512 characters, no : or *)',
        options.logGroupName,
      );
    }
    const stream = options.logStreamName ?? `${hostname()}/${process.pid}`.replace(/[:*]/g, '_');
    if (typeof stream !== 'string' || !NAME.test(stream)) {
      throw optionError(
        OWNER,
        'logStreamName',
        'a log stream name (1-512 characters, no : or *)',
        stream,
      );
    }
    optionalString(OWNER, 'region', options.region);
    if (options.endpoint !== undefined) {
      validateUrl(OWNER, 'endpoint', options.endpoint, 'http://localhost:4566');
    }
    const credentials = options.credentials;
    if (
      credentials !== undefined &&
      typeof credentials !== 'function' &&
      (credentials === null ||
        typeof credentials !== 'object' ||
        typeof credentials.accessKeyId !== 'string' ||
        typeof credentials.secretAccessKey !== 'string')
    ) {
      throw optionError(
        OWNER,
        'credentials',
        '{ accessKeyId, secretAccessKey, sessionToken? } or a function returning them',
        credentials,
      );
    }
    if (options.createMissing !== undefined && typeof options.createMissing !== 'boolean') {
      throw optionError(OWNER, 'createMissing', 'a boolean', options.createMissing);
    }
    this.logGroupName = options.logGroupName;
    this.logStreamName = stream;
    this.options = options;
    this.limits = { ...CLOUDWATCH_LIMITS, ...limits };
  }

  /** Events CloudWatch accepted the batch of but refused (too old, too new, expired). */
  get rejectedEvents(): number {
    return this.rejected;
  }

  /**
   * Loads the SDK and makes the client; fails when the SDK is not installed or no region
   * can be found. TracingModule awaits it at start-up so such a mistake is seen at once.
   */
  async start(): Promise<void> {
    await this.client();
  }

  export(records: readonly LogRecord[]): Promise<ExportResult> {
    const refused = this.requests.refusal();
    if (refused !== undefined) return Promise.resolve(refused);
    if (records.length === 0) return Promise.resolve(SUCCESS);
    return this.requests.track(this.send(records));
  }

  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  async shutdown(): Promise<void> {
    await this.requests.stop();
    const started = await this.started?.catch(() => undefined);
    started?.client.destroy();
  }

  private client(): Promise<{ sdk: CloudWatchLogsSdk; client: CloudWatchLogsClientLike }> {
    this.started ??= this.create();
    return this.started;
  }

  private async create(): Promise<{ sdk: CloudWatchLogsSdk; client: CloudWatchLogsClientLike }> {
    let loaded: unknown;
    try {
      loaded = await this.loadSdk();
    } catch (error) {
      throw new Error(
        `${OWNER} needs the optional peer dependency ${CLOUDWATCH_SDK_PACKAGE}, which could not be loaded (${messageOf(error)}). Install it: npm install ${CLOUDWATCH_SDK_PACKAGE}`,
        { cause: error },
      );
    }
    const sdk = toSdk(loaded);
    const { region, endpoint, credentials, clientConfig } = this.options;
    const client = new sdk.CloudWatchLogsClient({
      maxAttempts: 1,
      ...clientConfig,
      ...(region !== undefined ? { region } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
    });
    try {
      await client.config.region();
    } catch (error) {
      client.destroy();
      throw new Error(
        `${OWNER}: no AWS region: set option "region" or AWS_REGION (${messageOf(error)})`,
        { cause: error },
      );
    }
    return { sdk, client };
  }

  private async send(records: readonly LogRecord[]): Promise<ExportResult> {
    let started: { sdk: CloudWatchLogsSdk; client: CloudWatchLogsClientLike };
    try {
      started = await this.client();
    } catch (error) {
      return { code: ExportResultCode.FAILED, error: toError(error) };
    }
    const batches = splitCloudWatchBatches(
      toCloudWatchLogEvents(records, this.limits),
      this.limits,
    );
    return this.delivery.deliver(records, batches, (events) => this.put(started, events));
  }

  private async put(
    { sdk, client }: { sdk: CloudWatchLogsSdk; client: CloudWatchLogsClientLike },
    logEvents: CloudWatchLogEvent[],
  ): Promise<ExportResult> {
    const input = { logGroupName: this.logGroupName, logStreamName: this.logStreamName, logEvents };
    try {
      try {
        this.noteRejected(
          (await client.send(new sdk.PutLogEventsCommand(input))) as PutLogEventsOutput,
        );
      } catch (error) {
        if (
          errorName(error) !== 'ResourceNotFoundException' ||
          this.options.createMissing === false
        ) {
          throw error;
        }
        await this.createGroupAndStream(sdk, client);
        this.noteRejected(
          (await client.send(new sdk.PutLogEventsCommand(input))) as PutLogEventsOutput,
        );
      }
      return SUCCESS;
    } catch (error) {
      return failure(error, this.logGroupName, this.logStreamName);
    }
  }

  /** The stream first (the usual case: the group exists); the group too when that fails. */
  private async createGroupAndStream(sdk: CloudWatchLogsSdk, client: CloudWatchLogsClientLike) {
    const stream = { logGroupName: this.logGroupName, logStreamName: this.logStreamName };
    try {
      await ignoreExisting(client.send(new sdk.CreateLogStreamCommand(stream)));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      await ignoreExisting(
        client.send(new sdk.CreateLogGroupCommand({ logGroupName: this.logGroupName })),
      );
      await ignoreExisting(client.send(new sdk.CreateLogStreamCommand(stream)));
    }
  }

  private noteRejected(output: PutLogEventsOutput | undefined): void {
    const info = output?.rejectedLogEventsInfo;
    if (info === undefined) return;
    const parts: string[] = [];
    if (info.tooOldLogEventEndIndex !== undefined)
      parts.push(`too old up to event ${info.tooOldLogEventEndIndex}`);
    if (info.expiredLogEventEndIndex !== undefined)
      parts.push(`expired up to event ${info.expiredLogEventEndIndex}`);
    if (info.tooNewLogEventStartIndex !== undefined)
      parts.push(`too new from event ${info.tooNewLogEventStartIndex}`);
    if (parts.length === 0) return;
    this.rejected++;
    try {
      this.options.onRejected?.(
        `${OWNER}: CloudWatch rejected events of a batch: ${parts.join(', ')}`,
      );
    } catch {
      // A reporter's fault must not fail the export.
    }
  }
}

function toSdk(loaded: unknown): CloudWatchLogsSdk {
  const mod = loaded as Partial<CloudWatchLogsSdk> & { default?: Partial<CloudWatchLogsSdk> };
  // Node exposes a CommonJS package's exports on `default`, and usually by name too.
  const sdk = typeof mod.CloudWatchLogsClient === 'function' ? mod : mod.default;
  if (
    sdk === undefined ||
    typeof sdk.CloudWatchLogsClient !== 'function' ||
    typeof sdk.PutLogEventsCommand !== 'function'
  ) {
    throw new Error(`${OWNER}: ${CLOUDWATCH_SDK_PACKAGE} does not export CloudWatchLogsClient`);
  }
  return sdk as CloudWatchLogsSdk;
}

async function ignoreExisting(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    // Another instance created it between our calls.
    if (errorName(error) !== 'ResourceAlreadyExistsException') throw error;
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as { name?: string }).name
    : undefined;
}

function failure(error: unknown, group: string, stream: string): ExportResult {
  const e = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const retryable =
    !FINAL_ERRORS.has(name) &&
    (e?.$retryable !== undefined ||
      RETRYABLE_ERRORS.has(name) ||
      status === undefined ||
      status === 429 ||
      status >= 500);
  return {
    code: ExportResultCode.FAILED,
    retryable,
    error: new Error(
      `${OWNER}: PutLogEvents to ${group}/${stream} failed: ${status !== undefined ? `HTTP ${status} ` : ''}${name}: ${messageOf(error)}`,
      { cause: error },
    ),
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
