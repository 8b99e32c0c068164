import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ATTESTATION_STATUSES,
  BaseImagesConfig,
  baseImagesEntityRefreshPermission,
  OverviewResponse,
  parseImageReference,
  VARIANTS,
  checkNewServiceInput,
  resolveNewService,
  toBackstageError,
} from '@internal/backstage-plugin-base-images-common';
import { z } from 'zod';
import express from 'express';
import Router from 'express-promise-router';
import { FLEET_VERDICTS } from '../fleet/fleetRow';
import { FleetService } from '../fleet/FleetService';
import { AttestationService } from './AttestationService';
import { EntityLoaderFactory } from './EntityLoader';
import { EntityStatusService } from './EntityStatusService';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** Images one digest request may ask about: a new service has three. */
const MAX_DIGEST_LOOKUPS = 10;

const digestsRequest = z.object({
  images: z.array(z.string().max(512)).min(1).max(MAX_DIGEST_LOOKUPS),
});

/** Rows one overview page holds by default, and at most. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

const single = (what: string) =>
  z
    .string({ invalid_type_error: `${what} must be given once` })
    .max(300)
    .transform(value => value.trim())
    .optional();

const overviewQuery = z.object({
  status: single('status').pipe(z.enum(ATTESTATION_STATUSES).optional()),
  variant: single('variant').pipe(z.enum(VARIANTS).optional()),
  framework: single('framework')
    .transform(value => value?.toLowerCase())
    .pipe(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a framework id such as hipaa')
        .optional(),
    ),
  compliant: single('compliant').pipe(z.enum(['true', 'false']).optional()),
  verdict: single('verdict').pipe(
    z.enum(FLEET_VERDICTS as [string, ...string[]]).optional(),
  ),
  owner: single('owner'),
  q: single('q').pipe(z.string().max(100).optional()),
  limit: single('limit').pipe(
    z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  ),
  offset: single('offset').pipe(
    z.coerce.number().int().min(0).max(1_000_000).optional(),
  ),
});

function parseBody<S extends z.ZodTypeAny>(
  schema: S,
  body: unknown,
  what: string,
): z.output<S> {
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
  loaders: EntityLoaderFactory;
  statuses: EntityStatusService;
  attestations: AttestationService;
  fleet: FleetService;
  config: BaseImagesConfig;
  logger: LoggerService;
}): express.Router {
  const {
    httpAuth,
    permissions,
    loaders,
    statuses,
    attestations,
    fleet,
    config,
    logger,
  } = options;
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

  /** Keeps the fleet row of a component in step with its card; never fails the request. */
  async function updateFleetRow(entityRef: string, always: boolean) {
    try {
      await (always ? fleet.updateRow(entityRef) : fleet.ensureRow(entityRef));
    } catch (error) {
      logger.warn(`Fleet row of ${entityRef} not written`, error as Error);
    }
  }

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const entityRef = entityRefOf(req);
    const credentials = await httpAuth.credentials(req);
    res.json(await entityStatus(entityRef, credentials, false));
    // after the answer: a component new since the last refresh gets its row
    await updateFleetRow(entityRef, false);
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
    await updateFleetRow(entityRef, true);
  });

  // What base-images:resolve would choose for a new service: the form preview.
  router.post('/preview', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    try {
      // the same reading of the input as base-images:resolve
      const input = checkNewServiceInput(req.body);
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

  // The digests tags point at now: what base-images:resolve pins a new
  // service to. Each answer can cost a registry request, so it is for
  // plugins (the scaffolder, acting for a user), not for users directly.
  router.post('/digests', async (req, res) => {
    const { images } = parseBody(digestsRequest, req.body, 'digest request');
    const credentials = await httpAuth.credentials(req);
    const principal = credentials.principal as {
      type: string;
      actor?: unknown;
    };
    if (principal.type === 'user' && !principal.actor) {
      throw new NotAllowedError(
        'POST /digests is for plugins acting for a user (the scaffolder pins new services through it); a card or script reads an image through GET /entities/...',
      );
    }
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

  // The fleet page: rows the fleet refresh stored, filtered, sorted (most
  // severe first) and paged in the database, with counts over every match.
  router.get('/overview', async (req, res) => {
    const query = parseBody(overviewQuery, req.query, 'overview query');
    const credentials = await httpAuth.credentials(req);
    const verdict =
      (query.verdict as (typeof FLEET_VERDICTS)[number] | undefined) ??
      (query.compliant === 'true' ? 'compliant' : undefined);
    if (
      (query.compliant === 'false' && verdict === 'compliant') ||
      (query.compliant === 'true' && verdict !== 'compliant')
    ) {
      throw new InputError(
        `compliant=${query.compliant} contradicts verdict=${verdict}`,
      );
    }
    const page = await fleet.overview(
      credentials,
      {
        status: query.status,
        variant: query.variant,
        framework: query.framework,
        verdict,
        notCompliant: query.compliant === 'false',
        owner: query.owner,
        search: query.q,
      },
      {
        limit: query.limit ?? DEFAULT_PAGE_SIZE,
        offset: query.offset ?? 0,
      },
    );
    const body: OverviewResponse = page;
    res.json(body);
  });

  return router;
}
