import { createApp } from '@backstage/frontend-defaults';
import { navModule } from './modules/nav';
import { scorecardsModule } from './modules/scorecards';
import { signInModule } from './modules/signIn';

// Plugins are discovered from package.json (`app.packages: all` in app-config).
export default createApp({
  features: [navModule, signInModule, scorecardsModule],
});
