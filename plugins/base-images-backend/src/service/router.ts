import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ATTESTATION_STATUSES,
  BaseImagesConfig,
  baseImagesEntityRefreshPermission,
  OverviewResponse,
  parseImageReference,
  resolveNewService,
  toBackstageError,
} from '@internal/backstage-plugin-base-images-common';
import { z } from 'zod';
import express from 'express';
import Router from 'express-promise-router';
import pLimit from 'p-limit';
import { AttestationService } from './AttestationService';
import { EntityLoaderFactory } from './EntityLoader';
import { EntityStatusService } from './EntityStatusService';
import { componentsWithBaseImage } from './fleet';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** Images one digest request may ask about: a new service has three. */
const MAX_DIGEST_LOOKUPS = 10;

const previewRequest = z.object({
  runtime: z.string().max(40),
  version: z.string().max(40).optional(),
  flavor: z.string().max(40).optional(),
  situation: z.string().max(40).optional(),
  owner: z.string().max(300).optional(),
  system: z.string().max(300).optional(),
  frameworks: z.array(z.string().max(64)).max(20).optional(),
});

const digestsRequest = z.object({
  images: z.array(z.string().max(512)).min(1).max(MAX_DIGEST_LOOKUPS),
});

/** Statuses computed at once for the overview. */
const OVERVIEW_CONCURRENCY = 8;

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new InputError(
      `Invalid ${what}: ${parsed.error.issues
        .map(i => `${i.path.join('.') || 'body'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

export function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  statuses: EntityStatusService;
  attestations: AttestationService;
  config: BaseImagesConfig;
}): express.Router {
  const { httpAuth, permissions, catalog, statuses, attestations, config } =
    options;
  const loaders = new EntityLoaderFactory(catalog);
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  function entityRefOf(req: express.Request): string {
    const { kind, namespace, name } = req.params;
    for (const [part, value] of Object.entries({ kind, namespace, name })) {
      if (!NAME.test(value))
        throw new InputError(
          `${part} ${JSON.stringify(
            value.slice(0, 80),
          )} is not a valid entity ref part`,
        );
    }
    return stringifyEntityRef({ kind, namespace, name });
  }

  async function entityStatus(
    entityRef: string,
    credentials: BackstageCredentials,
    force: boolean,
  ) {
    const load = loaders.forCredentials(credentials);
    const entity = await load(entityRef);
    if (!entity) throw new NotFoundError(`${entityRef} was not found`);
    return statuses.statusOf(entity, load, { force });
  }

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const entityRef = entityRefOf(req);
    const credentials = await httpAuth.credentials(req);
    res.json(await entityStatus(entityRef, credentials, false));
  });

  // Forcing a registry check costs registry work: only for those the
  // permission policy allows (baseImages.admins in this portal's policy).
  router.post('/entities/:kind/:namespace/:name/refresh', async (req, res) => {
    const entityRef = entityRefOf(req);
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorize(
      [
        {
          permission: baseImagesEntityRefreshPermission,
          resourceRef: entityRef,
        },
      ],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(
        `You may not force a re-check of the base image of ${entityRef} (permission ${baseImagesEntityRefreshPermission.name}); its status is re-checked on the regular schedule, or ask someone listed in baseImages.admins`,
      );
    }
    res.json(await entityStatus(entityRef, credentials, true));
  });

  // What base-images:resolve would choose for a new service: the form preview.
  router.post('/preview', async (req, res) => {
    const input = parseBody(previewRequest, req.body, 'preview request');
    const credentials = await httpAuth.credentials(req);
    try {
      res.json(
        await resolveNewService(
          input,
          loaders.forCredentials(credentials),
          config,
        ),
      );
    } catch (error) {
      throw toBackstageError(error);
    }
  });

  // The digests tags point at now: what base-images:resolve pins a new service to.
  router.post('/digests', async (req, res) => {
    const { images } = parseBody(digestsRequest, req.body, 'digest request');
    await httpAuth.credentials(req);
    const items = await Promise.all(
      images.map(async image => {
        try {
          const answer = await attestations.resolveDigest(
            parseImageReference(image),
          );
          return { image, ...answer };
        } catch (error) {
          return { image, message: (error as Error).message };
        }
      }),
    );
    res.json({ items });
  });

  router.get('/overview', async (req, res) => {
    const filter = (key: string) => {
      const value = req.query[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value.length > 64)
        throw new InputError(`query parameter ${key} must be a single value`);
      return value.toLowerCase();
    };
    const status = filter('status');
    const variant = filter('variant');
    const framework = filter('framework');
    const compliant = filter('compliant');
    if (
      status &&
      !(ATTESTATION_STATUSES as readonly string[]).includes(status)
    ) {
      throw new InputError(
        `status must be one of ${ATTESTATION_STATUSES.join(', ')}`,
      );
    }
    const credentials = await httpAuth.credentials(req);
    const load = loaders.forCredentials(credentials);
    const entities = await componentsWithBaseImage(catalog, credentials);
    const limit = pLimit(OVERVIEW_CONCURRENCY);
    const rows = await Promise.all(
      entities.map(entity =>
        limit(async () => ({
          ...(await statuses.statusOf(entity, load)),
          title: entity.metadata.title,
        })),
      ),
    );
    const items = rows.filter(
      row =>
        (!status || row.attestation.status === status) &&
        (!variant || row.variant === variant) &&
        (!framework || row.policy.frameworks.some(f => f.id === framework)) &&
        (!compliant || String(row.policy.compliant) === compliant),
    );
    const body: OverviewResponse = { items, totalCount: rows.length };
    res.json(body);
  });

  return router;
}
