import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { createDigestLookup, DigestLookup } from '../digests/digestLookup';

export type DigestHandler = (
  request: http.IncomingMessage & { body: string },
  response: http.ServerResponse,
) => void;

export interface DigestBackend {
  baseUrl: string;
  requests: Array<{
    url?: string;
    headers: http.IncomingHttpHeaders;
    body: string;
  }>;
  /** The real lookup client, pointed at this server. */
  lookup(timeoutMs?: number): DigestLookup;
  close(): Promise<void>;
}

/** A loopback HTTP server standing in for the base-images backend. */
export async function startDigestBackend(
  handler: DigestHandler,
): Promise<DigestBackend> {
  const requests: DigestBackend['requests'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', chunk => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({ url: request.url, headers: request.headers, body });
      handler(Object.assign(request, { body }), response);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/api/base-images`;
  return {
    baseUrl,
    requests,
    lookup: (timeoutMs = 2_000) =>
      createDigestLookup({
        discovery: {
          getBaseUrl: async () => baseUrl,
          getExternalBaseUrl: async () => baseUrl,
        },
        auth: mockServices.auth(),
        timeoutMs,
      }),
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers every asked image that has a digest in `digests`. */
export function answerDigests(digests: Record<string, string>): DigestHandler {
  return (request, response) => {
    const { images } = JSON.parse(request.body) as { images: string[] };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        items: images.map(image =>
          digests[image]
            ? { image, digest: digests[image] }
            : { image, message: 'not in the allow-list' },
        ),
      }),
    );
  };
}

/** A lookup that never gets an answer: the registry is offline. */
export const offlineDigests: DigestLookup = {
  lookup: async images => ({
    digests: new Map(),
    messages: images.map(image => `${image}: offline`),
  }),
};
