import { Entity } from '@backstage/catalog-model';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { BaseImageScorecard, CheckResult } from './BaseImageScorecard';

jest.setTimeout(30_000);

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'signed-service',
    namespace: 'default',
    annotations: { 'base-image/ref': 'dhi.io/python:3.13' },
  },
  spec: { type: 'service', owner: 'web-team', lifecycle: 'production' },
};

const check = (id: string, name: string, result: boolean): CheckResult => ({
  check: { id, name, description: `${name}, described` },
  result,
});

/** Tech Insights' check-run endpoint, answering with `respond`. */
function techInsights(respond: () => Response) {
  const calls: Array<{ url: string; method?: string; body: unknown }> = [];
  const fetchImpl = jest.fn(async (input: any, init?: RequestInit) => {
    calls.push({
      url: String(input instanceof Request ? input.url : input),
      method: init?.method,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return respond();
  });
  return { calls, fetchImpl: fetchImpl as unknown as typeof fetch };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

async function renderCard(fetchImpl: typeof fetch) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <BaseImageScorecard />
    </EntityProvider>,
    {
      apis: [
        [fetchApiRef, mockApis.fetch({ baseImplementation: fetchImpl })],
        [discoveryApiRef, mockApis.discovery({ baseUrl: 'http://backstage' })],
      ],
    },
  );
}

describe('BaseImageScorecard', () => {
  it("runs the entity's base-image checks and shows each one passed or failed", async () => {
    const api = techInsights(() =>
      json([
        check('base-images-compliant', 'Meets its compliance', true),
        check('base-images-verified', 'Base image verified', false),
      ]),
    );
    await renderCard(api.fetchImpl);

    const verified = await screen.findByRole('listitem', {
      name: 'Base image verified',
    });
    expect(within(verified).getByText('Failed')).toBeInTheDocument();
    expect(
      within(verified).getByText('Base image verified, described'),
    ).toBeInTheDocument();
    const compliant = screen.getByRole('listitem', {
      name: 'Meets its compliance',
    });
    expect(within(compliant).getByText('Passed')).toBeInTheDocument();
    // verified first, whatever order the backend answers in
    expect(
      screen.getAllByRole('listitem').map(i => i.getAttribute('aria-label')),
    ).toEqual(['Base image verified', 'Meets its compliance']);

    expect(api.calls).toEqual([
      {
        url: 'http://backstage/api/tech-insights/checks/run/default/Component/signed-service',
        method: 'POST',
        body: { checks: ['base-images-verified', 'base-images-compliant'] },
      },
    ]);
  });

  it('says when Tech Insights has no facts for the entity yet', async () => {
    await renderCard(techInsights(() => json([])).fetchImpl);
    expect(
      await screen.findByText(/No base-image facts for this entity yet/),
    ).toBeInTheDocument();
  });

  it('shows the error when the checks cannot be run', async () => {
    await renderCard(
      techInsights(() =>
        json(
          {
            error: {
              name: 'NotFoundError',
              message: 'Check base-images-x not found',
            },
            response: { statusCode: 404 },
          },
          404,
        ),
      ).fetchImpl,
    );
    expect(
      await screen.findByText(/Check base-images-x not found/),
    ).toBeInTheDocument();
    expect(screen.queryByText('Passed')).not.toBeInTheDocument();
  });
});
