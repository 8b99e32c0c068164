/**
 * A small in-memory cache with a time to live and a size bound (oldest entries
 * go first). It holds promises, so concurrent misses for one key share a load.
 */
export class TtlCache<V> {
  private readonly entries = new Map<
    string,
    { value: Promise<V>; expires: number }
  >();

  constructor(
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.options.ttlMs });
    // a failed load is not remembered
    value.catch(() => this.entries.delete(key));
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return value;
  }
}
