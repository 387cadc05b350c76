import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ActiveHost, Integration, IntegrationHosts } from './integration.js';
import {
  endOutgoingCall,
  startOutgoingCall,
  type HeaderCarrier,
  type OutgoingCall,
} from './outgoing-http.js';

interface RequestMessage {
  readonly request: ClientRequest;
}
interface ResponseMessage {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
}
interface ErrorMessage {
  readonly request: ClientRequest;
  readonly error: unknown;
}

// Node's node:http client channels. `created` is published at the end of the ClientRequest
// constructor (Node 24; not Node 20), before the headers are written unless the caller gave
// them as an array or with `Expect` (the constructor then writes them at once); `start` when
// the request is ended (`_finish`), after the headers are written; `error` when the request
// fails (Node 24 and Node 20.20 publish it; older releases do not: the request's 'close'
// ends the span then); `response.finish` when the response head arrives.
const CREATED = 'http.client.request.created';
const START = 'http.client.request.start';
const ERROR = 'http.client.request.error';
const RESPONSE = 'http.client.response.finish';

/**
 * The node:http / node:https client (and axios, got, the SDKs on top of it): a CLIENT span
 * per request, opened when the request is created (trace headers set with `setHeader`
 * unless the caller set them or the headers are already written) or, where Node does not
 * publish `created`, when it starts (no headers then); the status read from the response
 * head; ended when the request closes (after the response body, on keep-alive sockets too)
 * or fails. A call that TracedHttpService / instrumentAxios traces is not traced again.
 */
export const httpIntegration: Integration = {
  name: 'http',
  installed: () => typeof diagnosticsChannel.subscribe === 'function',
  enable(hosts: IntegrationHosts): () => void {
    // Every request seen (traced or not), so `start` after `created` does nothing.
    const seen = new WeakMap<ClientRequest, OutgoingCall | null>();

    const open = (request: ClientRequest, inject: boolean): void => {
      if (seen.has(request)) return;
      let call: OutgoingCall | undefined;
      try {
        const active: ActiveHost | undefined = hosts.current('http');
        if (active !== undefined) {
          call = startOutgoingCall(
            active,
            request.method ?? 'GET',
            urlOf(request),
            inject && canSetHeaders(request) ? carrierOf(request) : undefined,
          );
        }
      } catch {
        // Tracing never breaks the call.
      }
      seen.set(request, call ?? null);
      if (call === undefined) return;
      const traced = call;
      // Ends the span whatever happens: after the response (keep-alive included), on a
      // failure Node reports no other way, on abort.
      request.once('close', () => {
        seen.delete(request);
        if (traced.ended) return;
        endOutgoingCall(
          traced,
          undefined,
          traced.status === undefined ? (request.aborted ? 'cancelled' : '_OTHER') : undefined,
        );
      });
    };

    const onCreated = (message: unknown): void => open((message as RequestMessage).request, true);
    const onStart = (message: unknown): void => open((message as RequestMessage).request, false);
    const onResponse = (message: unknown): void => {
      const { request, response } = message as ResponseMessage;
      const call = seen.get(request);
      if (call === undefined || call === null || call.ended) return;
      call.status = response.statusCode;
      try {
        if (response.httpVersion) {
          call.span.setAttribute('network.protocol.version', response.httpVersion);
        }
      } catch {
        // An attribute less.
      }
    };
    const onError = (message: unknown): void => {
      const { request, error } = message as ErrorMessage;
      const call = seen.get(request);
      if (call === undefined || call === null) return;
      endOutgoingCall(call, error ?? new Error('request failed'));
    };

    diagnosticsChannel.subscribe(CREATED, onCreated);
    diagnosticsChannel.subscribe(START, onStart);
    diagnosticsChannel.subscribe(RESPONSE, onResponse);
    diagnosticsChannel.subscribe(ERROR, onError);
    return () => {
      diagnosticsChannel.unsubscribe(CREATED, onCreated);
      diagnosticsChannel.unsubscribe(START, onStart);
      diagnosticsChannel.unsubscribe(RESPONSE, onResponse);
      diagnosticsChannel.unsubscribe(ERROR, onError);
    };
  },
};

/** `setHeader` throws once the head is written (`_header` set), as the array-headers constructor does. */
function canSetHeaders(request: ClientRequest): boolean {
  // oxlint-disable-next-line no-underscore-dangle -- Node's own field, the one setHeader checks
  const written = (request as unknown as { _header?: unknown })._header;
  return !request.headersSent && (written === null || written === undefined);
}

function carrierOf(request: ClientRequest): HeaderCarrier {
  return {
    set: (name, value) => request.setHeader(name, value),
    has: (name) => request.hasHeader(name),
  };
}

/** The URL the request goes to: scheme, the Host it sends, path (absolute when proxied). */
function urlOf(request: ClientRequest): string {
  const path = request.path ?? '/';
  if (/^https?:\/\//i.test(path)) return path;
  const protocol = request.protocol ?? 'http:';
  let authority: unknown;
  try {
    authority = request.getHeader('host');
  } catch {
    authority = undefined;
  }
  if (typeof authority !== 'string') authority = hostFromHead(request) ?? request.host;
  return `${protocol}//${String(authority)}${path}`;
}

/** The Host line of a head already written (headers given as an array have no getHeader). */
function hostFromHead(request: ClientRequest): string | undefined {
  // oxlint-disable-next-line no-underscore-dangle -- the head Node wrote
  const head = (request as unknown as { _header?: unknown })._header;
  if (typeof head !== 'string') return undefined;
  const match = /\r\nhost:[ \t]*([^\r\n]*)/i.exec(head);
  return match?.[1]?.trim() || undefined;
}
