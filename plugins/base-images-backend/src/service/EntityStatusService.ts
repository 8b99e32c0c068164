import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_BASE_IMAGE_REF,
  ANNOTATION_BASE_IMAGE_RUNTIME,
  AttestationReport,
  BaseImageFinding,
  BaseImagesConfig,
  BaseImageStatusResponse,
  classifyImage,
  collectCompliance,
  complianceSubjectOf,
  EntityLoader,
  evaluateImage,
  familiarImageReference,
  frameworkEvidence,
  ImageReference,
  notCheckedReport,
  parseImageReference,
  PolicyError,
  Runtime,
  RUNTIMES,
} from '@internal/backstage-plugin-base-images-common';
import { DiscoveryResult } from '../discovery/DiscoveryStore';
import { AttestationService } from './AttestationService';

/** Where the status of an entity gets its Dockerfile discovery from. */
export interface DiscoverySource {
  lookup(entity: Entity): Promise<DiscoveryResult>;
}

export interface StatusOptions {
  /** Ask the registry now (rate-limited by the attestation service). */
  force?: boolean;
  /** The entity's discovery result when the caller has it (the fleet refresh); else it is looked up. */
  discovery?: DiscoveryResult;
}

const shortDigest = (digest: string) =>
  digest.replace(/^sha256:/, '').slice(0, 12);

/** "3 days", "5 hours": how long ago an ISO time was, for messages. */
function ageOf(iso: string, now: number): string | undefined {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  // rounded as the card rounds its ages
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/**
 * Whether a declared and a discovered reference name the same image: same
 * repository, and the same digest when both pin one, else the same tag.
 */
function sameImage(a: ImageReference, b: ImageReference): boolean {
  if (a.registry !== b.registry || a.repository !== b.repository) return false;
  if (a.digest && b.digest) return a.digest === b.digest;
  const tag = (ref: ImageReference) =>
    ref.tag ?? (ref.digest ? undefined : 'latest');
  return tag(a) === tag(b);
}

/** Puts the policy verdict and the attestation status of one entity together. */
export class EntityStatusService {
  constructor(
    private readonly options: {
      config: BaseImagesConfig;
      attestations: AttestationService;
      /** Dockerfile discovery for components without `base-image/ref`. */
      discovery?: DiscoverySource;
      /** Milliseconds since the epoch, for ages in messages. Default `Date.now`. */
      now?: () => number;
    },
  ) {}

  async statusOf(
    entity: Entity,
    load: EntityLoader,
    options: StatusOptions = {},
  ): Promise<BaseImageStatusResponse> {
    const entityRef = stringifyEntityRef(entity);
    const annotations = entity.metadata.annotations ?? {};
    const rawRef = annotations[ANNOTATION_BASE_IMAGE_REF];
    const rawRuntime =
      annotations[ANNOTATION_BASE_IMAGE_RUNTIME]?.trim().toLowerCase();
    const runtime = (RUNTIMES as readonly string[]).includes(rawRuntime ?? '')
      ? (rawRuntime as Runtime)
      : undefined;
    const response: BaseImageStatusResponse = {
      entityRef,
      runtime: rawRuntime,
      policy: { frameworks: [], compliant: false, violations: [], reasons: [] },
      attestation: notCheckedReport(''),
    };
    const findings: BaseImageFinding[] = [];

    const discovery = await this.discoveryOf(entity, options);
    let image: ImageReference | undefined;
    let discoveredFrom: string | undefined;
    if (rawRef) {
      try {
        image = parseImageReference(rawRef.trim());
      } catch (error) {
        response.attestation.message = `'${ANNOTATION_BASE_IMAGE_REF}' is unusable: ${
          (error as Error).message
        }`;
      }
      if (image && discovery?.kind === 'found') {
        const found = parseImageReference(discovery.image);
        if (!sameImage(image, found)) {
          findings.push({
            kind: 'declared-differs',
            message: `'${ANNOTATION_BASE_IMAGE_REF}' says ${familiarImageReference(
              image,
            )}, but the final stage of ${discovery.file} (line ${
              discovery.line
            }) starts FROM ${familiarImageReference(
              found,
            )}; the annotation is what is checked here. Make them agree.`,
          });
        }
      }
    } else if (discovery?.kind === 'found') {
      // the parser only returns references that parse
      image = parseImageReference(discovery.image);
      discoveredFrom = `${discovery.file}:${discovery.line}`;
    } else {
      let why = '';
      if (discovery?.kind === 'unreadable')
        why = `, and its Dockerfile names no base image: ${discovery.message}`;
      else if (discovery?.kind === 'absent') why = `, and ${discovery.message}`;
      response.attestation.message = `no '${ANNOTATION_BASE_IMAGE_REF}' annotation${why}`;
    }
    if (discovery?.kind === 'unreadable') {
      findings.push({
        kind: 'dockerfile-unreadable',
        message: discovery.message,
      });
    }
    if (rawRuntime && !runtime) {
      response.policy.reasons.push(
        `'${ANNOTATION_BASE_IMAGE_RUNTIME}' is ${JSON.stringify(
          rawRuntime.slice(0, 40),
        )}; expected one of ${RUNTIMES.join(', ')}`,
      );
    }

    try {
      const compliance = await collectCompliance(
        complianceSubjectOf(entity),
        load,
        this.options.config,
      );
      response.policy.frameworks = compliance.frameworks;
      if (image) {
        const situation =
          (entity.spec as { lifecycle?: string } | undefined)?.lifecycle ===
          'experimental'
            ? 'prototype'
            : 'production';
        const verdict = evaluateImage(image, compliance, this.options.config, {
          runtime,
          situation,
        });
        response.policy = {
          ...verdict,
          reasons: [...response.policy.reasons, ...verdict.reasons],
        };
      }
      for (const missing of compliance.missing) {
        response.policy.reasons.push(
          `${missing} is not in the catalog (or not readable); its compliance could not be included`,
        );
      }
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      response.policy.error = error.message;
    }

    if (image) {
      const classification = classifyImage(image, this.options.config);
      response.variant = classification.variant;
      const { report, digest } = await this.options.attestations.status(image, {
        force: options.force,
      });
      response.image = {
        ref: familiarImageReference(image),
        registry: image.registry,
        repository: image.repository,
        tag: image.tag,
        digest: image.digest ?? digest,
        discoveredFrom,
      };
      response.attestation = report;
      const outdated = await this.outdated(image, report);
      if (outdated) {
        response.image.outdated = outdated.details;
        findings.push({ kind: 'outdated', message: outdated.message });
      }
    }
    if (findings.length > 0) response.findings = findings;
    // per framework, the attestation that proves it (the card shows it)
    response.policy.evidence = frameworkEvidence(
      response.policy.frameworks,
      response.attestation,
      this.options.config.frameworks,
    );
    return response;
  }

  private async discoveryOf(
    entity: Entity,
    options: StatusOptions,
  ): Promise<DiscoveryResult | undefined> {
    if (options.discovery) return options.discovery;
    // only components are built from a Dockerfile
    if (entity.kind.toLowerCase() !== 'component' || !this.options.discovery)
      return undefined;
    return this.options.discovery.lookup(entity);
  }

  /**
   * For a reference pinned by digest with a tag (`repo:tag@sha256:…`):
   * whether the tag now points at another digest. The age of the pin is how
   * old the pinned image is, when its attestations say when it was built.
   */
  private async outdated(
    image: ImageReference,
    report: AttestationReport,
  ): Promise<
    | {
        details: NonNullable<
          NonNullable<BaseImageStatusResponse['image']>['outdated']
        >;
        message: string;
      }
    | undefined
  > {
    if (!image.tag || !image.digest) return undefined;
    const tagged = { ...image, digest: undefined };
    const now = await this.options.attestations.resolveDigest(tagged);
    if (!('digest' in now) || now.digest === image.digest) return undefined;
    const pinnedCreatedAt = report.figures?.createdAt;
    const age =
      pinnedCreatedAt &&
      ageOf(pinnedCreatedAt, (this.options.now ?? Date.now)());
    return {
      details: {
        pinnedDigest: image.digest,
        currentDigest: now.digest,
        pinnedCreatedAt,
      },
      message: `${familiarImageReference(tagged)} now points at ${shortDigest(
        now.digest,
      )}, but this service is pinned to ${shortDigest(image.digest)}${
        age ? `, an image built ${age} ago` : ''
      }; move the pin to the current digest to get the tag's fixes.`,
    };
  }
}
