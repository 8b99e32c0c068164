import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_BASE_IMAGE_REF,
  ANNOTATION_BASE_IMAGE_RUNTIME,
  BaseImagesConfig,
  BaseImageStatusResponse,
  classifyImage,
  collectCompliance,
  complianceSubjectOf,
  EntityLoader,
  evaluateImage,
  familiarImageReference,
  formatImageReference,
  ImageReference,
  parseImageReference,
  PolicyError,
  Runtime,
  RUNTIMES,
} from '@internal/backstage-plugin-base-images-common';
import { AttestationService, ImageStatus } from './AttestationService';
import { TtlCache } from './TtlCache';

/** Who the credentials belong to, as a cache key; undefined when they are not cacheable. */
function principalKey(credentials: BackstageCredentials): string | undefined {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal?.type === 'user' && principal.userEntityRef)
    return `user:${principal.userEntityRef}`;
  if (principal?.type === 'service' && principal.subject)
    return `service:${principal.subject}`;
  return undefined;
}

/**
 * Entity lookups through the catalog with the caller's credentials. Results
 * are kept per caller for a few seconds (`ENTITY_CACHE_TTL_MS`), so that a card
 * polled by many users does not cost a chain of catalog requests each time;
 * a permission change therefore takes up to that long to show.
 */
export const ENTITY_CACHE_TTL_MS = 10_000;
export class EntityLoaderFactory {
  private readonly cache = new TtlCache<Entity | undefined>({
    ttlMs: ENTITY_CACHE_TTL_MS,
    maxEntries: 50_000,
  });

  constructor(private readonly catalog: CatalogService) {}

  forCredentials(credentials: BackstageCredentials): EntityLoader {
    const who = principalKey(credentials);
    return ref => {
      const load = () => this.catalog.getEntityByRef(ref, { credentials });
      return who ? this.cache.get(`${who} ${ref}`, load) : load();
    };
  }
}

/** Puts the policy verdict and the attestation status of one entity together. */
export class EntityStatusService {
  constructor(
    private readonly options: {
      config: BaseImagesConfig;
      attestations: AttestationService;
    },
  ) {}

  /**
   * @param options.imageStatuses - shared across one request, so each distinct image is looked up once
   */
  async statusOf(
    entity: Entity,
    load: EntityLoader,
    options: {
      force?: boolean;
      imageStatuses?: Map<string, Promise<ImageStatus>>;
    } = {},
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
      attestation: {
        status: 'not-checked',
        message: '',
        signatures: [],
        attestations: [],
      },
    };

    let image: ImageReference | undefined;
    if (!rawRef) {
      response.attestation.message = `no '${ANNOTATION_BASE_IMAGE_REF}' annotation`;
    } else {
      try {
        image = parseImageReference(rawRef.trim());
      } catch (error) {
        response.attestation.message = `'${ANNOTATION_BASE_IMAGE_REF}' is unusable: ${
          (error as Error).message
        }`;
      }
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
      const key = formatImageReference(image);
      let pending = options.imageStatuses?.get(key);
      if (!pending) {
        pending = this.options.attestations.status(image, {
          force: options.force,
        });
        options.imageStatuses?.set(key, pending);
      }
      const { report, digest } = await pending;
      response.image = {
        ref: familiarImageReference(image),
        registry: image.registry,
        repository: image.repository,
        tag: image.tag,
        digest: image.digest ?? digest,
      };
      response.attestation = report;
    }
    return response;
  }
}
