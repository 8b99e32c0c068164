import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AttestationReport,
  formatImageReference,
  ImageReference,
  notCheckedReport,
} from '@internal/backstage-plugin-base-images-common';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { ResultStore, StoredResult } from '../database/ResultStore';
import { notInAllowListMessage, RegistryError } from '../registry/errors';
import { RegistryClient } from '../registry/RegistryClient';
import { ImageChecker } from './ImageChecker';

/**
 * An image's attestation report, and the digest it is about.
 * @public
 */
export interface ImageStatus {
  report: AttestationReport;
  digest?: string;
}

/**
 * Signature and attestation status of base images: the one place that
 * decides when the registry is asked. Swap it through `attestationServiceRef`
 * (tests, benchmarks, another verifier).
 *
 * @public
 */
export interface AttestationService {
  /**
   * The status of `image`. Never throws for registry trouble: that is an
   * `unavailable` report carrying the last known result. `force` asks for a
   * new check, granted at most once a minute per image.
   */
  status(
    image: ImageReference,
    options?: { force?: boolean },
  ): Promise<ImageStatus>;
  /**
   * The digest `image`'s tag resolves to now, or why it could not be told
   * (registry not allowed or not answering).
   */
  resolveDigest(
    image: ImageReference,
  ): Promise<{ digest: string } | { message: string }>;
}

/**
 * However often a re-check of one image is forced, the registry is asked at
 * most this often; a force sooner gets the latest result.
 */
export const FORCED_CHECK_INTERVAL_MS = 60_000;

/**
 * An outage is kept this long before a card asks the registry again: long
 * enough not to hammer a registry that is down, short enough to see it back.
 */
const OUTAGE_RETRY_MS = 30_000;

/** Images whose latest status is kept in memory (the fleet's distinct base images). */
const MAX_CACHED_IMAGES = 10_000;

/**
 * Checks running at once across all images: each may read up to its budget
 * (CheckBudget.maxBytes), so this bounds the memory a burst of cold cards or a
 * refresh can take.
 */
const MAX_CONCURRENT_CHECKS = 8;

/**
 * Checks waiting for a slot before new ones are turned away as `unavailable`:
 * a flood of references nobody else uses (they are user input) must not
 * queue without end in front of the fleet's real checks.
 */
export const MAX_QUEUED_CHECKS = 1000;

type DigestAnswer = { digest: string } | { message: string };

interface StatusLoad {
  image: ImageReference;
  force: boolean;
}

/**
 * The default AttestationService. Where an answer comes from, first hit wins:
 * 1. the in-memory cache (lru-cache), until the tag TTL since the check runs
 *    out; concurrent callers share one load;
 * 2. the plugin database (results by digest, tag -> digest with its time),
 *    which all replicas share, while the tag TTL holds;
 * 3. a registry check (ImageChecker), whose result goes into both.
 */
export class CachedAttestationService implements AttestationService {
  private readonly latest: LRUCache<string, ImageStatus, StatusLoad>;
  /** Tag -> digest answers, for pinning new services; same TTL as statuses. */
  private readonly digests: LRUCache<string, DigestAnswer, ImageReference>;
  private readonly checks = pLimit(MAX_CONCURRENT_CHECKS);
  private readonly now: () => number;

  constructor(
    private readonly options: {
      client: Pick<RegistryClient, 'registryFor'>;
      checker: Pick<ImageChecker, 'check' | 'resolveDigest'>;
      store: ResultStore;
      logger: LoggerService;
      tagTtlMs: number;
      /** Milliseconds since the epoch; tests move it on. Default `Date.now`. */
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
    this.latest = new LRUCache<string, ImageStatus, StatusLoad>({
      max: MAX_CACHED_IMAGES,
      ttl: options.tagTtlMs,
      perf: { now: this.now },
      fetchMethod: (key, _stale, { options: entry, context }) =>
        this.load(key, context, entry),
    });
    this.digests = new LRUCache<string, DigestAnswer, ImageReference>({
      max: MAX_CACHED_IMAGES,
      ttl: options.tagTtlMs,
      perf: { now: this.now },
      fetchMethod: (_key, _stale, { options: entry, context }) =>
        this.lookUpDigest(context, entry),
    });
  }

  async status(
    image: ImageReference,
    options: { force?: boolean } = {},
  ): Promise<ImageStatus> {
    if (!this.options.client.registryFor(image.registry)) {
      return {
        report: notCheckedReport(notInAllowListMessage(image.registry)),
      };
    }
    const key = checkKey(image);
    const force = !!options.force;
    if (force) {
      const recent = await this.recentCheck(key);
      if (recent) return recent;
    }
    // A check already in flight is shared, forced or not.
    const status = await this.latest.fetch(key, {
      context: { image, force },
      forceRefresh: force,
    });
    return status!;
  }

  async resolveDigest(
    image: ImageReference,
  ): Promise<{ digest: string } | { message: string }> {
    if (!this.options.client.registryFor(image.registry)) {
      return { message: notInAllowListMessage(image.registry) };
    }
    if (image.digest) return { digest: image.digest };
    return (await this.digests.fetch(formatImageReference(image), {
      context: image,
    }))!;
  }

  /** Asks the registry what `image`'s tag points at; failures are answers, kept briefly. */
  private async lookUpDigest(
    image: ImageReference,
    entry: LRUCache.FetcherOptions<
      string,
      DigestAnswer,
      ImageReference
    >['options'],
  ): Promise<DigestAnswer> {
    try {
      this.assertQueueRoom();
      return {
        digest: await this.checks(() =>
          this.options.checker.resolveDigest(image),
        ),
      };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      entry.ttl = Math.min(this.options.tagTtlMs, OUTAGE_RETRY_MS);
      return { message: error.message };
    }
  }

  private queueFullError(): RegistryError {
    return new RegistryError(
      'unavailable',
      `the status backend is busy: ${this.checks.pendingCount} registry checks are waiting; this one is asked again shortly`,
    );
  }

  private assertQueueRoom(): void {
    if (this.checks.pendingCount >= MAX_QUEUED_CHECKS)
      throw this.queueFullError();
  }

  /** The stored result while its tag TTL holds, else a registry check. */
  private async load(
    key: string,
    { image, force }: StatusLoad,
    entry: LRUCache.FetcherOptions<string, ImageStatus, StatusLoad>['options'],
  ): Promise<ImageStatus> {
    if (!force) {
      const stored = await this.options.store.getByRef(key);
      const age = stored && this.now() - stored.resolvedAt.getTime();
      if (stored && age! < this.options.tagTtlMs) {
        entry.ttl = this.options.tagTtlMs - age!;
        return fromStored(stored);
      }
    }
    const started = new Date(this.now());
    const status =
      this.checks.pendingCount >= MAX_QUEUED_CHECKS
        ? await this.unavailable(key, started, this.queueFullError())
        : await this.checks(() => this.runCheck(image, key, started));
    if (status.report.status === 'unavailable') {
      entry.ttl = Math.min(this.options.tagTtlMs, OUTAGE_RETRY_MS);
    }
    return status;
  }

  /**
   * What a forced re-check gets instead of a new one when the image was
   * checked less than {@link FORCED_CHECK_INTERVAL_MS} ago, here or (through
   * the stored result's time) on another replica.
   */
  private async recentCheck(key: string): Promise<ImageStatus | undefined> {
    const cached = this.latest.peek(key, { allowStale: true });
    const cachedAt = cached?.report.checkedAt
      ? Date.parse(cached.report.checkedAt)
      : undefined;
    if (
      cached &&
      cachedAt &&
      this.now() - cachedAt < FORCED_CHECK_INTERVAL_MS
    ) {
      return this.servedInstead(cached, cachedAt);
    }
    const stored = await this.options.store.getByRef(key);
    const resolvedAt = stored?.resolvedAt.getTime();
    if (stored && this.now() - resolvedAt! < FORCED_CHECK_INTERVAL_MS) {
      return this.servedInstead(fromStored(stored), resolvedAt!);
    }
    return undefined;
  }

  /** A copy of `status` whose message says why it is not a new check. */
  private servedInstead(status: ImageStatus, checkedAt: number): ImageStatus {
    const seconds = Math.max(0, Math.round((this.now() - checkedAt) / 1000));
    return {
      ...status,
      report: {
        ...status.report,
        message: `${status.report.message} (checked ${seconds} s ago; an image is re-checked at most once a minute)`,
      },
    };
  }

  private async runCheck(
    image: ImageReference,
    key: string,
    started: Date,
  ): Promise<ImageStatus> {
    try {
      const result = await this.options.checker.check(image);
      // by what the reference resolves to and the platform checked: indexes
      // wrapping one platform manifest are different images (one may be signed)
      const digestKey = `${image.registry}/${image.repository}@${
        result.digest ?? 'unknown'
      } ${result.platform ?? ''}`.trimEnd();
      await this.options.store.save(key, digestKey, result.report, started, {
        digest: result.digest,
        platform: result.platform,
      });
      return { report: result.report, digest: result.digest };
    } catch (error) {
      if (error instanceof RegistryError && error.kind === 'integrity') {
        const report: AttestationReport = {
          status: 'invalid',
          checkedAt: started.toISOString(),
          message: error.message,
          signatures: [],
          attestations: [],
        };
        await this.options.store.save(
          key,
          `${key}@unverifiable`,
          report,
          started,
        );
        return { report };
      }
      if (!(error instanceof RegistryError)) {
        this.options.logger.warn(
          `Base image check of ${key} failed`,
          error as Error,
        );
      }
      return this.unavailable(key, started, error as Error);
    }
  }

  /** An outage: never stored, carries the last stored result and its age. */
  private async unavailable(
    key: string,
    started: Date,
    error: Error,
  ): Promise<ImageStatus> {
    const last = await this.options.store.getByRef(key);
    return {
      digest: last?.digest,
      report: {
        status: 'unavailable',
        checkedAt: started.toISOString(),
        message:
          error instanceof RegistryError
            ? error.message
            : `the check failed: ${error.message}`,
        signatures: last?.report.signatures ?? [],
        attestations: last?.report.attestations ?? [],
        lastKnown: last
          ? {
              status: last.report.status,
              checkedAt: last.checkedAt.toISOString(),
              ageSeconds: Math.round(
                (started.getTime() - last.checkedAt.getTime()) / 1000,
              ),
            }
          : undefined,
      },
    };
  }
}

/**
 * What a check is about: a pinned reference is checked by its digest, so
 * `repo:a@D`, `repo:b@D` and `repo@D` are one image (one cache entry, one
 * rate limit, one check per refresh).
 */
function checkKey(image: ImageReference): string {
  return formatImageReference(
    image.digest ? { ...image, tag: undefined } : image,
  );
}

function fromStored(stored: StoredResult): ImageStatus {
  return { report: stored.report, digest: stored.digest };
}
