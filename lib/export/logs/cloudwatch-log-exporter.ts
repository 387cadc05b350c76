import { hostname } from 'node:os';
import { InFlightRequests } from '../transport/in-flight-requests.js';
import { ExportResultCode, SUCCESS, type ExportResult } from '../../core/span-exporter.js';
import type { LogExporter, LogRecord } from '../../core/log-record.js';
import { ChunkedDelivery } from '../transport/chunked-delivery.js';
import {
  CLOUDWATCH_LIMITS,
  splitCloudWatchBatches,
  toCloudWatchLogEvents,
  type CloudWatchLimits,
  type CloudWatchLogEvent,
} from './cloudwatch-log-format.js';
import {
  CloudWatchLogsApi,
  isResourceNotFound,
  loadCloudWatchSdk,
  putLogEventsFailure,
  type AwsCredentials,
  type CloudWatchSdkLoader,
  type RejectedLogEventsInfo,
} from './cloudwatch-logs-api.js';
import {
  checkOptions,
  optionError,
  optionalString,
  validateUrl,
} from '../transport/exporter-options.js';

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

const OWNER = 'CloudWatchLogExporter';
// Group and stream names allow [^:*] and at most 512 characters.
const NAME = /^[^:*]{1,512}$/;

/**
 * Ships log records to AWS CloudWatch Logs with PutLogEvents, through the AWS SDK's
 * CloudWatch Logs client (CloudWatchLogsApi), so requests are signed with SigV4 from the
 * standard credential chain. The SDK is an optional peer dependency, loaded on first use.
 * Events are sorted by time and split by the API's count, size and 24-hour limits; a
 * missing group or stream is created and the batch sent again.
 */
export class CloudWatchLogExporter implements LogExporter {
  readonly logGroupName: string;
  readonly logStreamName: string;
  private readonly options: CloudWatchLogExporterOptions;
  private readonly limits: CloudWatchLimits;
  private readonly delivery = new ChunkedDelivery<CloudWatchLogEvent[]>();
  private readonly requests = new InFlightRequests(OWNER);
  private started: Promise<CloudWatchLogsApi> | undefined;
  private rejected = 0;

  constructor(
    options: CloudWatchLogExporterOptions,
    private readonly loadSdk: CloudWatchSdkLoader = loadCloudWatchSdk,
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
    await this.api();
  }

  export(records: readonly LogRecord[]): Promise<ExportResult> {
    return this.requests.export(records.length, () => this.send(records));
  }

  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  async shutdown(): Promise<void> {
    await this.requests.stop();
    const started = await this.started?.catch(() => undefined);
    started?.destroy();
  }

  private api(): Promise<CloudWatchLogsApi> {
    this.started ??= CloudWatchLogsApi.open(this.loadSdk, this.options);
    return this.started;
  }

  private async send(records: readonly LogRecord[]): Promise<ExportResult> {
    let api: CloudWatchLogsApi;
    try {
      api = await this.api();
    } catch (error) {
      return { code: ExportResultCode.FAILED, error: toError(error) };
    }
    const batches = splitCloudWatchBatches(
      toCloudWatchLogEvents(records, this.limits),
      this.limits,
    );
    return this.delivery.deliver(records, batches, (events) => this.put(api, events));
  }

  private async put(
    api: CloudWatchLogsApi,
    logEvents: CloudWatchLogEvent[],
  ): Promise<ExportResult> {
    try {
      try {
        this.noteRejected(await api.putLogEvents(this.logGroupName, this.logStreamName, logEvents));
      } catch (error) {
        if (!isResourceNotFound(error) || this.options.createMissing === false) throw error;
        await this.createGroupAndStream(api);
        this.noteRejected(await api.putLogEvents(this.logGroupName, this.logStreamName, logEvents));
      }
      return SUCCESS;
    } catch (error) {
      return putLogEventsFailure(error, this.logGroupName, this.logStreamName);
    }
  }

  /** The stream first (the usual case: the group exists); the group too when that fails. */
  private async createGroupAndStream(api: CloudWatchLogsApi): Promise<void> {
    try {
      await api.createLogStream(this.logGroupName, this.logStreamName);
    } catch (error) {
      if (!isResourceNotFound(error)) throw error;
      await api.createLogGroup(this.logGroupName);
      await api.createLogStream(this.logGroupName, this.logStreamName);
    }
  }

  private noteRejected(info: RejectedLogEventsInfo | undefined): void {
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

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
