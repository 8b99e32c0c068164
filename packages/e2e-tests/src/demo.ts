/**
 * The portal with the local demo registry, for trying the statuses by hand:
 * signed, tampered and slim images, with dhi.io and docker.io pointed at a
 * local docker-registry. Run with scripts/demo.sh; stop with Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoRegistry } from './demoRegistry';
import { BACKEND, FRONTEND, startService, waitUntil } from './processes';

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-demo-'));
  const demo = await startDemoRegistry(work);
  const logDir = path.join(work, 'logs');
  const backend = startService(
    'backend',
    [
      'workspace',
      'backend',
      'start',
      '--config',
      '../../app-config.yaml',
      '--config',
      demo.configPath,
    ],
    { logDir },
  );
  const frontend = startService('frontend', ['workspace', 'app', 'start'], {
    logDir,
    env: { BROWSER: 'none' },
  });
  const stop = async () => {
    await Promise.all([frontend.stop(), backend.stop()]);
    await demo.registry.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await waitUntil(
    'the backend',
    async () =>
      (
        await fetch(`${BACKEND}/api/auth/guest/refresh`, {
          headers: { 'x-requested-with': 'XMLHttpRequest' },
        })
      ).ok,
    240_000,
    backend,
  );
  await waitUntil(
    'the frontend',
    async () => (await fetch(FRONTEND)).ok,
    240_000,
    frontend,
  );
  console.log(`
Portal: ${FRONTEND} (sign in as guest). Local registry: ${demo.registry.host}.
  verified:    ${FRONTEND}/catalog/default/component/signed-service
  invalid:     ${FRONTEND}/catalog/default/component/tampered-service
  unsigned:    ${FRONTEND}/catalog/default/component/marketing-web
  drift:       ${FRONTEND}/catalog/default/component/patient-portal
  fleet:       ${FRONTEND}/base-images
Create component publishes to ${demo.publishDir}. Logs: ${logDir}. Ctrl-C stops everything.`);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
