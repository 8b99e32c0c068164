import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import {
  RESOURCE_TYPE_SCAFFOLDER_TASK,
  templateDryRunPermission,
  templateManagementPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  baseImagesEntityRefreshPermission,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';

/**
 * Only `baseImages.admins` may do these: the Template Editor and its dry-run
 * run template source anyone could write, a forced re-check spends registry
 * work, and deletions remove what others registered.
 */
const ADMIN_ONLY: Permission[] = [
  templateDryRunPermission,
  templateManagementPermission,
  baseImagesEntityRefreshPermission,
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
];

/**
 * The portal's permission policy: least privilege for what can run code or
 * change shared state, everything else open to every signed-in user
 * (catalog reads, registering locations, creating from registered templates).
 */
export class BaseImagesPermissionPolicy implements PermissionPolicy {
  private readonly admins: Set<string>;

  /** @param admins normalised `user:` and `group:` refs (`baseImages.admins`) */
  constructor(admins: string[]) {
    this.admins = new Set(admins.map(ref => ref.toLocaleLowerCase('en-US')));
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const admin = this.isAdmin(user);
    if (ADMIN_ONLY.some(p => isPermission(permission, p))) {
      return { result: admin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    // reading and cancelling a task: a non-admin only their own
    if (isResourcePermission(permission, RESOURCE_TYPE_SCAFFOLDER_TASK)) {
      if (admin) return { result: AuthorizeResult.ALLOW };
      // no user (a service principal never gets here; unauthenticated callers do): no task is theirs
      if (!user) return { result: AuthorizeResult.DENY };
      return createScaffolderTaskConditionalDecision(
        permission,
        scaffolderTaskConditions.isTaskOwner({
          createdBy: [user.info.userEntityRef],
        }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }

  /** The user, or a group they belong to, is listed in `baseImages.admins`. */
  private isAdmin(user?: PolicyQueryUser): boolean {
    if (!user) return false;
    const { userEntityRef, ownershipEntityRefs } = user.info;
    return [userEntityRef, ...ownershipEntityRefs].some(ref =>
      this.admins.has(ref.toLocaleLowerCase('en-US')),
    );
  }
}

/** Installs {@link BaseImagesPermissionPolicy} with the admins from app-config. */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'base-images-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ policy, config, logger }) {
        const { admins } = readBaseImagesConfig(config);
        if (admins.length === 0) {
          logger.warn(
            'baseImages.admins is empty: nobody may use the Template Editor, dry-run templates, force base-image re-checks or delete catalog entities',
          );
        }
        policy.setPolicy(new BaseImagesPermissionPolicy(admins));
      },
    });
  },
});
