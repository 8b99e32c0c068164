import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import yaml from 'yaml';
import {
  cosignAttest,
  cosignSign,
  createTestKey,
  envelopeFor,
  FakeRegistry,
  PROVENANCE,
  PushedImage,
  Pusher,
  pushImage,
  SBOM,
  startFakeRegistry,
  statementFor,
  VEX,
} from '@internal/backstage-plugin-base-images-backend/testUtils';
import {
  ANNOTATION_BASE_IMAGE_REF,
  ImageReference,
  parseImageReference,
} from '@internal/backstage-plugin-base-images-common';
import { ROOT } from './processes';

/** One request the registry received: from which replica, and when. */
export interface RegistryRequest {
  replica: string;
  at: number;
  method: string;
  path: string;
}

type Fault = ReturnType<FakeRegistry['fault']>;

/**
 * The in-memory registry standing in for dhi.io and docker.io: every image the
 * tests use (hardened ones signed and attested with a test key, the standard
 * slim ones unsigned). Each replica reaches it through its own recording
 * proxy, so every request is known by replica and time.
 */
export interface FleetRegistry {
  requests: RegistryRequest[];
  /** Makes requests fail or slow down (undefined: answer normally). */
  setFault(fault: ((method: string, path: string) => Fault) | undefined): void;
  /** `baseImages.registries` for one replica: dhi.io and docker.io at this registry, through its proxy. */
  registriesConfig(replica: string): Promise<object[]>;
  /**
   * The registry checks of `image` (as pushed: by tag), one request each: the
   * read of its linux/amd64 manifest, which a check makes once and a digest
   * lookup (tag -> digest, for pinning a new service) never makes.
   */
  checks(
    image: string,
    filter?: { from?: number; to?: number; replica?: string },
  ): RegistryRequest[];
  /** The digest `image`'s tag points at. */
  digestOf(image: string): string;
  stop(): Promise<void>;
}

/** The components of examples/ that name a base image, with its reference as written there. */
export function exampleFleet(): Array<{ name: string; ref: string }> {
  return yaml
    .parseAllDocuments(
      fs.readFileSync(path.join(ROOT, 'examples', 'components.yaml'), 'utf8'),
    )
    .map(document => document.toJS())
    .filter(
      entity => entity?.metadata?.annotations?.[ANNOTATION_BASE_IMAGE_REF],
    )
    .map(entity => ({
      name: entity.metadata.name,
      ref: entity.metadata.annotations[ANNOTATION_BASE_IMAGE_REF],
    }));
}

/** Docker Hardened Images: dhi.io, and the organisation's `dhi-` mirror on Docker Hub. */
const isHardened = (image: ImageReference) =>
  image.registry === 'dhi.io' || image.name.startsWith('dhi-');

/**
 * An HTTP proxy to `upstream` that records each request as coming from
 * `replica`. A few lines of node:http: what a proxy library would add is not
 * needed for plain HTTP on loopback.
 */
async function startRecordingProxy(
  upstream: string,
  replica: string,
  requests: RegistryRequest[],
): Promise<http.Server> {
  const [hostname, port] = upstream.split(':');
  const server = http.createServer((req, res) => {
    requests.push({
      replica,
      at: Date.now(),
      method: req.method!,
      path: new URL(req.url!, 'http://proxy').pathname,
    });
    const forwarded = http.request(
      {
        hostname,
        port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      answer => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    // a replica killed mid-request: nobody left to answer
    forwarded.on('error', () => res.destroy());
    res.on('error', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function startFleetRegistry(
  images: string[],
): Promise<FleetRegistry> {
  const registry = await startFakeRegistry();
  const pusher = new Pusher(registry);
  const key = createTestKey();
  const requests: RegistryRequest[] = [];
  const proxies: http.Server[] = [];
  const pushedImages = new Map<string, PushedImage>();
  let fault: ((method: string, path: string) => Fault) | undefined;
  registry.fault = (method, requestPath) => fault?.(method, requestPath);

  for (const ref of images) {
    const image = parseImageReference(ref);
    if (!isHardened(image)) {
      pushedImages.set(
        ref,
        await pushImage(pusher, image.repository, image.tag!, {
          buildkitAttestations: [PROVENANCE],
        }),
      );
      continue;
    }
    const pushed = await pushImage(pusher, image.repository, image.tag!);
    pushedImages.set(ref, pushed);
    await cosignSign(pusher, image.repository, pushed.indexDigest, key);
    await cosignAttest(
      pusher,
      image.repository,
      pushed.manifestDigest,
      await Promise.all(
        [PROVENANCE, SBOM, VEX].map(p =>
          envelopeFor(key, statementFor(pushed.manifestDigest, p)),
        ),
      ),
    );
  }

  return {
    requests,
    setFault(next) {
      fault = next;
    },
    async registriesConfig(replica) {
      const proxy = await startRecordingProxy(registry.host, replica, requests);
      proxies.push(proxy);
      const { port } = proxy.address() as AddressInfo;
      return ['dhi.io', 'docker.io'].map(host => ({
        host,
        endpoint: `http://127.0.0.1:${port}`,
        insecure: true,
        publicKeys: [key.pem],
      }));
    },
    checks(ref, { from = 0, to = Infinity, replica } = {}) {
      const pushed = pushedImages.get(ref);
      if (!pushed) throw new Error(`${ref} is not in the fleet registry`);
      const platformManifest = `/v2/${pushed.repository}/manifests/${pushed.manifestDigest}`;
      return requests.filter(
        r =>
          r.method === 'GET' &&
          r.path === platformManifest &&
          r.at >= from &&
          r.at <= to &&
          (!replica || r.replica === replica),
      );
    },
    digestOf(ref) {
      const pushed = pushedImages.get(ref);
      if (!pushed) throw new Error(`${ref} is not in the fleet registry`);
      return pushed.indexDigest;
    },
    async stop() {
      for (const proxy of proxies) {
        proxy.closeAllConnections();
        await new Promise(resolve => proxy.close(resolve));
      }
      await registry.stop();
    },
  };
}
