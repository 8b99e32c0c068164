import crypto from 'node:crypto';
import { LocalRegistry } from './localRegistry';

/** @public */
export const sha256 = (bytes: Buffer | string) =>
  `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

/** @public */
export interface PushedDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string };
}

/**
 * Pushes blobs and manifests to the local registry over plain HTTP with a
 * push token, as a CI job would. Independent of the plugin's RegistryClient.
 * @public
 */
export class Pusher {
  private tokens = new Map<string, string>();

  constructor(private readonly registry: LocalRegistry) {}

  private async token(repository: string): Promise<string> {
    let token = this.tokens.get(repository);
    if (!token) {
      const { username, password } = this.registry.credentials;
      const response = await fetch(
        `http://${this.registry.tokenHost}/token?service=${
          this.registry.service ?? 'test-registry'
        }&scope=repository:${repository}:pull,push`,
        {
          headers: {
            authorization: `Basic ${Buffer.from(
              `${username}:${password}`,
            ).toString('base64')}`,
          },
        },
      );
      token = ((await response.json()) as { token: string }).token;
      this.tokens.set(repository, token);
    }
    return token;
  }

  private async request(
    repository: string,
    method: string,
    url: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(
      url.startsWith('http')
        ? url
        : `http://${this.registry.host}/v2/${repository}/${url}`,
      {
        method,
        body,
        headers: {
          authorization: `Bearer ${await this.token(repository)}`,
          ...headers,
        },
      },
    );
    if (!response.ok)
      throw new Error(
        `${method} ${url}: HTTP ${response.status} ${await response.text()}`,
      );
    return response;
  }

  async blob(
    repository: string,
    content: Buffer | string,
    mediaType = 'application/octet-stream',
  ): Promise<PushedDescriptor> {
    const bytes = Buffer.from(content);
    const digest = sha256(bytes);
    const start = await this.request(repository, 'POST', 'blobs/uploads/');
    const location = new URL(
      start.headers.get('location')!,
      `http://${this.registry.host}`,
    );
    location.searchParams.set('digest', digest);
    await this.request(repository, 'PUT', location.href, bytes, {
      'content-type': 'application/octet-stream',
    });
    return { mediaType, digest, size: bytes.length };
  }

  /** Pushes a manifest or index (as given, byte for byte) under `reference`. */
  async manifest(
    repository: string,
    reference: string,
    manifest: object | Buffer,
  ): Promise<PushedDescriptor> {
    const bytes = Buffer.isBuffer(manifest)
      ? manifest
      : Buffer.from(JSON.stringify(manifest));
    const mediaType = (JSON.parse(bytes.toString()) as { mediaType: string })
      .mediaType;
    await this.request(repository, 'PUT', `manifests/${reference}`, bytes, {
      'content-type': mediaType,
    });
    return { mediaType, digest: sha256(bytes), size: bytes.length };
  }

  async deleteManifest(repository: string, digest: string) {
    await this.request(repository, 'DELETE', `manifests/${digest}`);
  }
}
