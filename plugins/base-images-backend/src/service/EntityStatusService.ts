import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
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
  ImageReference,
  notCheckedReport,
  parseImageReference,
  PolicyError,
  Runtime,
  RUNTIMES,
} from '@internal/backstage-plugin-base-images-common';
import { AttestationService } from './AttestationService';

/** Puts the policy verdict and the attestation status of one entity together. */
export class EntityStatusService {
  constructor(
    private readonly options: {
      config: BaseImagesConfig;
      attestations: AttestationService;
    },
  ) {}

  async statusOf(
    entity: Entity,
    load: EntityLoader,
    options: { force?: boolean } = {},
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
      const { report, digest } = await this.options.attestations.status(image, {
        force: options.force,
      });
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
