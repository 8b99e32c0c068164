import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_BASE_IMAGE_REF,
  BaseImageStatusResponse,
  EntityLoader,
  formatImageReference,
  ImageReference,
  parseImageReference,
} from '@internal/backstage-plugin-base-images-common';
import pLimit from 'p-limit';
import { DiscoveryResult } from '../discovery/DiscoveryStore';
import { DockerfileDiscovery } from '../discovery/DockerfileDiscovery';
import { FleetRow, fleetRowOf } from '../fleet/fleetRow';
import { FleetStore, StoredVerdict } from '../fleet/FleetStore';
import { AttestationService } from './AttestationService';
import { EntityStatusService } from './EntityStatusService';

/** What a component's status needs from its entity: the refresh reads no more. */
export const COMPONENT_FIELDS = [
  'kind',
  'metadata',
  'spec.owner',
  'spec.system',
  'spec.lifecycle',
];

/** Statuses computed at once: all but the registry checks is CPU and cached lookups. */
const STATUS_CONCURRENCY = 16;

/**
 * One component's verdict in a refresh: the one stored before (undefined for
 * a component new since the last refresh) and the status computed now. The
 * shape notifications are made from (notifications/BaseImageNotifier's
 * VerdictChange).
 */
export interface FleetVerdictChange {
  entityRef: string;
  /** Owner entity ref. */
  owner?: string;
  title?: string;
  previous?: StoredVerdict;
  current: BaseImageStatusResponse;
  /** Status, verdict, listing or image differ from the stored ones. */
  changed: boolean;
  /** Listed, and its status or verdict got more severe. */
  worse: boolean;
}

export interface FleetRefreshResult {
  components: number;
  /** Distinct base images checked. */
  images: number;
  /** Components with a base image (declared or discovered). */
  listed: number;
  /** Every component refreshed, with its previous and current verdict. */
  verdicts: FleetVerdictChange[];
  /** Components that left the catalog, whose rows were deleted. */
  removed: string[];
}

/** The base image a component names: its annotation, else its Dockerfile's. */
export function baseImageOf(
  entity: Entity,
  discovery?: DiscoveryResult,
): ImageReference | undefined {
  const declared = entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_REF];
  try {
    if (declared) return parseImageReference(declared.trim());
    if (discovery?.kind === 'found')
      return parseImageReference(discovery.image);
  } catch {
    // reported per entity by the status
  }
  return undefined;
}

/** Entity lookups for one refresh: each system, domain and group is read once. */
function memoizedLoader(
  catalog: CatalogService,
  credentials: BackstageCredentials,
): EntityLoader {
  const entities = new Map<string, Promise<Entity | undefined>>();
  return ref => {
    let entity = entities.get(ref);
    if (!entity) {
      entity = catalog.getEntityByRef(ref, { credentials });
      entities.set(ref, entity);
    }
    return entity;
  };
}

function verdictOfRow(row: FleetRow): StoredVerdict {
  return {
    status: row.status,
    verdict: row.verdict,
    severity: row.severity,
    listed: row.listed,
    image: row.response.image?.ref,
  };
}

function differs(previous: StoredVerdict, current: StoredVerdict): boolean {
  return (
    previous.status !== current.status ||
    previous.verdict !== current.verdict ||
    previous.listed !== current.listed ||
    previous.image !== current.image
  );
}

/**
 * The fleet refresh: reads every component's Dockerfile, re-checks every
 * distinct base image once (however many components share it), computes
 * every component's status with the plugin's own credentials and stores one
 * row per component for GET /overview; rows of deleted components go.
 * Returns every component's previous and current verdict (what
 * notifications are made from); `onVerdicts`, when given, gets them once the
 * rows are stored.
 */
export async function refreshFleet(options: {
  catalog: CatalogService;
  credentials: BackstageCredentials;
  attestations: AttestationService;
  statuses: EntityStatusService;
  discovery: DockerfileDiscovery;
  store: FleetStore;
  logger?: LoggerService;
  /** Registry checks at once. Default 4. */
  concurrency?: number;
  onVerdicts?: (verdicts: FleetVerdictChange[]) => Promise<void>;
}): Promise<FleetRefreshResult> {
  const { catalog, credentials, statuses, store } = options;
  const components: Entity[] = [];
  for await (const page of catalog.streamEntities(
    { filter: { kind: 'component' }, fields: COMPONENT_FIELDS },
    { credentials },
  )) {
    components.push(...page);
  }

  const discovered = await options.discovery.refresh(components);
  const images = new Map<string, ImageReference>();
  for (const entity of components) {
    const image = baseImageOf(
      entity,
      discovered.get(stringifyEntityRef(entity)),
    );
    if (image) images.set(formatImageReference(image), image);
  }
  const checks = pLimit(options.concurrency ?? 4);
  await Promise.all(
    [...images.values()].map(image =>
      checks(() => options.attestations.status(image, { force: true })),
    ),
  );

  const before = await store.verdicts();
  const load = memoizedLoader(catalog, credentials);
  const statusLimit = pLimit(STATUS_CONCURRENCY);
  const keep = new Set<string>();
  const rows: FleetRow[] = [];
  await Promise.all(
    components.map(entity =>
      statusLimit(async () => {
        const entityRef = stringifyEntityRef(entity);
        keep.add(entityRef);
        try {
          const response = await statuses.statusOf(entity, load, {
            discovery: discovered.get(entityRef),
          });
          rows.push(fleetRowOf(entity, response));
        } catch (error) {
          // its previous row stays; the other components still refresh
          options.logger?.warn(
            `Base image status of ${entityRef} failed in the fleet refresh`,
            error as Error,
          );
        }
      }),
    ),
  );
  await store.upsert(rows, new Date());
  const removed = await store.retainOnly(keep);

  const verdicts = rows.map(row => {
    const previous = before.get(row.entityRef);
    const now = verdictOfRow(row);
    return {
      entityRef: row.entityRef,
      owner: row.owner,
      title: row.title,
      previous,
      current: row.response,
      changed: !previous || differs(previous, now),
      worse: !!previous && now.listed && now.severity < previous.severity,
    };
  });
  await options.onVerdicts?.(verdicts);
  return {
    components: components.length,
    images: images.size,
    listed: rows.filter(row => row.listed).length,
    verdicts,
    removed,
  };
}
