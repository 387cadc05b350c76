/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written from the
 * format's description (not from our formatter): it throws, with the line number, on
 * anything the format does not allow, and checks what Prometheus relies on in histograms
 * (an `le="+Inf"` bucket equal to `_count`, cumulative buckets, a `_sum`).
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with \\n');
  const families = new Map<string, ParsedFamily>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: ParsedFamily | undefined;
  const lines = text.split('\n');
  lines.pop();
  const family = (name: string, line: number): ParsedFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, samples: [] };
      families.set(name, f);
    }
    if (current !== f) {
      if (finished.has(name)) throw new Error(`line ${line}: family ${name} is not contiguous`);
      if (current !== undefined) finished.add(current.name);
      current = f;
    }
    return f;
  };
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (match === null) return; // a plain comment
      const [, keyword, name, rest = ''] = match;
      if (!METRIC_NAME.test(name!)) throw new Error(`line ${line}: invalid metric name ${name}`);
      const f = family(name!, line);
      if (keyword === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = unescape(rest, false, line);
      } else {
        if (f.type !== undefined) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        f.type = rest;
      }
      return;
    }
    const sample = parseSample(raw, line);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).toSorted())}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    family(familyOf(sample.name, families), line).samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum`, `_count` go to it. */
function familyOf(sample: string, families: Map<string, ParsedFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    if (families.get(base)?.type === 'histogram') return base;
  }
  return sample;
}

function parseSample(raw: string, line: number): ParsedSample {
  let i = 0;
  while (i < raw.length && /[a-zA-Z0-9_:]/.test(raw[i]!)) i++;
  const name = raw.slice(0, i);
  if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: invalid metric name "${name}"`);
  const labels: Record<string, string> = {};
  if (raw[i] === '{') {
    i++;
    while (raw[i] !== '}') {
      const start = i;
      while (i < raw.length && /[a-zA-Z0-9_]/.test(raw[i]!)) i++;
      const label = raw.slice(start, i);
      if (!LABEL_NAME.test(label)) throw new Error(`line ${line}: invalid label name "${label}"`);
      if (label in labels) throw new Error(`line ${line}: duplicate label ${label}`);
      if (raw[i] !== '=' || raw[i + 1] !== '"') throw new Error(`line ${line}: expected ="`);
      i += 2;
      let value = '';
      for (;;) {
        const c = raw[i];
        if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
        if (c === '"') break;
        if (c === '\\') {
          const next = raw[i + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new Error(`line ${line}: invalid escape \\${next ?? ''} in label value`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[label] = value;
      i++;
      if (raw[i] === ',') i++;
      else if (raw[i] !== '}') throw new Error(`line ${line}: expected , or } after label`);
    }
    i++;
  }
  if (raw[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
  const parts = raw.slice(i + 1).split(' ');
  if (parts.length > 2 || (parts.length === 2 && !/^-?\d+$/.test(parts[1]!))) {
    throw new Error(`line ${line}: expected a value and an optional integer timestamp`);
  }
  return { name, labels, value: parseValue(parts[0]!, line) };
}

function parseValue(text: string, line: number): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`line ${line}: invalid value "${text}"`);
  }
  return Number(text);
}

function unescape(text: string, quotes: boolean, line: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (quotes && c === '"') return '"';
    throw new Error(`line ${line}: invalid escape \\${c}`);
  });
}

function checkHistogram(f: ParsedFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).toSorted());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      group.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_sum`) group.sum = s.value;
    else if (s.name === `${f.name}_count`) group.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [key, g] of groups) {
    if (g.sum === undefined || g.count === undefined) {
      throw new Error(`${f.name}${key}: missing _sum or _count`);
    }
    const last = g.buckets.at(-1);
    if (last === undefined || last[0] !== Infinity) {
      throw new Error(`${f.name}${key}: missing le="+Inf" bucket`);
    }
    if (last[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket is not _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0])) {
        throw new Error(`${f.name}${key}: bucket bounds not increasing`);
      }
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) {
        throw new Error(`${f.name}${key}: buckets not cumulative`);
      }
    }
  }
}

/** The value of the one sample named `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches: ParsedSample[] = [];
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) matches.push(s);
    }
  }
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match`);
  return matches[0]?.value;
}
