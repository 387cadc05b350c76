import type { IntegrationName } from '../config/integration-options.js';
import type { Span } from '../core/types.js';
import { activeDbCall, subscribeChannelSpans } from './channel-spans.js';
import { endDbSpan, startDbSpan } from './db-span.js';
import type { ActiveHost, IntegrationHosts } from './integration.js';

/** What ioredis and node-redis publish for one command (their own field names). */
export interface RedisCommandMessage {
  /** `set` (ioredis) or `SET` (node-redis). */
  readonly command: string;
  /** The arguments as the library sanitized them (node-redis includes the command first). */
  readonly args: readonly unknown[];
  readonly database?: number;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  /** node-redis: set on the commands of a pipeline. */
  readonly batchMode?: string;
}

/** What they publish for a MULTI (both) or a pipeline (node-redis). */
export interface RedisBatchMessage {
  readonly batchMode: string;
  readonly batchSize: number;
  readonly database?: number;
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

const MAX_KEY = 256;

/**
 * `db.query.text` of a Redis command: the command and its first argument (the key, as the
 * library's own sanitizer left it), every other argument a `?`: `SET user:1 ?`, `HSET h ? ?`.
 * What the library already redacted (AUTH, HELLO, ECHO and unknown commands) stays `?`.
 */
export function redisQueryText(command: string, args: readonly unknown[], from = 0): string {
  if (args.length <= from) return command;
  const first = String(args[from]);
  let text = `${command} ${first.length > MAX_KEY ? `${first.slice(0, MAX_KEY)}…` : first}`;
  for (let i = from + 1; i < args.length; i++) text += ' ?';
  return text;
}

/** The Redis error prefix (`ERR`, `WRONGTYPE`, `NOSCRIPT`) of a reply error, if it is one. */
export function redisErrorPrefix(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : undefined;
  const prefix = message === undefined ? undefined : /^([A-Z][A-Z_]+)(?: |$)/.exec(message);
  return prefix?.[1];
}

function namespaceOf(message: { readonly database?: number }): string | undefined {
  return message.database === undefined ? undefined : String(message.database);
}

function closeRedisSpan(span: Span, _message: unknown, error: unknown): void {
  endDbSpan(span, error, error === undefined ? undefined : redisErrorPrefix(error));
}

interface OpenBatch {
  readonly message: object;
  readonly active: ActiveHost | undefined;
}

/**
 * Subscribes a Redis client's command and batch TracingChannels: a CLIENT span per command
 * (`SET`, `db.query.text` `SET user:1 ?`) and per batch (`MULTI` / `PIPELINE` with
 * `db.operation.batch.size`); the commands a batch sends synchronously inside its own call are
 * its children, and MULTI/EXEC themselves are left out there (the batch span is the MULTI).
 */
export function subscribeRedis(
  hosts: IntegrationHosts,
  integration: IntegrationName,
  channels: { readonly command: string; readonly batch: string },
  /** Where the arguments start in `args`: 1 when the library puts the command name first. */
  firstArg: number,
): () => void {
  // A batch's call publishes its commands synchronously between its start and end.
  const batches: OpenBatch[] = [];
  const unsubscribeCommands = subscribeChannelSpans<RedisCommandMessage>(channels.command, {
    open(message) {
      const operation = String(message.command).toUpperCase();
      const batch = batches.at(-1);
      let active: ActiveHost | undefined;
      if (batch === undefined) {
        active = activeDbCall(hosts, integration);
      } else {
        if (operation === 'MULTI' || operation === 'EXEC') return undefined;
        active = batch.active;
      }
      if (active === undefined) return undefined;
      // Written out, not spread from a shared helper: the spread object made every span
      // ten times dearer (bench/cache-db.mjs).
      return startDbSpan(active, {
        system: 'redis',
        namespace: namespaceOf(message),
        serverAddress: message.serverAddress,
        serverPort: message.serverPort,
        name: operation,
        operation,
        queryText: redisQueryText(operation, message.args, firstArg),
      });
    },
    close: closeRedisSpan,
  });

  const unsubscribeBatches = subscribeChannelSpans<RedisBatchMessage>(channels.batch, {
    open(message) {
      const active = activeDbCall(hosts, integration);
      let span: Span | undefined;
      if (active !== undefined) {
        const operation = String(message.batchMode).toUpperCase();
        span = startDbSpan(active, {
          system: 'redis',
          namespace: namespaceOf(message),
          serverAddress: message.serverAddress,
          serverPort: message.serverPort,
          name: operation,
          operation,
          attributes: { 'db.operation.batch.size': message.batchSize },
        });
      }
      batches.push({
        message,
        active:
          span === undefined ? undefined : { ...active!, context: active!.context.withSpan(span) },
      });
      return span;
    },
    close: closeRedisSpan,
    returned(message) {
      if (batches.at(-1)?.message === message) batches.pop();
    },
  });

  return () => {
    unsubscribeCommands();
    unsubscribeBatches();
    batches.length = 0;
  };
}
