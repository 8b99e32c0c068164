import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { baseImagesApiRef } from '../../api';
import { mockApi, statusResponse } from '../../__testUtils__/fixtures';
import { FleetPage } from './FleetPage';

// rendering Material UI tables and menus is slow when the suite shares two busy cores
jest.setTimeout(30_000);

const rows = [
  { ...statusResponse('verified'), entityRef: 'component:default/records-api' },
  {
    ...statusResponse('unsigned', {
      variant: 'slim',
      image: {
        ref: 'python:3.13-slim',
        registry: 'docker.io',
        repository: 'library/python',
        tag: '3.13-slim',
      },
      policy: {
        frameworks: [
          {
            id: 'hipaa',
            source: 'system:default/patient-records',
            known: true,
          },
        ],
        compliant: false,
        violations: ['x'],
        reasons: [],
        required: 'dhi.io/python:3.13-fips',
      },
    }),
    entityRef: 'component:default/patient-portal',
  },
  {
    ...statusResponse('invalid', {
      variant: 'dhi',
      policy: {
        frameworks: [
          { id: 'soc2', source: 'system:default/billing', known: true },
        ],
        compliant: true,
        violations: [],
        reasons: [],
      },
    }),
    entityRef: 'component:default/billing-worker',
  },
];

async function renderPage() {
  const api = mockApi({
    getOverview: jest.fn(async () => ({
      items: rows,
      totalCount: rows.length,
    })),
  });
  await renderInTestApp(
    <TestApiProvider apis={[[baseImagesApiRef, api]]}>
      <FleetPage />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return api;
}

async function choose(label: string, option: string) {
  // the filter selects come first; the table's sortable headers share their names
  await userEvent.click(
    screen.getAllByRole('button', { name: new RegExp(label) })[0],
  );
  await userEvent.click(within(screen.getByRole('listbox')).getByText(option));
}

describe('FleetPage', () => {
  it('lists every component with its image, variant, frameworks, verdict and status', async () => {
    await renderPage();
    expect(await screen.findByText('records-api')).toBeInTheDocument();
    expect(screen.getByText('patient-portal')).toBeInTheDocument();
    expect(
      screen.getByText('Drift: needs dhi.io/python:3.13-fips'),
    ).toBeInTheDocument();
    expect(screen.getByText('3 of 3 components')).toBeInTheDocument();
  });

  it('filters by status, variant and framework', async () => {
    await renderPage();
    await screen.findByText('records-api');
    await choose('Status', 'Invalid');
    expect(screen.getByText('1 of 3 components')).toBeInTheDocument();
    expect(screen.getByText('billing-worker')).toBeInTheDocument();
    expect(screen.queryByText('records-api')).not.toBeInTheDocument();

    await choose('Status', 'All');
    await choose('Variant', 'slim');
    expect(screen.getByText('1 of 3 components')).toBeInTheDocument();
    expect(screen.getByText('patient-portal')).toBeInTheDocument();

    await choose('Variant', 'All');
    await choose('Framework', 'soc2');
    expect(screen.getByText('billing-worker')).toBeInTheDocument();
    expect(screen.getByText('1 of 3 components')).toBeInTheDocument();
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
