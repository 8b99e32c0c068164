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
 * Attestation status of images, cached by digest in the plugin database. One
 * check per image at a time: concurrent callers share the one in flight.
 * Registry failures never throw: they become `unavailable` with the last
 * known result.
 */
export class AttestationService {
  private readonly inflight = new Map<string, Promise<ImageStatus>>();
  /** The latest stored result per image, until its tag TTL runs out: spares the database on the hot path. */
  private readonly recent = new Map<
    string,
    { status: ImageStatus; expires: number }
  >();
  /** Registry checks started, for the fleet-refresh benchmark and tests. */
  checksStarted = 0;

  constructor(
    private readonly options: {
      client: RegistryClient;
      checker: ImageChecker;
      store: ResultStore;
      logger: LoggerService;
      tagTtlMs: number;
    },
  ) {}

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
    if (!options.force) {
      const hot = this.recent.get(key);
      if (hot && hot.expires > Date.now()) return hot.status;
      const cached = await this.options.store.getByRef(key);
      if (
        cached &&
        Date.now() - cached.resolvedAt.getTime() < this.options.tagTtlMs
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
      pending = this.runCheck(image, key).finally(() =>
        this.inflight.delete(key),
      );
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private remember(key: string, status: ImageStatus, resolvedAt: number) {
    this.recent.delete(key);
    this.recent.set(key, {
      status,
      expires: resolvedAt + this.options.tagTtlMs,
    });
    if (this.recent.size > 10_000)
      this.recent.delete(this.recent.keys().next().value!);
  }

  private async runCheck(
    image: ImageReference,
    key: string,
  ): Promise<ImageStatus> {
    this.checksStarted++;
    const started = new Date();
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

function digestOf(digestKey: string): string | undefined {
  const digest = digestKey.split('@')[1];
  return digest?.startsWith('sha256:') ? digest : undefined;
}
