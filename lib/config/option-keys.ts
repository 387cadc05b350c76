/**
 * The one check for unknown keys in an options object, at every level of the options: a
 * misspelt key is otherwise ignored without a word (`{ type: 'otlp', endpoint }` would send
 * to the default URL).
 */

/**
 * The keys of an options type, listed once at run time. Every key of `T` must be listed and
 * nothing else may be, so the list cannot drift from the interface.
 */
export function optionKeys<T extends object>(keys: {
  readonly [K in keyof Required<T>]: true;
}): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/**
 * Names other libraries (the OpenTelemetry SDK, dd-trace, Winston transports) use for one of
 * ours, when the spelling alone does not give it away.
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  endpoint: ['url'],
  collectorUrl: ['url'],
  host: ['url'],
  timeout: ['timeoutMs'],
  timeoutMillis: ['timeoutMs'],
  scheduledDelayMillis: ['scheduledDelayMs'],
  exportTimeoutMillis: ['exportTimeoutMs'],
  service: ['serviceName'],
  name: ['serviceName'],
  spanName: ['name'],
  version: ['serviceVersion'],
  env: ['environment'],
  resource: ['resourceAttributes'],
  attributes: ['resourceAttributes'],
  exporter: ['exporters'],
  propagator: ['propagators'],
  sampling: ['sampler'],
  sampleRate: ['sampler', 'ratio'],
  samplingRate: ['sampler', 'ratio'],
  probability: ['ratio'],
  disabled: ['enabled'],
  ignorePaths: ['ignoreRoutes'],
  ignoreUrls: ['ignoreRoutes'],
  excludePaths: ['ignoreRoutes'],
  limits: ['spanLimits'],
  tags: ['ddtags', 'labels'],
  source: ['ddsource'],
};

/**
 * The first key of `value` that is not in `known`, as a message naming its full path (`path`
 * is the object's own path, '' for the root), the known keys and the likely intended one;
 * undefined when every key is known.
 */
export function findUnknownOption(
  value: object,
  path: string,
  known: readonly string[],
): string | undefined {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closestOption(key, known);
    return (
      `unknown option "${path === '' ? key : `${path}.${key}`}"; known options are ` +
      `${known.join(', ')}${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`
    );
  }
  return undefined;
}

/** The known key `key` was most likely meant to be, if one is close enough. */
export function closestOption(key: string, known: readonly string[]): string | undefined {
  const normal = normalize(key);
  const same = known.find((k) => normalize(k) === normal);
  if (same !== undefined) return same;
  const alias = Object.entries(ALIASES).find(([name]) => normalize(name) === normal)?.[1];
  const aliased = alias?.find((k) => known.includes(k));
  if (aliased !== undefined) return aliased;
  return closestBySpelling(normal, known) ?? closestByWords(key, known);
}

/** Up to one edit in a short key, two in a longer one: further than that is a guess. */
function closestBySpelling(normal: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = normal.length > 5 ? 3 : 2;
  for (const candidate of known) {
    const distance = editDistance(normal, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The known key sharing most of the key's words (`eventLimit` -> `eventCountLimit`,
 * `maxFileSize` -> `maxFileBytes`, `recordArgs` -> `recordArguments`), when it shares more
 * than half of them.
 */
function closestByWords(key: string, known: readonly string[]): string | undefined {
  const mine = words(key);
  let best: string | undefined;
  let bestScore = 0;
  for (const candidate of known) {
    const theirs = words(candidate);
    const shared = mine.reduce((sum, w) => sum + Math.max(...theirs.map((t) => sameWord(w, t))), 0);
    const score = shared / (mine.length + theirs.length - shared);
    if (shared * 2 > mine.length && score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** 1 when equal, half when `mine` is short for it (`args`, `attr`, `file` for `files`). */
function sameWord(mine: string, theirs: string): number {
  if (mine === theirs) return 1;
  return mine.length >= 3 && theirs.startsWith(mine.replace(/s$/, '')) ? 0.5 : 0;
}

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean);
}

/** Case, `_` and `-` do not tell options apart (`api_key` is `apiKey`). */
function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
}
