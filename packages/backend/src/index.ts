import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// auth: guest sign-in in the embedded default, GitHub in production
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

// catalog
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// scaffolder, with the compliance-aware base-image actions
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@internal/backstage-plugin-scaffolder-backend-module-base-images'),
);

// base-image status: signatures, attestations and policy verdicts
backend.add(import('@internal/backstage-plugin-base-images-backend'));

// notifications (base-image verdicts that get worse, to the owner group),
// pushed to the browser over signals
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// Tech Insights: base-image facts and the scorecard checks, defined in code by
// our module (so no jsonfc module: Tech Insights takes one fact checker)
backend.add(import('@backstage-community/plugin-tech-insights-backend'));
backend.add(
  import('@internal/backstage-plugin-tech-insights-backend-module-base-images'),
);

// permissions: baseImages.admins may use the Template Editor, dry-run, force
// re-checks and delete catalog entities; everyone signed in may do the rest
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./modules/permissionPolicy'));

backend.start();
