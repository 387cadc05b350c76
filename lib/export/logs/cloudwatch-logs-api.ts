import { ExportResultCode, type ExportResult } from '../../core/span-exporter.js';
import type { CloudWatchLogEvent } from './cloudwatch-log-format.js';

/** Static AWS credentials; by default the SDK's standard chain finds them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How to make the SDK client. */
export interface CloudWatchLogsApiOptions {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  clientConfig?: Readonly<Record<string, unknown>>;
}

/** Loads the SDK; a parameter so tests can stand in for a missing package. */
export type CloudWatchSdkLoader = () => Promise<unknown>;

/** What PutLogEvents reports about events it refused. */
export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

export const CLOUDWATCH_SDK_PACKAGE = '@aws-sdk/client-cloudwatch-logs';
const OWNER = 'CloudWatchLogExporter';
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

export const loadCloudWatchSdk: CloudWatchSdkLoader = () =>
  import('@aws-sdk/client-cloudwatch-logs');

/** The part of `@aws-sdk/client-cloudwatch-logs` this adapter uses. */
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
  rejectedLogEventsInfo?: RejectedLogEventsInfo;
}

/**
 * The CloudWatch Logs calls the exporter makes, through the AWS SDK's client (so requests
 * are signed with SigV4 from the standard credential chain). The SDK is an optional peer
 * dependency, loaded by `open`.
 */
export class CloudWatchLogsApi {
  private constructor(
    private readonly sdk: CloudWatchLogsSdk,
    private readonly client: CloudWatchLogsClientLike,
  ) {}

  /** Loads the SDK and makes a client; fails when the SDK is missing or no region is found. */
  static async open(
    loadSdk: CloudWatchSdkLoader,
    options: CloudWatchLogsApiOptions,
  ): Promise<CloudWatchLogsApi> {
    let loaded: unknown;
    try {
      loaded = await loadSdk();
    } catch (error) {
      throw new Error(
        `${OWNER} needs the optional peer dependency ${CLOUDWATCH_SDK_PACKAGE}, which could not be loaded (${messageOf(error)}). Install it: npm install ${CLOUDWATCH_SDK_PACKAGE}`,
        { cause: error },
      );
    }
    const sdk = toSdk(loaded);
    const { region, endpoint, credentials, clientConfig } = options;
    // The batch queue does the retrying: one attempt unless clientConfig says otherwise.
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
    return new CloudWatchLogsApi(sdk, client);
  }

  /** PutLogEvents; resolves to what CloudWatch refused of the batch, if anything. */
  async putLogEvents(
    logGroupName: string,
    logStreamName: string,
    logEvents: CloudWatchLogEvent[],
  ): Promise<RejectedLogEventsInfo | undefined> {
    const command = new this.sdk.PutLogEventsCommand({ logGroupName, logStreamName, logEvents });
    const output = (await this.client.send(command)) as PutLogEventsOutput | undefined;
    return output?.rejectedLogEventsInfo;
  }

  /** CreateLogGroup; one that already exists counts as created. */
  createLogGroup(logGroupName: string): Promise<void> {
    return ignoreExisting(this.client.send(new this.sdk.CreateLogGroupCommand({ logGroupName })));
  }

  /** CreateLogStream; one that already exists counts as created. */
  createLogStream(logGroupName: string, logStreamName: string): Promise<void> {
    return ignoreExisting(
      this.client.send(new this.sdk.CreateLogStreamCommand({ logGroupName, logStreamName })),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** Whether an SDK error says the log group or stream does not exist. */
export function isResourceNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

/** A failed PutLogEvents as an export result, retryable unless the SDK error is final. */
export function putLogEventsFailure(error: unknown, group: string, stream: string): ExportResult {
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
