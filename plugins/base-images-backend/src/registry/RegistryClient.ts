import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { RegistryConfig } from '@internal/backstage-plugin-base-images-common';
import { CheckBudget } from './CheckBudget';
import {
  needsCredentialsMessage,
  ObjectTooLargeError,
  RegistryError,
} from './errors';
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
/**
 * Hosts a registry is known to send clients to (token realm, blob CDN);
 * `extraHosts` adds to these. Docker Hub's, from Docker's allow-list page
 * (docs.docker.com desktop/setup/allow-list): its auth service and the blob
 * CDNs its redirects point at. Docker rotates CDN hosts (an AWS VPC gets S3
 * hosts): add those through extraHosts. dhi.io's token realm is
 * https://dhi.io/token, on its own host.
 */
const DEFAULT_EXTRA_HOSTS: Record<string, string[]> = {
  'docker.io': [
    'registry-1.docker.io',
    'auth.docker.io',
    'production.cloudflare.docker.com',
    'production.cloudfront.docker.com',
    'docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com',
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

/** The digest of `bytes` in the algorithm `digest` names (sha256 or sha512, as image references allow). */
const digestLike = (digest: string, bytes: Buffer) => {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${crypto
    .createHash(algorithm)
    .update(bytes)
    .digest('hex')}`;
};

/** Tokens kept: one per registry and repository recently checked. */
const MAX_CACHED_TOKENS = 10_000;

/**
 * A small OCI distribution client that only ever talks to the registries in
 * `baseImages.registries` (and their configured extra hosts): annotations are
 * user input, so every URL, token realm and redirect is checked first.
 */
export class RegistryClient {
  /**
   * Bearer tokens per registry and repository scope, until they expire;
   * bounded, since every repository an annotation names has its own scope.
   */
  private readonly tokens = new LRUCache<string, string>({
    max: MAX_CACHED_TOKENS,
  });

  constructor(private readonly options: RegistryClientOptions) {}

  /** The allow-list: every configured registry. */
  get registries(): RegistryConfig[] {
    return this.options.registries;
  }

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
      ...(DEFAULT_EXTRA_HOSTS[registry.host] ?? []),
      ...registry.extraHosts,
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

  /** Why a request or its body failed, as the check's error. */
  private failure(
    host: string,
    error: unknown,
    budget: CheckBudget,
  ): RegistryError {
    if (error instanceof RegistryError) return error;
    if (budget.signal.aborted) return budget.deadlineError();
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `timed out after ${this.options.timeoutMs} ms`
        : `${(error as Error).message}${
            (error as any).cause?.code ? ` (${(error as any).cause.code})` : ''
          }`;
    return new RegistryError(
      'unavailable',
      `${host} could not be reached: ${cause}`,
    );
  }

  /**
   * Reads a body up to `maxBytes` (one object's limit: over it, the content is
   * untrustworthy) and within the check's byte budget (over it, the check
   * stops). The request's signal aborts a body that drips at the deadline.
   */
  private async readLimited(
    host: string,
    response: Response,
    maxBytes: number,
    what: string,
    budget: CheckBudget,
  ): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length'));
    try {
      if (declared > maxBytes) {
        throw new ObjectTooLargeError(
          `${what} is ${declared} bytes, over the ${maxBytes}-byte limit`,
        );
      }
      if (declared > 0) budget.expectBytes(declared);
    } catch (error) {
      await response.body?.cancel();
      throw error;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of (response.body ??
        []) as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > maxBytes) {
          throw new ObjectTooLargeError(
            `${what} is over the ${maxBytes}-byte limit`,
          );
        }
        budget.countBytes(chunk.length);
        chunks.push(Buffer.from(chunk));
      }
    } catch (error) {
      throw this.failure(host, error, budget);
    }
    return Buffer.concat(chunks);
  }

  /**
   * One HTTP exchange with timeout and the check's deadline, manual redirects
   * restricted to allowed hosts. Credentials go to the host they were meant
   * for only: a redirect elsewhere (a blob CDN) is sent without them.
   */
  private async send(
    registry: RegistryConfig,
    url: URL,
    headers: Record<string, string>,
    budget: CheckBudget,
  ): Promise<Response> {
    const anonymous = Object.fromEntries(
      Object.entries(headers).filter(
        ([name]) => name.toLowerCase() !== 'authorization',
      ),
    );
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      this.checkUrl(
        registry,
        current,
        hop === 0 ? 'Registry URL' : 'Redirect to',
      );
      budget.countRequest();
      const sameHost = current.host === url.host;
      let response: Response;
      try {
        response = await fetch(current, {
          headers: sameHost ? headers : anonymous,
          redirect: 'manual',
          signal: AbortSignal.any([
            budget.signal,
            AbortSignal.timeout(this.options.timeoutMs),
          ]),
        });
      } catch (error) {
        throw this.failure(registry.host, error, budget);
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
    budget: CheckBudget,
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
    const response = await this.send(registry, realmUrl, headers, budget);
    if (response.status !== 200) {
      await response.body?.cancel();
      // dhi.io refuses anonymous tokens with 401: say what to configure
      const refused = response.status === 401 || response.status === 403;
      if (refused && !registry.credentials) {
        throw new RegistryError(
          'unavailable',
          needsCredentialsMessage(registry.host),
          response.status,
        );
      }
      throw new RegistryError(
        'unavailable',
        `token request to ${realmUrl.host} for ${
          registry.host
        } failed with HTTP ${response.status}${
          registry.credentials ? ' (check the configured credentials)' : ''
        }`,
        response.status,
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(
        (
          await this.readLimited(
            registry.host,
            response,
            64 * 1024,
            'token response',
            budget,
          )
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
    this.tokens.set(`${registry.host} ${scope}`, token, {
      ttl: Math.max(30, (body.expires_in ?? 60) - 10) * 1000,
    });
    return token;
  }

  /** GET with auth: anonymous first, then the challenge's token or basic auth. */
  private async get(
    host: string,
    repository: string,
    path: string,
    accept: string,
    budget: CheckBudget,
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
    if (cached) headers.authorization = `Bearer ${cached}`;

    let response = await this.send(registry, url, headers, budget);
    if (response.status !== 401) return response;
    await response.body?.cancel();
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    if (challenge?.scheme === 'bearer') {
      headers.authorization = `Bearer ${await this.fetchToken(
        registry,
        challenge,
        scope,
        budget,
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
        registry.credentials
          ? `${host} answered 401 without a Bearer or Basic challenge`
          : needsCredentialsMessage(host),
        401,
      );
    }
    response = await this.send(registry, url, headers, budget);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new RegistryError(
        'unavailable',
        registry.credentials
          ? `${host} refused access to ${repository} (HTTP ${response.status}); check the configured credentials`
          : needsCredentialsMessage(host),
        response.status,
      );
    }
    return response;
  }

  private async failUnlessOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    await response.body?.cancel();
    throw new RegistryError(
      'unavailable',
      `${what}: HTTP ${response.status}`,
      response.status,
    );
  }

  /**
   * Fetches a manifest or index by tag or digest, once per check. Its digest
   * (sha256, what signatures name) is computed from the bytes; when the
   * reference is a digest (sha256 or sha512) the bytes must hash to it.
   */
  getManifest(
    host: string,
    repository: string,
    reference: string,
    budget: CheckBudget,
  ): Promise<FetchedManifest | undefined> {
    return budget.once(`manifest ${host}/${repository}:${reference}`, () =>
      this.fetchManifest(host, repository, reference, budget),
    );
  }

  private async fetchManifest(
    host: string,
    repository: string,
    reference: string,
    budget: CheckBudget,
  ): Promise<FetchedManifest | undefined> {
    const what = `manifest ${host}/${repository}:${reference}`;
    const response = await this.get(
      host,
      repository,
      `manifests/${reference}`,
      MANIFEST_ACCEPT,
      budget,
    );
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    await this.failUnlessOk(response, what);
    const bytes = await this.readLimited(
      host,
      response,
      this.options.maxBytes,
      what,
      budget,
    );
    const digest = sha256Digest(bytes);
    if (/^sha(256|512):/.test(reference)) {
      const actual = digestLike(reference, bytes);
      if (actual !== reference) {
        throw new RegistryError(
          'integrity',
          `${what} hashes to ${actual}, not the digest it was asked for`,
        );
      }
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

  /**
   * Fetches a blob, once per check, and checks that it hashes to its digest.
   * `maxBytes` is the limit for this one blob.
   */
  getBlob(
    host: string,
    repository: string,
    digest: string,
    budget: CheckBudget,
    maxBytes = this.options.maxBytes,
  ): Promise<Buffer> {
    return budget.once(`blob ${host}/${repository}@${digest} ${maxBytes}`, () =>
      this.fetchBlob(host, repository, digest, budget, maxBytes),
    );
  }

  private async fetchBlob(
    host: string,
    repository: string,
    digest: string,
    budget: CheckBudget,
    maxBytes: number,
  ): Promise<Buffer> {
    const what = `blob ${digest.slice(0, 19)} of ${host}/${repository}`;
    const response = await this.get(
      host,
      repository,
      `blobs/${digest}`,
      '*/*',
      budget,
    );
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RegistryError('integrity', `${what} is missing`);
    }
    await this.failUnlessOk(response, what);
    const bytes = await this.readLimited(
      host,
      response,
      maxBytes,
      what,
      budget,
    );
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
   * tag that registries without it hold instead (`source` tells which). A
   * list over the check's referrer limit stops the check.
   */
  async getReferrers(
    host: string,
    repository: string,
    digest: string,
    budget: CheckBudget,
  ): Promise<{
    source: 'referrers' | 'referrers-tag';
    descriptors: Descriptor[];
  }> {
    const what = `the referrers list of ${digest.slice(0, 19)} on ${host}`;
    const response = await this.get(
      host,
      repository,
      `referrers/${digest}`,
      OCI_INDEX,
      budget,
    );
    if (response.ok) {
      const bytes = await this.readLimited(
        host,
        response,
        this.options.maxBytes,
        `referrers of ${digest}`,
        budget,
      );
      let index: Manifest;
      try {
        const parsed = JSON.parse(bytes.toString('utf8'));
        // Counted before each entry is checked: the limit bounds that work too.
        if (Array.isArray(parsed?.manifests))
          budget.cap(parsed.manifests, 'maxReferrers', what, 'referrers');
        index = checkManifestShape(parsed, `referrers of ${digest}`);
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        throw new RegistryError(
          'unavailable',
          `referrers of ${digest} on ${host} is not a valid index`,
        );
      }
      return { source: 'referrers', descriptors: index.manifests ?? [] };
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
        response.status,
      );
    }
    const fallback = await this.getManifest(
      host,
      repository,
      digest.replace(':', '-'),
      budget,
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
      descriptors: budget.cap(
        fallback.manifest.manifests ?? [],
        'maxReferrers',
        what,
        'referrers',
      ),
    };
  }
}
