import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AttestationReport,
  formatImageReference,
  ImageReference,
} from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from '../database/ResultStore';
import { RegistryError } from '../registry/errors';
import { RegistryClient } from '../registry/RegistryClient';
import { ImageChecker } from './ImageChecker';

export interface ImageStatus {
  report: AttestationReport;
  digest?: string;
}

/**
 * However often a re-check of one image is forced, the registry is asked at
 * most this often; a force sooner gets the latest result.
 */
export const FORCED_CHECK_INTERVAL_MS = 60_000;

/** Bound on the per-image maps kept in memory (oldest entries go first). */
const MAX_REMEMBERED_IMAGES = 10_000;

/**
 * Attestation status of images, cached by digest in the plugin database. One
 * check per image at a time: concurrent callers share the one in flight.
 * Forced re-checks of an image run at most once per
 * {@link FORCED_CHECK_INTERVAL_MS}, on this replica and, through the stored
 * result's time, across replicas. Registry failures never throw: they become
 * `unavailable` with the last known result.
 */
export class AttestationService {
  private readonly inflight = new Map<string, Promise<ImageStatus>>();
  /** The latest stored result per image, until its tag TTL runs out: spares the database on the hot path. */
  private readonly recent = new Map<
    string,
    { status: ImageStatus; expires: number }
  >();
  /** This replica's latest check per image, whatever its outcome (an outage is never stored). */
  private readonly lastChecks = new Map<
    string,
    { status: ImageStatus; startedAt: number }
  >();
  private readonly now: () => number;
  /** Registry checks started, for the fleet-refresh benchmark and tests. */
  checksStarted = 0;

  constructor(
    private readonly options: {
      client: Pick<RegistryClient, 'registryFor'>;
      checker: Pick<ImageChecker, 'check'>;
      store: ResultStore;
      logger: LoggerService;
      tagTtlMs: number;
      /** Milliseconds since the epoch; tests move it on. Default `Date.now`. */
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
  }

  async status(
    image: ImageReference,
    options: { force?: boolean } = {},
  ): Promise<ImageStatus> {
    if (!this.options.client.registryFor(image.registry)) {
      return {
        report: {
          status: 'not-checked',
          message: `${image.registry} is not in baseImages.registries, so it is never contacted`,
          signatures: [],
          attestations: [],
        },
      };
    }
    const key = formatImageReference(image);
    if (options.force) {
      const recent = await this.recentCheck(key);
      if (recent) return recent;
    } else {
      const hot = this.recent.get(key);
      if (hot && hot.expires > this.now()) return hot.status;
      const cached = await this.options.store.getByRef(key);
      if (
        cached &&
        this.now() - cached.resolvedAt.getTime() < this.options.tagTtlMs
      ) {
        const status = {
          report: cached.report,
          digest: digestOf(cached.digestKey),
        };
        this.remember(key, status, cached.resolvedAt.getTime());
        return status;
      }
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      const startedAt = this.now();
      pending = this.runCheck(image, key, new Date(startedAt))
        .then(status => {
          rememberBounded(this.lastChecks, key, { status, startedAt });
          return status;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * What a forced re-check gets instead of a new one when the image was
   * checked less than {@link FORCED_CHECK_INTERVAL_MS} ago: the check in
   * flight, this replica's last result, or the stored result (which another
   * replica may have written).
   */
  private async recentCheck(key: string): Promise<ImageStatus | undefined> {
    const local = this.recentLocalCheck(key);
    if (local) return local;
    const stored = await this.options.store.getByRef(key);
    // Checked again after the wait: a check may have started or finished meanwhile.
    const localAfterRead = this.recentLocalCheck(key);
    if (localAfterRead) return localAfterRead;
    if (!stored) return undefined;
    const resolvedAt = stored.resolvedAt.getTime();
    if (this.now() - resolvedAt >= FORCED_CHECK_INTERVAL_MS) return undefined;
    return this.servedInstead(
      { report: stored.report, digest: digestOf(stored.digestKey) },
      resolvedAt,
    );
  }

  private recentLocalCheck(
    key: string,
  ): Promise<ImageStatus> | ImageStatus | undefined {
    const inflight = this.inflight.get(key);
    if (inflight) return inflight;
    const last = this.lastChecks.get(key);
    if (last && this.now() - last.startedAt < FORCED_CHECK_INTERVAL_MS) {
      return this.servedInstead(last.status, last.startedAt);
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

  private remember(key: string, status: ImageStatus, resolvedAt: number) {
    rememberBounded(this.recent, key, {
      status,
      expires: resolvedAt + this.options.tagTtlMs,
    });
  }

  private async runCheck(
    image: ImageReference,
    key: string,
    started: Date,
  ): Promise<ImageStatus> {
    this.checksStarted++;
    try {
      const result = await this.options.checker.check(image);
      const digestKey = `${image.registry}/${image.repository}@${
        result.digest ?? 'unknown'
      }`;
      await this.options.store.save(key, digestKey, result.report, started);
      const status = { report: result.report, digest: result.digest };
      this.remember(key, status, started.getTime());
      return status;
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
      const message =
        error instanceof RegistryError
          ? error.message
          : `the check failed: ${(error as Error).message}`;
      if (!(error instanceof RegistryError))
        this.options.logger.warn(
          `Base image check of ${key} failed`,
          error as Error,
        );
      const last = await this.options.store.getByRef(key);
      return {
        digest: last ? digestOf(last.digestKey) : undefined,
        report: {
          status: 'unavailable',
          checkedAt: started.toISOString(),
          message,
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
}

/** Sets `key` as the newest entry, dropping the oldest beyond the bound. */
function rememberBounded<T>(map: Map<string, T>, key: string, value: T) {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED_IMAGES) map.delete(map.keys().next().value!);
}

function digestOf(digestKey: string): string | undefined {
  const digest = digestKey.split('@')[1];
  return digest?.startsWith('sha256:') ? digest : undefined;
}
