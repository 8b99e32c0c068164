import { createApp } from '@backstage/frontend-defaults';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

// Plugins are discovered from package.json (`app.packages: all` in app-config).
export default createApp({
  features: [navModule, signInModule],
});
