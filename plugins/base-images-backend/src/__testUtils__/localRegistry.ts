import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, ChildProcess } from 'node:child_process';

/**
 * Test fixture: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with
 * token auth, and the small token server it trusts. Anonymous callers may
 * pull `public/*` (unless `anonymousTokens` is false, as on dhi.io);
 * `tester:secret` may push and pull everything.
 * @public
 */
export interface LocalRegistry {
  host: string;
  tokenHost: string;
  credentials: { username: string; password: string };
  /** The token service the registry names (the token's audience). */
  service?: string;
  /** Token requests the server answered, for assertions. */
  tokenRequests: Array<{
    authorized: boolean;
    scope: string;
    service?: string;
  }>;
  stop(): Promise<void>;
  /** Stops just the registry process (the token server stays), to test outages. */
  stopRegistry(): Promise<void>;
  startRegistry(): Promise<void>;
}

const REGISTRY_BIN = '/usr/bin/docker-registry';

/** @public */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** libtrust's key id: base32 of the first 240 bits of SHA-256(SPKI DER), in groups of 4. */
function libtrustKeyId(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const hash = crypto.createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i + 5 <= bits.length; i += 5)
    encoded += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)!.join(':');
}

const b64url = (value: Buffer | string) =>
  Buffer.from(value).toString('base64url');

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      await new Promise(r => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** @public */
export async function startLocalRegistry(
  options: {
    /** The token service the registry names: dhi.io and Docker Hub name `registry.docker.io`. */
    service?: string;
    /** Whether anonymous callers get (pull-only) tokens; dhi.io answers them 401. Default true. */
    anonymousTokens?: boolean;
  } = {},
): Promise<LocalRegistry> {
  const service = options.service ?? 'test-registry';
  if (!fs.existsSync(REGISTRY_BIN)) {
    throw new Error(
      `${REGISTRY_BIN} is missing: install Debian's docker-registry (scripts/test.sh does)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-registry-'));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  });
  fs.writeFileSync(
    path.join(dir, 'token.key'),
    privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      path.join(dir, 'token.key'),
      '-subj',
      '/CN=test-token-issuer',
      '-days',
      '2',
      '-out',
      path.join(dir, 'token.crt'),
    ],
    { stdio: 'ignore' },
  );
  const kid = libtrustKeyId(publicKey);
  const credentials = { username: 'tester', password: 'secret' };
  const tokenRequests: LocalRegistry['tokenRequests'] = [];

  const tokenServer = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString()
      : undefined;
    if (
      (given === undefined && options.anonymousTokens === false) ||
      (given !== undefined &&
        given !== `${credentials.username}:${credentials.password}`)
    ) {
      tokenRequests.push({
        authorized: false,
        scope: url.searchParams.get('scope') ?? '',
        service: url.searchParams.get('service') ?? '',
      });
      res.writeHead(401).end('bad credentials');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap(scope => {
      const [type, name, actions] = scope.split(':');
      let allowed: string[] = [];
      if (given) allowed = actions.split(',');
      else if (name.startsWith('public/')) allowed = ['pull'];
      return [
        {
          type,
          name,
          actions: allowed.filter(a => actions.split(',').includes(a)),
        },
      ];
    });
    tokenRequests.push({
      authorized: !!given,
      scope: url.searchParams.get('scope') ?? '',
      service: url.searchParams.get('service') ?? '',
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', kid }));
    const claims = b64url(
      JSON.stringify({
        iss: 'test-token-issuer',
        sub: given ? credentials.username : '',
        aud: url.searchParams.get('service'),
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: crypto.randomUUID(),
        access,
      }),
    );
    const signature = crypto.sign(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: privateKey, dsaEncoding: 'ieee-p1363' },
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        token: `${header}.${claims}.${b64url(signature)}`,
        expires_in: 300,
      }),
    );
  });
  await new Promise<void>(resolve =>
    tokenServer.listen(0, '127.0.0.1', resolve),
  );
  const tokenHost = `127.0.0.1:${
    (tokenServer.address() as net.AddressInfo).port
  }`;

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      'storage:',
      `  filesystem: { rootdirectory: ${path.join(dir, 'data')} }`,
      '  delete: { enabled: true }',
      `http: { addr: "${host}", secret: test-secret }`,
      'auth:',
      '  token:',
      `    realm: http://${tokenHost}/token`,
      `    service: ${service}`,
      '    issuer: test-token-issuer',
      `    rootcertbundle: ${path.join(dir, 'token.crt')}`,
      '',
    ].join('\n'),
  );

  let registry: ChildProcess | undefined;
  const startRegistry = async () => {
    registry = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    registry.stderr!.on('data', chunk => {
      stderr += chunk;
    });
    await waitFor(`http://${host}/v2/`, 15_000).catch(error => {
      throw new Error(`${error.message}\n${stderr}`);
    });
  };
  const stopRegistry = async () => {
    const proc = registry;
    registry = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>(resolve => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await startRegistry();

  return {
    host,
    tokenHost,
    service,
    credentials,
    tokenRequests,
    startRegistry,
    stopRegistry,
    async stop() {
      await stopRegistry();
      await new Promise<void>(resolve => tokenServer.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
