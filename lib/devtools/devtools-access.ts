import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may use the viewer. A web page the developer opens can point a name it controls at
 * 127.0.0.1 (DNS rebinding) and then read the viewer as its own origin; the browser still
 * sends that name as `Host`, so only loopback names and the hosts the user lists pass.
 */

/** A configured `devtools.allowedHosts` entry: a host name, with a port or for any port. */
export interface HostRule {
  readonly host: string;
  readonly port: string | undefined;
}

/** `devtools.acceptSpans` after defaults: off, or who may post spans. */
export type SpanIntakeRule =
  | false
  | {
      /** Remote addresses spans are taken from; undefined: any. `'loopback'` stands for all. */
      readonly from: ReadonlySet<string> | undefined;
      /** Required as `Authorization: Bearer <token>`; undefined: none. */
      readonly token: string | undefined;
    };

const IPV4_LOOPBACK = /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOST_RULE = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;

/** `traces.internal:3000` or `traces.internal`; undefined when not a host[:port]. */
export function parseHostRule(entry: string): HostRule | undefined {
  const match = HOST_RULE.exec(entry.trim());
  if (match === null) return undefined;
  return { host: normalise(match[1]!), port: match[2] };
}

/** True when a request's `Host` names a loopback host or one the user allowed. */
export function isAllowedHost(header: string | undefined, rules: readonly HostRule[]): boolean {
  const parsed = header === undefined ? undefined : parseHostRule(header);
  if (parsed === undefined) return false;
  const { host, port } = parsed;
  if (isLoopbackName(host)) return true;
  return rules.some(
    (rule) => rule.host === host && (rule.port === undefined || rule.port === port),
  );
}

/** The answer to a refused host: which option lets it in. */
export function hostRefusal(header: string | undefined): string {
  const shown = (header ?? '').slice(0, 100);
  return (
    `The trace viewer answers loopback hosts only (localhost, 127.0.0.1, [::1]); Host ` +
    `"${shown}" is not one. To open it under this name, add it to the devtools.allowedHosts ` +
    `option of TracingModule.forRoot, e.g. devtools: { allowedHosts: ['${shown || 'host:port'}'] }.\n`
  );
}

/** Why a span post is refused (status and message), or undefined when it is accepted. */
export function spanIntakeRefusal(
  req: IncomingMessage,
  rule: Exclude<SpanIntakeRule, false>,
): { status: number; message: string } | undefined {
  if (rule.from !== undefined) {
    const address = normaliseAddress(req.socket.remoteAddress);
    const allowed =
      (rule.from.has('loopback') && isLoopbackAddress(address)) || rule.from.has(address);
    if (!allowed) {
      return {
        status: 403,
        message: `spans from ${address || 'this address'} are not accepted: see devtools.acceptSpans.from`,
      };
    }
  }
  if (rule.token !== undefined && !hasToken(req.headers.authorization, rule.token)) {
    return {
      status: 401,
      message: 'spans need "Authorization: Bearer <devtools.acceptSpans.token>"',
    };
  }
  return undefined;
}

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || IPV4_LOOPBACK.test(address);
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) → `127.0.0.1`. */
export function normaliseAddress(address: string | undefined): string {
  const lower = (address ?? '').toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

function isLoopbackName(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    IPV4_LOOPBACK.test(host)
  );
}

function normalise(host: string): string {
  const lower = host.toLowerCase();
  // `localhost.` is `localhost`: a fully qualified name's trailing dot.
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function hasToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
