import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import {
  cosignAttest,
  cosignSign,
  createTestKey,
  envelopeFor,
  LocalRegistry,
  PROVENANCE,
  Pusher,
  pushDhiImage,
  pushImage,
  SBOM,
  startLocalRegistry,
  statementFor,
  TestKey,
  VEX,
} from '@internal/backstage-plugin-base-images-backend/testUtils';
import { ROOT } from './processes';

export interface DemoRegistry {
  registry: LocalRegistry;
  key: TestKey;
  /** Extra app-config that points dhi.io, docker.io and the local registry at the demo images. */
  configPath: string;
  publishDir: string;
}

async function signedWithAttestations(
  pusher: Pusher,
  key: TestKey,
  repository: string,
  tag: string,
  options: { flipPayloadByte?: boolean } = {},
) {
  const image = await pushImage(pusher, repository, tag);
  await cosignSign(pusher, repository, image.indexDigest, key, options);
  await cosignAttest(
    pusher,
    repository,
    image.manifestDigest,
    await Promise.all(
      [PROVENANCE, SBOM, VEX].map(p =>
        envelopeFor(key, statementFor(image.manifestDigest, p)),
      ),
    ),
  );
  return image;
}

/**
 * A local registry (Debian's docker-registry with token auth) holding what the
 * portal needs offline: signed "DHI" images for dhi.io, unsigned slim images
 * for docker.io, and a signed and a tampered demo image of its own. Writes an
 * app-config overlay and catalog entities that use them.
 */
export async function startDemoRegistry(
  workDir: string,
  options: {
    /** More catalog locations, for what only the tests register. */
    extraLocations?: Array<{
      type: 'file';
      target: string;
      rules?: Array<{ allow: string[] }>;
    }>;
  } = {},
): Promise<DemoRegistry> {
  fs.mkdirSync(workDir, { recursive: true });
  const registry = await startLocalRegistry();
  const pusher = new Pusher(registry);
  const key = createTestKey();

  for (const tag of ['3.13', '3.13-dev'])
    await signedWithAttestations(pusher, key, 'python', tag);
  // The FIPS image exactly as Docker publishes DHI: a signed index, signed
  // in-toto attestation manifests as referrers of the platform manifest
  // (here through the referrers tag: distribution 2.8 has no referrers API),
  // with the FIPS attestation and the verification summary the hipaa
  // evidence needs, an SBOM, a vulnerability scan and a VEX.
  const dhiLayout = { pusher, repository: 'python', referrersTag: true };
  await pushDhiImage(dhiLayout, dhiLayout, '3.13-fips', key, {
    image: 'python',
    scoutName: 'dhi/python',
    signing: 'cosign-both',
  });
  for (const tag of ['22', '22-fips'])
    await signedWithAttestations(pusher, key, 'node', tag);
  for (const [repository, tag] of [
    ['library/python', '3.13-slim'],
    ['library/node', '22-slim'],
  ]) {
    await pushImage(pusher, repository, tag, {
      buildkitAttestations: [PROVENANCE, 'https://spdx.dev/Document'],
    });
  }
  await signedWithAttestations(pusher, key, 'demo/signed', '1');
  await signedWithAttestations(pusher, key, 'demo/tampered', '1', {
    flipPayloadByte: true,
  });

  const component = (name: string, ref: string, description: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      description,
      annotations: { 'base-image/ref': ref, 'base-image/runtime': 'python' },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'web-team',
      system: 'marketing-site',
    },
  });
  const componentsPath = path.join(workDir, 'demo-components.yaml');
  fs.writeFileSync(
    componentsPath,
    [
      component(
        'signed-service',
        `${registry.host}/demo/signed:1`,
        'On a signed image in the local registry',
      ),
      component(
        'tampered-service',
        `${registry.host}/demo/tampered:1`,
        'On an image whose signature payload was tampered with',
      ),
    ]
      .map(doc => yaml.stringify(doc))
      .join('---\n'),
  );

  const publishDir = path.join(workDir, 'repos');
  const access = {
    insecure: true,
    publicKeys: [key.pem],
    credentials: registry.credentials,
    extraHosts: [registry.tokenHost],
  };
  const configPath = path.join(workDir, 'app-config.demo.yaml');
  fs.writeFileSync(
    configPath,
    yaml.stringify({
      baseImages: {
        registries: [
          { host: 'dhi.io', endpoint: `http://${registry.host}`, ...access },
          {
            host: 'docker.io',
            endpoint: `http://${registry.host}`,
            ...access,
            publicKeys: [],
          },
          { host: registry.host, ...access },
        ],
        publish: { localDirectory: publishDir },
      },
      catalog: {
        locations: [
          // the same per-location rules as app-config.yaml (config arrays replace, not merge)
          {
            type: 'file',
            target: path.join(ROOT, 'examples/all.yaml'),
            rules: [
              { allow: ['Location', 'Group', 'User', 'Domain', 'System'] },
            ],
          },
          {
            type: 'file',
            target: path.join(ROOT, 'templates/all.yaml'),
            rules: [{ allow: ['Location', 'Template'] }],
          },
          { type: 'file', target: componentsPath },
          {
            type: 'file',
            target: path.join(publishDir, '*', 'catalog-info.yaml'),
            rules: [{ allow: ['Component'] }],
          },
          ...(options.extraLocations ?? []),
        ],
      },
    }),
  );
  return { registry, key, configPath, publishDir };
}
