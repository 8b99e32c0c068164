import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  ATTESTATION_STATUSES,
  AttestationStatus,
  OverviewResponse,
  OverviewRow,
} from '@internal/backstage-plugin-base-images-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { baseImagesApiRef, OverviewQuery } from '../../api';
import { mockApi, statusResponse } from '../../__testUtils__/fixtures';
import { FleetPage } from './FleetPage';

// rendering Material UI tables and menus is slow when the suite shares two busy cores
jest.setTimeout(30_000);

const row = (
  name: string,
  overrides: Partial<OverviewRow> = {},
): OverviewRow => ({
  ...statusResponse('verified'),
  entityRef: `component:default/${name}`,
  owner: 'group:default/records-team',
  ...overrides,
});

const drifted = row('patient-portal', {
  ...statusResponse('unsigned', {
    variant: 'slim',
    image: {
      ref: 'python:3.13-slim',
      registry: 'docker.io',
      repository: 'library/python',
      tag: '3.13-slim',
      discoveredFrom: 'Dockerfile:12',
    },
    policy: {
      frameworks: [
        { id: 'hipaa', source: 'system:default/patient-records', known: true },
      ],
      compliant: false,
      violations: ['x'],
      reasons: [],
      required: 'dhi.io/python:3.13-fips',
      evidence: [
        {
          framework: 'hipaa',
          predicateType: 'https://slsa.dev/provenance/',
          status: 'verified',
        },
        {
          framework: 'hipaa',
          predicateType: 'https://docker.com/dhi/fips/',
          status: 'missing',
        },
      ],
    },
  }),
  entityRef: 'component:default/patient-portal',
  owner: 'group:default/records-team',
});

const verified = row('records-api');
verified.attestation.figures = {
  packages: 212,
  vulnerabilities: { total: 3 },
  sizeBytes: 45 * 1024 * 1024,
};

const summary: OverviewResponse['summary'] = {
  total: 1234,
  byStatus: {
    verified: 1000,
    incomplete: 20,
    unsigned: 200,
    invalid: 4,
    unavailable: 6,
    'not-checked': 4,
  },
  byVerdict: { compliant: 1100, drift: 130, error: 4 },
  byOwner: [
    {
      owner: 'group:default/records-team',
      total: 600,
      drift: 100,
      byStatus: { verified: 500, unsigned: 100 },
    },
    {
      owner: 'group:default/web-team',
      total: 634,
      drift: 30,
      byStatus: { verified: 500, unsigned: 134 },
    },
  ],
};

async function renderPage(
  getOverview = jest.fn(
    async (_query?: OverviewQuery): Promise<OverviewResponse> => ({
      items: [drifted, verified],
      totalCount: 1234,
      summary,
    }),
  ),
  route = '/base-images',
) {
  const api = mockApi({ getOverview });
  await renderInTestApp(
    <TestApiProvider apis={[[baseImagesApiRef, api]]}>
      <FleetPage />
    </TestApiProvider>,
    {
      routeEntries: [route],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
  await screen.findByText('patient-portal');
  return getOverview;
}

const lastQuery = (getOverview: jest.Mock) =>
  getOverview.mock.calls[getOverview.mock.calls.length - 1][0];

async function choose(label: string, option: string) {
  // the filter's select, not a column header or a count of the same name
  const select = screen
    .getAllByRole('button', { name: new RegExp(`^${label}`) })
    .find(button => button.getAttribute('aria-haspopup') === 'listbox');
  await userEvent.click(select!);
  await userEvent.click(within(screen.getByRole('listbox')).getByText(option));
}

describe('FleetPage', () => {
  it('asks for the first page only, and shows the summary of the whole fleet above it', async () => {
    const getOverview = await renderPage();
    expect(getOverview).toHaveBeenCalledTimes(1);
    expect(getOverview).toHaveBeenCalledWith({ limit: 20, offset: 0 });
    const counts = within(screen.getByTestId('fleet-summary'));
    expect(counts.getByText('1234 components')).toBeInTheDocument();
    expect(
      counts.getByRole('button', { name: 'Invalid: 4' }),
    ).toBeInTheDocument();
    expect(
      counts.getByRole('button', { name: 'Drift: 130' }),
    ).toBeInTheDocument();
    expect(
      counts.getByRole('button', { name: 'records-team (100 drift): 600' }),
    ).toBeInTheDocument();
    // the table knows there are more pages than the one it holds
    expect(screen.getAllByText('1-20 of 1234').length).toBeGreaterThan(0);
  });

  it('shows each row with its image, where it was found, verdict, status, evidence and figures', async () => {
    await renderPage();
    expect(screen.getByText('python:3.13-slim')).toBeInTheDocument();
    expect(screen.getByText('from Dockerfile:12')).toBeInTheDocument();
    expect(
      screen.getByText('Drift: needs dhi.io/python:3.13-fips'),
    ).toBeInTheDocument();
    expect(screen.getByText('1 of 2 verified')).toBeInTheDocument();
    expect(
      screen.getByText('212 packages · 3 vulnerabilities · 45 MB'),
    ).toBeInTheDocument();
    expect(screen.getAllByText('records-team').length).toBeGreaterThan(0);
  });

  it('filters on the server when a count is clicked, and clears it on a second click', async () => {
    const getOverview = await renderPage();
    await userEvent.click(screen.getByRole('button', { name: 'Invalid: 4' }));
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({
        status: 'invalid',
        limit: 20,
        offset: 0,
      }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Drift: 130' }));
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({
        status: 'invalid',
        verdict: 'drift',
        limit: 20,
        offset: 0,
      }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'web-team (30 drift): 634' }),
    );
    await waitFor(() =>
      expect(lastQuery(getOverview)).toMatchObject({
        owner: 'group:default/web-team',
      }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Invalid: 4' }));
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({
        verdict: 'drift',
        owner: 'group:default/web-team',
        limit: 20,
        offset: 0,
      }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Clear filters' }),
    );
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({ limit: 20, offset: 0 }),
    );
  });

  it('filters by the selects and the search box', async () => {
    const getOverview = await renderPage();
    await choose('Variant', 'DHI FIPS');
    await waitFor(() =>
      expect(lastQuery(getOverview)).toMatchObject({ variant: 'dhi-fips' }),
    );
    await choose('Framework', 'hipaa');
    await waitFor(() =>
      expect(lastQuery(getOverview)).toMatchObject({ framework: 'hipaa' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Search components' }),
      'portal',
    );
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({
        variant: 'dhi-fips',
        framework: 'hipaa',
        q: 'portal',
        limit: 20,
        offset: 0,
      }),
    );
  });

  it('asks for the next page from the server', async () => {
    const getOverview = await renderPage();
    await userEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(lastQuery(getOverview)).toEqual({ limit: 20, offset: 20 }),
    );
    expect(
      (await screen.findAllByText('21-40 of 1234')).length,
    ).toBeGreaterThan(0);
  });

  it('takes its filters and page from the URL', async () => {
    const getOverview = await renderPage(
      undefined,
      '/base-images?status=unsigned&owner=group%3Adefault%2Frecords-team&page=2&pageSize=50',
    );
    expect(getOverview).toHaveBeenCalledWith({
      status: 'unsigned',
      owner: 'group:default/records-team',
      limit: 50,
      offset: 100,
    });
    expect(
      screen.getByRole('button', { name: 'Unsigned: 200' }),
    ).toHaveAttribute('aria-pressed', 'true');
  });

  it('counts every status, even those with no component', async () => {
    await renderPage(
      jest.fn(async () => ({
        items: [drifted],
        totalCount: 1,
        summary: {
          total: 1,
          byStatus: Object.fromEntries(
            ATTESTATION_STATUSES.map(s => [s, s === 'unsigned' ? 1 : 0]),
          ) as Record<AttestationStatus, number>,
          byVerdict: { compliant: 0, drift: 1, error: 0 },
          byOwner: [],
        },
      })),
    );
    expect(
      screen.getByRole('button', { name: 'Verified: 0' }),
    ).toBeInTheDocument();
    expect(screen.getByText('1 component')).toBeInTheDocument();
  });

  it('shows an error panel when the overview fails', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            baseImagesApiRef,
            mockApi({
              getOverview: jest.fn(async () =>
                Promise.reject(new Error('overview failed')),
              ),
            }),
          ],
        ]}
      >
        <FleetPage />
      </TestApiProvider>,
    );
    expect(
      (await screen.findAllByText(/overview failed/)).length,
    ).toBeGreaterThan(0);
  });
});
