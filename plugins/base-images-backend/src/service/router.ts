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
  MissingEntityError,
  OverviewResponse,
  PolicyError,
  resolveNewService,
} from '@internal/backstage-plugin-base-images-common';
import { z } from 'zod';
import express from 'express';
import Router from 'express-promise-router';
import { ImageStatus } from './AttestationService';
import {
  EntityLoaderFactory,
  EntityStatusService,
} from './EntityStatusService';
import { componentsWithBaseImage, mapLimit } from './fleet';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

const previewRequest = z.object({
  runtime: z.string().max(40),
  version: z.string().max(40).optional(),
  flavor: z.string().max(40).optional(),
  situation: z.string().max(40).optional(),
  owner: z.string().max(300).optional(),
  system: z.string().max(300).optional(),
  frameworks: z.array(z.string().max(64)).max(20).optional(),
});

export function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  statuses: EntityStatusService;
  config: BaseImagesConfig;
}): express.Router {
  const { httpAuth, permissions, catalog, statuses, config } = options;
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
    const parsed = previewRequest.safeParse(req.body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid preview request: ${parsed.error.issues
          .map(i => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const credentials = await httpAuth.credentials(req);
    try {
      res.json(
        await resolveNewService(
          parsed.data,
          loaders.forCredentials(credentials),
          config,
        ),
      );
    } catch (error) {
      if (error instanceof MissingEntityError)
        throw new NotFoundError(error.message);
      if (error instanceof PolicyError) throw new InputError(error.message);
      throw error;
    }
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
    const imageStatuses = new Map<string, Promise<ImageStatus>>();
    const entities = await componentsWithBaseImage(catalog, credentials);
    const rows = await mapLimit(entities, 8, async entity => ({
      ...(await statuses.statusOf(entity, load, { imageStatuses })),
      title: entity.metadata.title,
    }));
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
