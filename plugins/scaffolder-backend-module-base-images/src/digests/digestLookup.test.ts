import http from 'node:http';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  DigestHandler as Handler,
  startDigestBackend,
} from '../__testUtils__/digestBackend';
import { createDigestLookup, pinnedImage } from './digestLookup';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

const json = (response: http.ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('createDigestLookup', () => {
  const logger = mockServices.logger.mock();
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()));
  });

  async function lookupWith(
    handler: Handler,
    images = ['dhi.io/python:3.13', 'dhi.io/python:3.13-dev'],
    timeoutMs = 2_000,
  ) {
    const server = await startDigestBackend(handler);
    servers.push(server);
    const answer = await server
      .lookup(timeoutMs)
      .lookup(images, mockCredentials.user(), logger);
    return { answer, requests: server.requests };
  }

  it('posts the images on behalf of the initiator and reads the digests', async () => {
    const { answer, requests } = await lookupWith((_request, response) =>
      json(response, 200, {
        items: [
          { image: 'dhi.io/python:3.13', digest: DIGEST_A },
          {
            image: 'dhi.io/python:3.13-dev',
            message: 'registry dhi.io did not answer\nRUN id',
          },
        ],
      }),
    );
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe('/api/base-images/digests');
    expect(JSON.parse(requests[0].body)).toEqual({
      images: ['dhi.io/python:3.13', 'dhi.io/python:3.13-dev'],
    });
    expect(requests[0].headers.authorization).toBe(
      `Bearer ${mockCredentials.service.token({
        onBehalfOf: mockCredentials.user(),
        targetPluginId: 'base-images',
      })}`,
    );
    expect(answer.digests).toEqual(new Map([['dhi.io/python:3.13', DIGEST_A]]));
    expect(answer.messages).toEqual([
      'dhi.io/python:3.13-dev: registry dhi.io did not answer RUN id',
    ]);
  });

  it('asks once per distinct image', async () => {
    const { requests } = await lookupWith(
      (_request, response) => json(response, 200, { items: [] }),
      ['python:3.13-slim', 'python:3.13-slim', 'python:3.13-slim'],
    );
    expect(JSON.parse(requests[0].body)).toEqual({
      images: ['python:3.13-slim'],
    });
  });

  it('takes only well-formed digests of the images it asked for', async () => {
    const { answer } = await lookupWith((_request, response) =>
      json(response, 200, {
        items: [
          { image: 'dhi.io/python:3.13', digest: 'sha256:abc' },
          { image: 'dhi.io/python:3.13-dev', digest: `${DIGEST_B}\nRUN id` },
          { image: 'evil.io/x:1', digest: DIGEST_A },
        ],
      }),
    );
    expect(answer.digests.size).toBe(0);
    expect(answer.messages).toEqual([
      'dhi.io/python:3.13: the registry gave no digest',
      'dhi.io/python:3.13-dev: the registry gave no digest',
    ]);
  });

  it.each([
    [
      'an error status',
      ((_request, response) =>
        json(response, 503, { error: 'down' })) as Handler,
      /answered 503/,
    ],
    [
      'a body that is not JSON',
      ((_request, response) => {
        response.writeHead(200);
        response.end('<html>');
      }) as Handler,
      /Unexpected token|not valid JSON/,
    ],
    [
      'a body without items',
      ((_request, response) => json(response, 200, { digests: {} })) as Handler,
      /the answer has no items list/,
    ],
    [
      'a redirect',
      ((_request, response) => {
        response.writeHead(302, { location: 'http://127.0.0.1:1/' });
        response.end();
      }) as Handler,
      /fetch failed/,
    ],
  ])('gives no digests for %s', async (_name, handler, message) => {
    const { answer } = await lookupWith(handler);
    expect(answer.digests.size).toBe(0);
    expect(answer.messages).toHaveLength(2);
    expect(answer.messages[0]).toMatch(
      /^dhi\.io\/python:3\.13: digest lookup failed/,
    );
    expect(answer.messages[0]).toMatch(message);
  });

  it('gives up on a backend that does not answer, without failing', async () => {
    const { answer } = await lookupWith(
      () => {
        // never answers
      },
      ['dhi.io/python:3.13'],
      300,
    );
    expect(answer.digests.size).toBe(0);
    expect(answer.messages).toEqual([
      'dhi.io/python:3.13: digest lookup failed (no answer within 0.3s)',
    ]);
  });

  it('gives no digests when the backend is not listening', async () => {
    const server = await startDigestBackend(() => {});
    await server.close();
    const lookup = createDigestLookup({
      discovery: {
        getBaseUrl: async () => server.baseUrl,
        getExternalBaseUrl: async () => server.baseUrl,
      },
      auth: mockServices.auth(),
    });
    const answer = await lookup.lookup(
      ['node:22-slim'],
      mockCredentials.user(),
      logger,
    );
    expect(answer.digests.size).toBe(0);
    expect(answer.messages[0]).toMatch(/node:22-slim: digest lookup failed/);
  });

  it('pins an image only when it has a digest', () => {
    expect(pinnedImage('dhi.io/python:3.13', DIGEST_A)).toBe(
      `dhi.io/python:3.13@${DIGEST_A}`,
    );
    expect(pinnedImage('dhi.io/python:3.13')).toBe('dhi.io/python:3.13');
  });
});
