import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_BASE_IMAGE_REF,
  formatImageReference,
  ImageReference,
  parseImageReference,
} from '@internal/backstage-plugin-base-images-common';
import pLimit from 'p-limit';
import { AttestationService } from './AttestationService';

/** Components that carry a base-image annotation, as the given credentials may see them. */
export async function componentsWithBaseImage(
  catalog: CatalogService,
  credentials: BackstageCredentials,
): Promise<Entity[]> {
  const { items } = await catalog.getEntities(
    {
      filter: {
        kind: 'component',
        [`metadata.annotations.${ANNOTATION_BASE_IMAGE_REF}`]:
          CATALOG_FILTER_EXISTS,
      },
    },
    { credentials },
  );
  return items;
}

/**
 * Re-checks every distinct base image in the catalog once, however many
 * components share it. Malformed references are skipped (the entity API
 * reports them). Returns how many distinct images were checked.
 */
export async function refreshFleet(options: {
  catalog: CatalogService;
  credentials: BackstageCredentials;
  attestations: AttestationService;
  concurrency?: number;
}): Promise<{ components: number; images: number }> {
  const entities = await componentsWithBaseImage(
    options.catalog,
    options.credentials,
  );
  const images = new Map<string, ImageReference>();
  for (const entity of entities) {
    try {
      const image = parseImageReference(
        entity.metadata.annotations![ANNOTATION_BASE_IMAGE_REF].trim(),
      );
      images.set(formatImageReference(image), image);
    } catch {
      // reported per entity by the status API
    }
  }
  const limit = pLimit(options.concurrency ?? 4);
  await Promise.all(
    [...images.values()].map(image =>
      limit(() => options.attestations.status(image, { force: true })),
    ),
  );
  return { components: entities.length, images: images.size };
}
