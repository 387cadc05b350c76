/** W3C Baggage entries: name → value (+ optional properties string, kept verbatim). */
export interface BaggageEntry {
  value: string;
  /** The raw `;`-separated properties that followed the value, if any. */
  metadata?: string;
}

/**
 * Request-scoped baggage. Mutable on purpose: the interceptor creates one per
 * request and every span context in that request shares it, so a value set by a
 * service is seen by the outgoing calls that follow.
 */
export class Baggage {
  // Made on the first entry: most requests carry no baggage, and every request has one.
  private entries: Map<string, BaggageEntry> | undefined;

  constructor(entries?: Iterable<readonly [string, BaggageEntry]>) {
    if (entries) for (const [k, v] of entries) this.map().set(k, v);
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(name: string): string | undefined {
    return this.entries?.get(name)?.value;
  }

  getEntry(name: string): BaggageEntry | undefined {
    return this.entries?.get(name);
  }

  set(name: string, value: string, metadata?: string): this {
    this.map().set(name, metadata === undefined ? { value } : { value, metadata });
    return this;
  }

  delete(name: string): boolean {
    return this.entries?.delete(name) ?? false;
  }

  all(): [string, BaggageEntry][] {
    return this.entries ? [...this.entries] : [];
  }

  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.entries) for (const [k, v] of this.entries) out[k] = v.value;
    return out;
  }

  private map(): Map<string, BaggageEntry> {
    return (this.entries ??= new Map());
  }
}
