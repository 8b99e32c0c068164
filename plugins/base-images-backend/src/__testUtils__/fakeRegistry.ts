import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { LocalRegistry } from './localRegistry';

/**
 * What the fake registry does instead of answering normally.
 * @public
 */
export type Fault =
  | 'hang'
  | 'malformed'
  | number
  /** Answers 200 with these bytes instead. */
  | { body: Buffer; contentType?: string }
  | { redirect: string }
  /** Answers normally, after this many milliseconds. */
  | { delayMs: number }
  /** Answers 200 and then one byte every this many milliseconds, forever. */
  | { dripEveryMs: number }
  | undefined;

/**
 * An in-memory OCI registry for the paths distribution 2.8 cannot exercise:
 * the native referrers API and injected faults. Same push API as the real one,
 * so the image fixtures work against both.
 * @public
 */
export interface FakeRegistry extends LocalRegistry {
  /** Decides a fault per request (path like /v2/repo/manifests/tag), or undefined to answer normally. */
  fault: (method: string, path: string) => Fault;
  referrersApi: boolean;
  requests: string[];
  /** Every request with its headers, for assertions about what was sent. */
  received: Array<{ request: string; headers: http.IncomingHttpHeaders }>;
  /** A stored blob, for a second server to serve (a CDN a blob redirects to). */
  blob(digest: string): Buffer | undefined;
}

/**
 * How a fake registry asks for tokens, as Docker's registries do.
 * @public
 */
export interface BearerAuth {
  /** The challenge's service: dhi.io and Docker Hub name `registry.docker.io`. */
  service?: string;
  /**
   * Give tokens only to callers with these credentials (Basic auth on the
   * realm): dhi.io refuses anonymous token requests with 401.
   */
  credentials?: { username: string; password: string };
  /**
   * Repositories a token does not open: 401 on them (with a new challenge),
   * as registry.scout.docker.com answers for repositories that are not DHI.
   */
  refuse?: (repository: string) => boolean;
}

/** @public */
export async function startFakeRegistry(
  options: {
    referrersApi?: boolean;
    host?: string;
    /** Require the token from /token on /v2/ requests, as Docker Hub does. */
    bearerAuth?: boolean | BearerAuth;
  } = {},
): Promise<FakeRegistry> {
  const bearer: BearerAuth | undefined =
    options.bearerAuth === true ? {} : options.bearerAuth || undefined;
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tags = new Map<string, string>();
  const sha512 = new Map<string, string>();
  const uploads = new Set<string>();
  const sockets = new Set<net.Socket>();
  const sha = (b: Buffer, algorithm = 'sha256') =>
    `${algorithm}:${crypto.createHash(algorithm).update(b).digest('hex')}`;

  const server = http.createServer();
  const registry: FakeRegistry = {
    host: '',
    tokenHost: '',
    credentials: { username: 'tester', password: 'secret' },
    tokenRequests: [],
    fault: () => undefined,
    referrersApi: options.referrersApi ?? true,
    requests: [],
    received: [],
    blob: digest => blobs.get(digest),
    async stop() {
      sockets.forEach(s => s.destroy());
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
    async stopRegistry() {
      await registry.stop();
    },
    async startRegistry() {
      throw new Error('the fake registry does not restart');
    },
  };

  type Handler = (
    match: RegExpExecArray,
    url: URL,
    body: Buffer,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => void;
  const ROUTES: Array<{ method: string; pattern: RegExp; handle: Handler }> = [
    {
      method: 'POST',
      pattern: /^\/v2\/.+\/blobs\/uploads\/$/,
      handle: (_m, _u, _b, _req, res) => {
        const id = crypto.randomUUID();
        uploads.add(id);
        res.writeHead(202, { location: `/upload/${id}` }).end();
      },
    },
    {
      method: 'PUT',
      pattern: /^\/upload\/(.+)$/,
      handle: (match, url, body, _req, res) => {
        if (!uploads.delete(match[1])) {
          res.writeHead(404).end();
          return;
        }
        blobs.set(url.searchParams.get('digest')!, body);
        res.writeHead(201).end();
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v2\/(.+)\/manifests\/(.+)$/,
      handle: (match, _u, body, req, res) => {
        const digest = sha(body);
        const stored = { bytes: body, mediaType: req.headers['content-type']! };
        manifests.set(digest, stored);
        // found by its sha512 digest too (a reference may pin either)
        sha512.set(sha(body, 'sha512'), digest);
        if (!match[2].startsWith('sha256:'))
          tags.set(`${match[1]}:${match[2]}`, digest);
        res.writeHead(201, { 'docker-content-digest': digest }).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/(.+)\/manifests\/(.+)$/,
      handle: (match, _u, _b, _req, res) => {
        const reference = match[2];
        let digest = tags.get(`${match[1]}:${reference}`);
        if (reference.startsWith('sha256:')) digest = reference;
        if (reference.startsWith('sha512:')) digest = sha512.get(reference);
        const manifest = digest && manifests.get(digest);
        if (!manifest)
          res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
        else
          res
            .writeHead(200, {
              'content-type': manifest.mediaType,
              'docker-content-digest': digest,
            })
            .end(manifest.bytes);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/(.+)\/blobs\/(.+)$/,
      handle: (match, _u, _b, _req, res) => {
        const blob = blobs.get(match[2]);
        if (!blob) res.writeHead(404).end();
        else
          res
            .writeHead(200, { 'content-type': 'application/octet-stream' })
            .end(blob);
      },
    },
    {
      // where blob redirects point: a path outside /v2/, needing no token
      method: 'GET',
      pattern: /^\/cdn\/(.+)$/,
      handle: (match, _u, _b, _req, res) => {
        const blob = blobs.get(match[1]);
        if (!blob) res.writeHead(404).end();
        else res.writeHead(200).end(blob);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/(.+)\/referrers\/(.+)$/,
      handle: (match, _u, _b, _req, res) => {
        if (!registry.referrersApi) {
          res.writeHead(404).end();
          return;
        }
        const referrers = [...manifests.entries()].flatMap(
          ([digest, { bytes, mediaType }]) => {
            const parsed = JSON.parse(bytes.toString());
            return parsed.subject?.digest === match[2]
              ? [
                  {
                    mediaType,
                    digest,
                    size: bytes.length,
                    artifactType:
                      parsed.artifactType ?? parsed.config?.mediaType,
                    annotations: parsed.annotations,
                  },
                ]
              : [];
          },
        );
        res
          .writeHead(200, {
            'content-type': 'application/vnd.oci.image.index.v1+json',
          })
          .end(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: 'application/vnd.oci.image.index.v1+json',
              manifests: referrers,
            }),
          );
      },
    },
  ];

  server.on(
    'request',
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url!, 'http://localhost');
        registry.requests.push(`${req.method} ${url.pathname}`);
        registry.received.push({
          request: `${req.method} ${url.pathname}`,
          headers: req.headers,
        });
        if (url.pathname === '/token') {
          const given = req.headers.authorization?.startsWith('Basic ')
            ? Buffer.from(
                req.headers.authorization.slice(6),
                'base64',
              ).toString()
            : undefined;
          const wanted = bearer?.credentials;
          const authorized =
            !!wanted && given === `${wanted.username}:${wanted.password}`;
          registry.tokenRequests.push({
            authorized,
            scope: url.searchParams.get('scope') ?? '',
            service: url.searchParams.get('service') ?? '',
          });
          if (wanted && !authorized) {
            res
              .writeHead(401)
              .end('{"details":"incorrect username or password"}');
            return;
          }
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ token: 'fake' }));
          return;
        }
        const repository = /^\/v2\/(.+)\/(manifests|blobs|referrers)\//.exec(
          url.pathname,
        )?.[1];
        if (
          bearer &&
          url.pathname.startsWith('/v2/') &&
          (req.headers.authorization !== 'Bearer fake' ||
            (repository && bearer.refuse?.(repository)))
        ) {
          res
            .writeHead(401, {
              'www-authenticate': `Bearer realm="http://${
                registry.host
              }/token",service="${bearer.service ?? 'fake-registry'}"${
                repository ? `,scope="repository:${repository}:pull"` : ''
              }`,
            })
            .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        const answer = () => {
          const route = ROUTES.find(
            r => r.method === req.method && r.pattern.test(url.pathname),
          );
          if (!route) {
            res.writeHead(404).end();
            return;
          }
          route.handle(route.pattern.exec(url.pathname)!, url, body, req, res);
        };
        const fault = registry.fault(req.method!, url.pathname);
        if (fault === undefined) {
          answer();
        } else if (fault === 'hang') {
          // never answers
        } else if (typeof fault === 'number') {
          res.writeHead(fault).end('injected');
        } else if (fault === 'malformed') {
          res
            .writeHead(200, {
              'content-type': 'application/vnd.oci.image.index.v1+json',
            })
            .end('{"schemaVersion": 2, "manifests": [');
        } else if ('redirect' in fault) {
          res.writeHead(307, { location: fault.redirect }).end();
        } else if ('body' in fault) {
          res
            .writeHead(200, {
              'content-type':
                fault.contentType ??
                'application/vnd.oci.image.manifest.v1+json',
            })
            .end(fault.body);
        } else if ('delayMs' in fault) {
          setTimeout(answer, fault.delayMs);
        } else {
          res.writeHead(200, {
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
          });
          const drip = setInterval(() => res.write(' '), fault.dripEveryMs);
          res.on('close', () => clearInterval(drip));
        }
      });
    },
  );
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve =>
    server.listen(0, options.host ?? '127.0.0.1', resolve),
  );
  registry.host = `${options.host ?? '127.0.0.1'}:${
    (server.address() as net.AddressInfo).port
  }`;
  registry.tokenHost = registry.host;
  return registry;
}
