import { HttpAuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ATTESTATION_STATUSES, OverviewResponse } from '@internal/backstage-plugin-base-images-common';
import express from 'express';
import Router from 'express-promise-router';
import { ImageStatus } from './AttestationService';
import { cachingLoader, EntityStatusService } from './EntityStatusService';
import { componentsWithBaseImage, mapLimit } from './fleet';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export function createRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  statuses: EntityStatusService;
}): express.Router {
  const { httpAuth, catalog, statuses } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  async function entityStatus(req: express.Request, force: boolean) {
    const { kind, namespace, name } = req.params;
    for (const [part, value] of Object.entries({ kind, namespace, name })) {
      if (!NAME.test(value)) throw new InputError(`${part} ${JSON.stringify(value.slice(0, 80))} is not a valid entity ref part`);
    }
    const credentials = await httpAuth.credentials(req);
    const entityRef = stringifyEntityRef({ kind, namespace, name });
    const load = cachingLoader(catalog, credentials);
    const entity = await load(entityRef);
    if (!entity) throw new NotFoundError(`${entityRef} was not found`);
    return statuses.statusOf(entity, load, { force });
  }

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    res.json(await entityStatus(req, false));
  });

  router.post('/entities/:kind/:namespace/:name/refresh', async (req, res) => {
    res.json(await entityStatus(req, true));
  });

  router.get('/overview', async (req, res) => {
    const filter = (key: string) => {
      const value = req.query[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value.length > 64) throw new InputError(`query parameter ${key} must be a single value`);
      return value.toLowerCase();
    };
    const status = filter('status');
    const variant = filter('variant');
    const framework = filter('framework');
    const compliant = filter('compliant');
    if (status && !(ATTESTATION_STATUSES as readonly string[]).includes(status)) {
      throw new InputError(`status must be one of ${ATTESTATION_STATUSES.join(', ')}`);
    }
    const credentials = await httpAuth.credentials(req);
    const load = cachingLoader(catalog, credentials);
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
