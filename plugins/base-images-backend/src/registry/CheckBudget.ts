import { RegistryError } from './errors';

/**
 * What one image check may cost. The image reference is user input and an
 * allowed registry can still be compromised, so a registry decides neither how
 * long a check runs nor how much it reads, fetches or verifies.
 */
export interface CheckLimits {
  /** Wall-clock time for the whole check, in milliseconds. */
  deadlineMs: number;
  /** HTTP exchanges, counting token requests, 401 retries and redirect hops. */
  maxRequests: number;
  /** Bytes read from registries, all responses together. */
  maxBytes: number;
  /** Entries of the image's index (platforms and BuildKit attestations). */
  maxIndexEntries: number;
  /** Layers of one signature or attestation manifest. */
  maxLayers: number;
  /** Referrers of one subject digest. */
  maxReferrers: number;
  /** Signatures of one DSSE envelope, and signature material of one Sigstore bundle. */
  maxSignatures: number;
  /** Sigstore bundles in one bundle manifest. */
  maxBundleLayers: number;
}

/**
 * A cold check of a DHI image takes about 100 requests of well under a
 * second each; 30 s leaves room for a slow link while a page waiting on the
 * check still gets an answer.
 */
export const CHECK_DEADLINE_MS = 30_000;
/**
 * Each DHI attestation costs six to eight requests (its manifest, its
 * referrers, its signature manifest and `.sig` tag, two blobs): a DHI with
 * 16 attestations (Docker's count for a -fips image) takes 100 to 140, a
 * second location a few more (measured: 49 for the 7 of the test fixture).
 * About twice that is room for growth, not for a registry that lists
 * without end.
 */
export const MAX_REQUESTS_PER_CHECK = 300;
/**
 * Manifests are a few KiB and statements rarely above a few MiB (SBOMs are
 * the largest); 32 MiB holds four statements at the 8 MiB single-blob limit.
 */
export const MAX_BYTES_PER_CHECK = 32 * 1024 * 1024;
/**
 * Multi-platform images list one entry per platform plus one BuildKit
 * attestation manifest each: about 20 for the widest official images.
 */
export const MAX_INDEX_ENTRIES = 256;
/** BuildKit writes two or three statements per attestation manifest, DHI one. */
export const MAX_LAYERS_PER_MANIFEST = 32;
/** DHI lists about 15 attestations and their signatures per digest. */
export const MAX_REFERRERS_PER_SUBJECT = 64;
/**
 * One signature per signer, and each one costs a verification per trusted
 * key: more than a handful is padding, not co-signing.
 */
export const MAX_SIGNATURES_PER_ENVELOPE = 16;
/** A bundle manifest carries one bundle; each costs a full Sigstore verification per trusted key. */
export const MAX_BUNDLE_LAYERS = 4;

export const DEFAULT_CHECK_LIMITS: CheckLimits = {
  deadlineMs: CHECK_DEADLINE_MS,
  maxRequests: MAX_REQUESTS_PER_CHECK,
  maxBytes: MAX_BYTES_PER_CHECK,
  maxIndexEntries: MAX_INDEX_ENTRIES,
  maxLayers: MAX_LAYERS_PER_MANIFEST,
  maxReferrers: MAX_REFERRERS_PER_SUBJECT,
  maxSignatures: MAX_SIGNATURES_PER_ENVELOPE,
  maxBundleLayers: MAX_BUNDLE_LAYERS,
};

type ListLimit = Exclude<
  keyof CheckLimits,
  'deadlineMs' | 'maxRequests' | 'maxBytes'
>;

const LIST_LIMIT_NAMES: Record<ListLimit, string> = {
  maxIndexEntries: 'entries per index',
  maxLayers: 'layers per manifest',
  maxReferrers: 'referrers per subject',
  maxSignatures: 'signatures per envelope or bundle',
  maxBundleLayers: 'bundles per manifest',
};

/**
 * A check stopped by one of its limits. It is `unavailable`, never `invalid`:
 * the image may be fine, what it costs to tell is not.
 */
export class CheckLimitError extends RegistryError {
  constructor(readonly limit: keyof CheckLimits, message: string) {
    super('unavailable', message);
  }
}

const MIB = 1024 * 1024;

/**
 * The limits of one check, and what it has spent so far. Also holds the
 * check's memo of fetched content, so identical digests cost one fetch.
 */
export class CheckBudget {
  /** Aborts every request of the check at its deadline. */
  readonly signal: AbortSignal;
  private requests = 0;
  private bytes = 0;
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    /** The image being checked, as people write it: named in every message. */
    private readonly subject: string,
    readonly limits: CheckLimits,
  ) {
    this.signal = AbortSignal.timeout(limits.deadlineMs);
  }

  private exceeded(limit: keyof CheckLimits, reason: string) {
    return new CheckLimitError(
      limit,
      `the check of ${this.subject} stopped: ${reason}`,
    );
  }

  /** The error for a request aborted by the deadline. */
  deadlineError(): CheckLimitError {
    return this.exceeded(
      'deadlineMs',
      `its deadline of ${
        this.limits.deadlineMs / 1000
      } s passed (is a registry answering slowly?)`,
    );
  }

  checkDeadline(): void {
    if (this.signal.aborted) throw this.deadlineError();
  }

  /** Counts one HTTP exchange, before it is made. */
  countRequest(): void {
    this.checkDeadline();
    this.requests += 1;
    if (this.requests > this.limits.maxRequests)
      throw this.exceeded(
        'maxRequests',
        `registry request budget of ${this.limits.maxRequests} exhausted (does a registry list far more signatures or attestations than an image has?)`,
      );
  }

  private bytesExceeded() {
    return this.exceeded(
      'maxBytes',
      `read budget of ${
        Math.round((this.limits.maxBytes / MIB) * 10) / 10
      } MiB exhausted (does a registry serve far larger signatures or attestations than an image has?)`,
    );
  }

  /** Refuses a response whose Content-Length alone would exceed the budget. */
  expectBytes(declared: number): void {
    if (this.bytes + declared > this.limits.maxBytes)
      throw this.bytesExceeded();
  }

  /** Counts bytes as they are read. */
  countBytes(count: number): void {
    this.bytes += count;
    if (this.bytes > this.limits.maxBytes) throw this.bytesExceeded();
  }

  /**
   * Returns `items` when it is within `limit`, else stops the check: a list
   * cut short could hide the one signature that does not verify, so no
   * verdict is given from part of a list.
   */
  cap<T>(items: T[], limit: ListLimit, what: string, noun: string): T[] {
    const max = this.limits[limit];
    if (items.length > max)
      throw this.exceeded(
        limit,
        `${what} lists ${items.length} ${noun}, over the limit of ${max} ${LIST_LIMIT_NAMES[limit]}`,
      );
    return items;
  }

  /** Lets other requests run between expensive steps; stops at the deadline. */
  async pause(): Promise<void> {
    await new Promise(setImmediate);
    this.checkDeadline();
  }

  /** Loads `key` once per check; later callers share the first result. */
  once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      this.memo.set(key, pending);
    }
    return pending;
  }
}
