import crypto from 'node:crypto';
import { RegistryConfig } from '@internal/backstage-plugin-base-images-common';
import { RegistryError } from './errors';
import {
  checkManifestShape,
  Descriptor,
  INDEX_TYPES,
  Manifest,
  MANIFEST_ACCEPT,
  OCI_INDEX,
} from './mediaTypes';

/** Where the API of a registry really lives, when it differs from its name. */
const API_HOSTS: Record<string, string> = {
  'docker.io': 'registry-1.docker.io',
};
/** Hosts a registry is known to send clients to (token realm, blob CDN), unless configured. */
const DEFAULT_EXTRA_HOSTS: Record<string, string[]> = {
  'docker.io': [
    'registry-1.docker.io',
    'auth.docker.io',
    'production.cloudflare.docker.com',
  ],
};
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;
const MAX_REDIRECTS = 3;

export interface RegistryClientOptions {
  registries: RegistryConfig[];
  timeoutMs: number;
  /** Largest manifest or signature blob read, in bytes. */
  maxBytes: number;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifest: Manifest;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const part of match[2].matchAll(/(\w+)="([^"]*)"/g))
    params[part[1].toLowerCase()] = part[2];
  return { scheme: match[1].toLowerCase(), params };
}

export const sha256Digest = (bytes: Buffer) =>
  `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A small OCI distribution client that only ever talks to the registries in
 * `baseImages.registries` (and their configured extra hosts): annotations are
 * user input, so every URL, token realm and redirect is checked first.
 */
export class RegistryClient {
  private readonly tokens = new Map<
    string,
    { token: string; expires: number }
  >();

  constructor(private readonly options: RegistryClientOptions) {}

  registryFor(host: string): RegistryConfig | undefined {
    return this.options.registries.find(r => r.host === host);
  }

  private baseUrl(registry: RegistryConfig): string {
    return (
      registry.endpoint ??
      `${registry.insecure ? 'http' : 'https'}://${
        API_HOSTS[registry.host] ?? registry.host
      }`
    );
  }

  private allowedHosts(registry: RegistryConfig): Set<string> {
    return new Set([
      registry.host,
      new URL(this.baseUrl(registry)).host,
      ...(registry.extraHosts.length
        ? registry.extraHosts
        : DEFAULT_EXTRA_HOSTS[registry.host] ?? []),
    ]);
  }

  private checkUrl(registry: RegistryConfig, url: URL, what: string) {
    if (!this.allowedHosts(registry).has(url.host)) {
      throw new RegistryError(
        'unavailable',
        `${what} ${url.host} is not an allowed host for ${registry.host}; add it to baseImages.registries[].extraHosts to allow it`,
      );
    }
    const plainOk = registry.insecure && LOOPBACK.test(url.host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainOk)) {
      throw new RegistryError(
        'unavailable',
        `${what} ${url.href} is not HTTPS`,
      );
    }
  }

  private async readLimited(
    response: Response,
    maxBytes: number,
    what: string,
  ): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length'));
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new RegistryError(
        'integrity',
        `${what} is ${declared} bytes, over the ${maxBytes}-byte limit`,
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > maxBytes) {
          throw new RegistryError(
            'integrity',
            `${what} is over the ${maxBytes}-byte limit`,
          );
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    return Buffer.concat(chunks);
  }

  /** One HTTP exchange with timeout, manual redirects restricted to allowed hosts. */
  private async send(
    registry: RegistryConfig,
    url: URL,
    headers: Record<string, string>,
  ): Promise<Response> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      this.checkUrl(
        registry,
        current,
        hop === 0 ? 'Registry URL' : 'Redirect to',
      );
      const sameHost = current.host === url.host;
      let response: Response;
      try {
        response = await fetch(current, {
          headers: sameHost ? headers : { ...headers, authorization: '' },
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        const cause =
          (error as Error).name === 'TimeoutError'
            ? `timed out after ${this.options.timeoutMs} ms`
            : `${(error as Error).message}${
                (error as any).cause?.code
                  ? ` (${(error as any).cause.code})`
                  : ''
              }`;
        throw new RegistryError(
          'unavailable',
          `${registry.host} could not be reached: ${cause}`,
        );
      }
      if (
        response.status >= 300 &&
        response.status < 400 &&
        response.headers.get('location')
      ) {
        await response.body?.cancel();
        current = new URL(response.headers.get('location')!, current);
        continue;
      }
      return response;
    }
    throw new RegistryError(
      'unavailable',
      `${registry.host} redirected more than ${MAX_REDIRECTS} times`,
    );
  }

  private async fetchToken(
    registry: RegistryConfig,
    challenge: Challenge,
    scope: string,
  ): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new RegistryError(
        'unavailable',
        `${registry.host} sent a Bearer challenge without a realm`,
      );
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError(
        'unavailable',
        `${registry.host} sent an invalid token realm`,
      );
    }
    // The realm host is checked before any credential is sent.
    this.checkUrl(registry, realmUrl, 'Token realm');
    if (challenge.params.service)
      realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', challenge.params.scope ?? scope);
    const headers: Record<string, string> = {};
    if (registry.credentials?.username) {
      headers.authorization = `Basic ${Buffer.from(
        `${registry.credentials.username}:${registry.credentials.password}`,
      ).toString('base64')}`;
    }
    const response = await this.send(registry, realmUrl, headers);
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new RegistryError(
        'unavailable',
        `token request to ${realmUrl.host} for ${
          registry.host
        } failed with HTTP ${response.status}${
          registry.credentials ? ' (check the configured credentials)' : ''
        }`,
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(
        (
          await this.readLimited(response, 64 * 1024, 'token response')
        ).toString('utf8'),
      );
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError(
        'unavailable',
        `token response from ${realmUrl.host} is not JSON`,
      );
    }
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || !token)
      throw new RegistryError(
        'unavailable',
        `token response from ${realmUrl.host} has no token`,
      );
    this.tokens.set(`${registry.host} ${scope}`, {
      token,
      expires: Date.now() + Math.max(30, (body.expires_in ?? 60) - 10) * 1000,
    });
    return token;
  }

  /** GET with auth: anonymous first, then the challenge's token or basic auth. */
  private async get(
    host: string,
    repository: string,
    path: string,
    accept: string,
  ): Promise<Response> {
    const registry = this.registryFor(host);
    if (!registry)
      throw new RegistryError(
        'unavailable',
        `${host} is not in baseImages.registries`,
      );
    const scope = `repository:${repository}:pull`;
    const url = new URL(`${this.baseUrl(registry)}/v2/${repository}/${path}`);
    const cached = this.tokens.get(`${host} ${scope}`);
    const headers: Record<string, string> = { accept };
    if (cached && cached.expires > Date.now())
      headers.authorization = `Bearer ${cached.token}`;

    let response = await this.send(registry, url, headers);
    if (response.status !== 401) return response;
    await response.body?.cancel();
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    if (challenge?.scheme === 'bearer') {
      headers.authorization = `Bearer ${await this.fetchToken(
        registry,
        challenge,
        scope,
      )}`;
    } else if (
      challenge?.scheme === 'basic' &&
      registry.credentials?.username
    ) {
      headers.authorization = `Basic ${Buffer.from(
        `${registry.credentials.username}:${registry.credentials.password}`,
      ).toString('base64')}`;
    } else {
      throw new RegistryError(
        'unavailable',
        `${host} requires authentication${
          registry.credentials
            ? ''
            : '; configure baseImages.registries[].credentials'
        }`,
      );
    }
    response = await this.send(registry, url, headers);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new RegistryError(
        'unavailable',
        `${host} refused access to ${repository} (HTTP ${response.status}); check the configured credentials`,
      );
    }
    return response;
  }

  private async failUnlessOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    await response.body?.cancel();
    throw new RegistryError('unavailable', `${what}: HTTP ${response.status}`);
  }

  /**
   * Fetches a manifest or index by tag or digest. The digest is computed from
   * the bytes; when the reference is a digest it must match.
   */
  async getManifest(
    host: string,
    repository: string,
    reference: string,
  ): Promise<FetchedManifest | undefined> {
    const what = `manifest ${host}/${repository}:${reference}`;
    const response = await this.get(
      host,
      repository,
      `manifests/${reference}`,
      MANIFEST_ACCEPT,
    );
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    await this.failUnlessOk(response, what);
    const bytes = await this.readLimited(response, this.options.maxBytes, what);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(
        'integrity',
        `${what} hashes to ${digest}, not the digest it was asked for`,
      );
    }
    // A garbled answer says the registry is broken, not that the image is: unavailable.
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new RegistryError('unavailable', `${what} is not JSON`);
    }
    let manifest: Manifest;
    try {
      manifest = checkManifestShape(parsed, what);
    } catch (error) {
      throw new RegistryError('unavailable', (error as Error).message);
    }
    const mediaType =
      manifest.mediaType ??
      response.headers.get('content-type')?.split(';')[0] ??
      '';
    return { digest, mediaType, bytes, manifest };
  }

  /** Fetches a blob and checks that it hashes to its digest. */
  async getBlob(
    host: string,
    repository: string,
    digest: string,
    maxBytes = this.options.maxBytes,
  ): Promise<Buffer> {
    const what = `blob ${digest.slice(0, 19)} of ${host}/${repository}`;
    const response = await this.get(host, repository, `blobs/${digest}`, '*/*');
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RegistryError('integrity', `${what} is missing`);
    }
    await this.failUnlessOk(response, what);
    const bytes = await this.readLimited(response, maxBytes, what);
    if (sha256Digest(bytes) !== digest) {
      throw new RegistryError(
        'integrity',
        `${what} does not hash to its digest`,
      );
    }
    return bytes;
  }

  /**
   * Referrers of a digest: the OCI 1.1 referrers API, or the `sha256-<hex>`
   * tag that registries without it hold instead (`source` tells which).
   */
  async getReferrers(
    host: string,
    repository: string,
    digest: string,
  ): Promise<{
    source: 'referrers' | 'referrers-tag';
    descriptors: Descriptor[];
  }> {
    const response = await this.get(
      host,
      repository,
      `referrers/${digest}`,
      OCI_INDEX,
    );
    if (response.ok) {
      const bytes = await this.readLimited(
        response,
        this.options.maxBytes,
        `referrers of ${digest}`,
      );
      try {
        const index = checkManifestShape(
          JSON.parse(bytes.toString('utf8')),
          `referrers of ${digest}`,
        );
        return { source: 'referrers', descriptors: index.manifests ?? [] };
      } catch {
        throw new RegistryError(
          'unavailable',
          `referrers of ${digest} on ${host} is not a valid index`,
        );
      }
    }
    await response.body?.cancel();
    if (
      response.status !== 404 &&
      response.status !== 400 &&
      response.status !== 405
    ) {
      throw new RegistryError(
        'unavailable',
        `referrers of ${digest} on ${host}: HTTP ${response.status}`,
      );
    }
    const fallback = await this.getManifest(
      host,
      repository,
      digest.replace(':', '-'),
    );
    if (!fallback) return { source: 'referrers-tag', descriptors: [] };
    if (!INDEX_TYPES.has(fallback.mediaType) && !fallback.manifest.manifests) {
      throw new RegistryError(
        'integrity',
        `referrers tag ${digest.replace(':', '-')} on ${host} is not an index`,
      );
    }
    return {
      source: 'referrers-tag',
      descriptors: fallback.manifest.manifests ?? [],
    };
  }
}
