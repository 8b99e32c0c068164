/**
 * @jest-environment node
 */
import { registerMswTestHooks } from '@backstage/test-utils';
import { http, HttpResponse, JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { BaseImagesClient } from './BaseImagesClient';

const BASE_URL = 'http://backstage.test/api/base-images';

/**
 * The client against msw: what goes over the wire, and how answers and
 * errors come back. Runs in jest's node environment, where msw intercepts
 * the global fetch the client is given.
 */
describe('BaseImagesClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const received: Array<{ method: string; url: string; auth: string | null }> =
    [];
  let answer: { status: number; body: JsonBodyType } = {
    status: 200,
    body: {},
  };

  beforeEach(() => {
    received.length = 0;
    answer = { status: 200, body: {} };
    server.use(
      http.all(`${BASE_URL}/*`, ({ request }) => {
        const url = new URL(request.url);
        received.push({
          method: request.method,
          url: `${url.pathname}${url.search}`,
          auth: request.headers.get('authorization'),
        });
        return HttpResponse.json(answer.body, { status: answer.status });
      }),
    );
  });

  const client = () =>
    new BaseImagesClient({
      discoveryApi: { getBaseUrl: async () => BASE_URL },
      fetchApi: {
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: { authorization: 'Bearer test-token' },
          }),
      },
    });

  it('asks the overview for one page with the given filters', async () => {
    const page = {
      items: [{ entityRef: 'component:default/a' }],
      totalCount: 120,
      summary: { total: 120 },
    };
    answer = { status: 200, body: page };
    const response = await client().getOverview({
      status: 'invalid',
      verdict: 'drift',
      framework: 'hipaa',
      owner: 'group:default/team a',
      q: '',
      limit: 50,
      offset: 100,
    });
    expect(response).toEqual(page);
    expect(received).toEqual([
      {
        method: 'GET',
        url: '/api/base-images/overview?status=invalid&verdict=drift&framework=hipaa&owner=group%3Adefault%2Fteam+a&limit=50&offset=100',
        auth: 'Bearer test-token',
      },
    ]);
  });

  it('asks for the first page when given no query', async () => {
    answer = { status: 200, body: { items: [], totalCount: 0 } };
    await client().getOverview();
    expect(received[0].url).toBe('/api/base-images/overview');
  });

  it("turns an error answer into an error with the backend's message", async () => {
    answer = {
      status: 400,
      body: {
        error: {
          name: 'InputError',
          message:
            'Invalid overview query: limit: Number must be less than or equal to 500',
        },
        response: { statusCode: 400 },
      },
    };
    await expect(client().getOverview({ limit: 501 })).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      cause: {
        name: 'InputError',
        message: expect.stringMatching(
          /limit: Number must be less than or equal to 500/,
        ),
      },
    });
  });

  it('addresses an entity by kind, namespace and name, encoded', async () => {
    answer = { status: 200, body: { entityRef: 'component:default/a b' } };
    await client().getEntityStatus({
      kind: 'Component',
      namespace: 'default',
      name: 'a b',
    });
    await client().refreshEntityStatus({
      kind: 'Component',
      namespace: 'default',
      name: 'a b',
    });
    expect(received.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET /api/base-images/entities/component/default/a%20b',
      'POST /api/base-images/entities/component/default/a%20b/refresh',
    ]);
  });
});
