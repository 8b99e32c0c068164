import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { scaffolderPlugin } from '@backstage/plugin-scaffolder';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { ATTESTATION_STATUSES } from '@internal/backstage-plugin-base-images-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { baseImagesApiRef } from '../../api';
import { entity, mockApi, statusResponse } from '../../__testUtils__/fixtures';
import { BaseImageCard } from './BaseImageCard';

// rendering Material UI tables and menus is slow when the suite shares two busy cores
jest.setTimeout(30_000);

/**
 * The entity under another name: usePermission caches decisions by request
 * for the whole test file, so each permission test asks about its own entity.
 */
const named = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

/** Permission requests the card made, and the answer it gets. */
const permissionRequests: EvaluatePermissionRequest[] = [];
let refreshDecision: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
beforeEach(() => {
  permissionRequests.length = 0;
  refreshDecision = AuthorizeResult.ALLOW;
});
const permissionApi = mockApis.permission({
  authorize: request => {
    permissionRequests.push(request);
    return refreshDecision;
  },
});

function renderCard(api = mockApi(), subject = entity) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [baseImagesApiRef, api],
        [permissionApiRef, permissionApi],
      ]}
    >
      <EntityProvider entity={subject}>
        <BaseImageCard />
      </EntityProvider>
    </TestApiProvider>,
  );
}

/** The status label (icon + words), not the table's "Verified" column. */
const STATUS = 'span[aria-label^="Status"]';

const WORDS = {
  verified: 'Verified',
  incomplete: 'Incomplete',
  unsigned: 'Unsigned',
  invalid: 'Invalid',
  unavailable: 'Unavailable',
  'not-checked': 'Not checked',
};

describe('BaseImageCard', () => {
  it.each(ATTESTATION_STATUSES)(
    'shows the %s status with an icon and words',
    async status => {
      await renderCard(
        mockApi({
          getEntityStatus: jest.fn(async () => statusResponse(status)),
        }),
      );
      expect(
        await screen.findByText(WORDS[status], { selector: STATUS }),
      ).toBeInTheDocument();
      expect(
        screen.getByText(new RegExp(`${status} message`)),
      ).toBeInTheDocument();
    },
  );

  it('shows the image, registry, tag, short digest, variant, frameworks and signatures', async () => {
    await renderCard();
    expect(await screen.findByTestId('base-image-ref')).toHaveTextContent(
      'dhi.io/python:3.13-fips',
    );
    expect(screen.getByText('dhi.io')).toBeInTheDocument();
    expect(screen.getByText('3.13-fips')).toBeInTheDocument();
    expect(screen.getByText('abababababab')).toBeInTheDocument();
    expect(screen.getByText('DHI FIPS')).toBeInTheDocument();
    expect(
      screen.getByText('hipaa (from system:default/patient-records)'),
    ).toBeInTheDocument();
    expect(screen.getByText('Compliant')).toBeInTheDocument();
    expect(
      screen.getByText('https://slsa.dev/provenance/v1'),
    ).toBeInTheDocument();
    expect(screen.getByText('no: unsigned (buildkit)')).toBeInTheDocument();
    expect(screen.getAllByText('118ba556')).toHaveLength(2);
    expect(screen.getByText('2 min ago')).toBeInTheDocument();
  });

  it('shows drift plainly, with the required image', async () => {
    const drifted = statusResponse('unsigned', {
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
        violations: [
          'hipaa (from system:default/patient-records) requires a FIPS-enabled (-fips) image',
        ],
        reasons: [],
        required: 'dhi.io/python:3.13-fips',
      },
    });
    await renderCard(
      mockApi({ getEntityStatus: jest.fn(async () => drifted) }),
    );
    expect(
      await screen.findByText('Drift: this image does not meet its compliance'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'hipaa (from system:default/patient-records) requires a FIPS-enabled (-fips) image',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('dhi.io/python:3.13-fips')).toBeInTheDocument();
    expect(screen.getByText('slim')).toBeInTheDocument();
  });

  it('shows a policy error', async () => {
    const broken = statusResponse('verified', {
      policy: {
        frameworks: [],
        compliant: false,
        violations: [],
        reasons: [],
        error: "Compliance framework 'fedramp' has no policy",
      },
    });
    await renderCard(mockApi({ getEntityStatus: jest.fn(async () => broken) }));
    expect(
      await screen.findByText("Compliance framework 'fedramp' has no policy"),
    ).toBeInTheDocument();
  });

  it('keeps the last known result visible when unavailable', async () => {
    const unavailable = statusResponse('unavailable', {});
    unavailable.attestation.lastKnown = {
      status: 'verified',
      checkedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
      ageSeconds: 10800,
    };
    await renderCard(
      mockApi({ getEntityStatus: jest.fn(async () => unavailable) }),
    );
    expect(
      await screen.findByText('Last known result: Verified, 3 h ago'),
    ).toBeInTheDocument();
  });

  it('shows progress while loading', async () => {
    await renderCard(
      mockApi({ getEntityStatus: jest.fn(() => new Promise(() => {})) }),
    );
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it('shows an error panel when the backend fails', async () => {
    await renderCard(
      mockApi({
        getEntityStatus: jest.fn(async () =>
          Promise.reject(new Error('backend exploded')),
        ),
      }),
    );
    expect(
      (await screen.findAllByText(/backend exploded/)).length,
    ).toBeGreaterThan(0);
  });

  it('explains what to do when the backend finds no base image for the component', async () => {
    const api = mockApi({
      getEntityStatus: jest.fn(async () => ({
        ...statusResponse('not-checked'),
        image: undefined,
        variant: undefined,
      })),
    });
    await renderCard(api, {
      ...entity,
      metadata: { name: 'bare', namespace: 'default' },
    });
    expect(
      await screen.findByText(/No base image recorded/),
    ).toBeInTheDocument();
    // components without the annotation are asked about: the Dockerfile may say
    expect(api.getEntityStatus).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'bare',
    });
    expect(
      screen.queryByRole('button', { name: 'Re-check base image' }),
    ).not.toBeInTheDocument();
  });

  it('shows a base image discovered from the Dockerfile of a component without the annotation', async () => {
    const api = mockApi({
      getEntityStatus: jest.fn(async () =>
        statusResponse('verified', {
          image: {
            ref: 'dhi.io/python:3.13-fips',
            registry: 'dhi.io',
            repository: 'python',
            tag: '3.13-fips',
            discoveredFrom: 'Dockerfile:12',
          },
        }),
      ),
    });
    await renderCard(api, {
      ...entity,
      metadata: { name: 'unannotated', namespace: 'default' },
    });
    expect(
      await screen.findByText('dhi.io/python:3.13-fips', {
        selector: '[data-testid="base-image-ref"]',
      }),
    ).toBeInTheDocument();
    expect(screen.getByText(/Dockerfile:12/)).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Re-check base image' }),
    ).toBeInTheDocument();
  });

  it('re-checks on refresh and shows the new result', async () => {
    const api = mockApi({
      getEntityStatus: jest.fn(async () => statusResponse('verified')),
      refreshEntityStatus: jest.fn(async () => statusResponse('invalid')),
    });
    await renderCard(api);
    expect(
      await screen.findByText('Verified', { selector: STATUS }),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Re-check base image' }),
    );
    expect(
      await screen.findByText('Invalid', { selector: STATUS }),
    ).toBeInTheDocument();
    expect(api.refreshEntityStatus).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'patient-portal',
    });
  });

  it('asks for the refresh permission on this entity', async () => {
    await renderCard(mockApi(), named('allowed-service'));
    await screen.findByText('Verified', { selector: STATUS });
    expect(permissionRequests).toEqual([
      {
        permission: expect.objectContaining({
          name: 'base-images.entity.refresh',
        }),
        resourceRef: 'component:default/allowed-service',
      },
    ]);
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Re-check base image' }),
      ).toBeEnabled(),
    );
  });

  it('disables refresh, saying why, without the permission', async () => {
    refreshDecision = AuthorizeResult.DENY;
    await renderCard(mockApi(), named('denied-service'));
    await screen.findByText('Verified', { selector: STATUS });
    const button = screen.getByRole('button', { name: 'Re-check base image' });
    await waitFor(() => expect(button).toBeDisabled());
    await userEvent.hover(button.parentElement!);
    expect(
      await screen.findByText(
        'Only base-image admins may force a re-check; the status is re-checked on a schedule',
      ),
    ).toBeInTheDocument();
  });

  it('shows a failed refresh as an error', async () => {
    const api = mockApi({
      refreshEntityStatus: jest.fn(async () =>
        Promise.reject(new Error('refresh failed')),
      ),
    });
    await renderCard(api);
    await screen.findByText('Verified', { selector: STATUS });
    await userEvent.click(
      screen.getByRole('button', { name: 'Re-check base image' }),
    );
    await waitFor(() =>
      expect(screen.getAllByText(/refresh failed/).length).toBeGreaterThan(0),
    );
  });
});

describe('BaseImageCard: discovery, outdated pins, findings and the way out of drift', () => {
  const PINNED = `sha256:${'ab'.repeat(32)}`;
  const CURRENT = `sha256:${'cd'.repeat(32)}`;

  const drifted = statusResponse('unsigned', {
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
      violations: ['hipaa requires a FIPS-enabled (-fips) image'],
      reasons: [],
      required: 'dhi.io/python:3.13-fips',
    },
  });

  function renderStatus(
    status: ReturnType<typeof statusResponse>,
    mountedRoutes?: Record<string, any>,
  ) {
    return renderInTestApp(
      <TestApiProvider
        apis={[
          [
            baseImagesApiRef,
            mockApi({ getEntityStatus: jest.fn(async () => status) }),
          ],
          [permissionApiRef, permissionApi],
        ]}
      >
        <EntityProvider entity={entity}>
          <BaseImageCard />
        </EntityProvider>
      </TestApiProvider>,
      { mountedRoutes },
    );
  }

  /** The drift row's button: a link (Backstage's LinkButton) styled as a button. */
  const moveLink = async () => {
    const button = await screen.findByRole('button', {
      name: 'Move to dhi.io/python:3.13-fips',
    });
    expect(button.tagName).toBe('A');
    return button;
  };
  const formDataOf = (href: string) =>
    JSON.parse(new URL(href, 'http://portal').searchParams.get('formData')!);

  it('says where a discovered image was read', async () => {
    await renderStatus(drifted);
    expect(await screen.findByTestId('base-image-source')).toHaveTextContent(
      'Read from Dockerfile:12 (the final stage); this service has no base-image/ref annotation',
    );
  });

  it('says a declared image comes from its annotation', async () => {
    await renderStatus(statusResponse('verified'));
    expect(await screen.findByTestId('base-image-source')).toHaveTextContent(
      'Declared by the base-image/ref annotation',
    );
  });

  it('shows an outdated pin with its age, and every finding', async () => {
    const outdated = statusResponse('verified', {
      image: {
        ref: `dhi.io/python:3.13-fips@${PINNED}`,
        registry: 'dhi.io',
        repository: 'python',
        tag: '3.13-fips',
        digest: PINNED,
        outdated: {
          pinnedDigest: PINNED,
          currentDigest: CURRENT,
          pinnedCreatedAt: new Date(Date.now() - 42 * 86_400_000).toISOString(),
        },
      },
      findings: [
        {
          kind: 'outdated',
          message: 'dhi.io/python:3.13-fips now points at cdcdcdcdcdcd',
        },
        {
          kind: 'declared-differs',
          message:
            "'base-image/ref' says dhi.io/python:3.13-fips, but the final stage of Dockerfile (line 3) starts FROM python:3.13-slim",
        },
      ],
    });
    await renderStatus(outdated);
    expect(
      await screen.findByText(
        'Outdated: tag 3.13-fips now points at cdcdcdcdcdcd; the pinned image was built 42 days ago',
      ),
    ).toBeInTheDocument();
    const findings = within(screen.getByRole('list', { name: 'Findings' }));
    expect(findings.getAllByRole('listitem').map(li => li.textContent)).toEqual(
      outdated.findings!.map(f => f.message),
    );
  });

  it('shows the findings of a service whose Dockerfile names no image', async () => {
    await renderStatus(
      statusResponse('not-checked', {
        image: undefined,
        findings: [
          {
            kind: 'dockerfile-unreadable',
            message: 'Dockerfile line 2: unknown instruction "FROMM"',
          },
        ],
      }),
    );
    expect(
      await screen.findByText('Dockerfile line 2: unknown instruction "FROMM"'),
    ).toBeInTheDocument();
  });

  it("opens update-base-image prefilled for the entity, through the scaffolder's route", async () => {
    await renderStatus(drifted, { '/scaffold': scaffolderPlugin.routes.root });
    const href = (await moveLink()).getAttribute('href')!;
    expect(href).toMatch(
      /^\/scaffold\/templates\/default\/update-base-image\?/,
    );
    expect(formDataOf(href)).toEqual({
      entity: 'component:default/patient-portal',
    });
  });

  it('links to /create when the scaffolder route is not mounted', async () => {
    await renderStatus(drifted);
    const href = (await moveLink()).getAttribute('href')!;
    expect(href).toMatch(/^\/create\/templates\/default\/update-base-image\?/);
    expect(formDataOf(href)).toEqual({
      entity: 'component:default/patient-portal',
    });
  });

  it('offers no move when the image is compliant', async () => {
    await renderStatus(statusResponse('verified'));
    await screen.findByText('Compliant');
    expect(screen.queryByRole('button', { name: /^Move to/ })).toBeNull();
  });

  it('offers no move when the policy cannot judge the image', async () => {
    await renderStatus({
      ...drifted,
      policy: { ...drifted.policy, error: 'Unknown framework fedramp' },
    });
    await screen.findByText('Unknown framework fedramp');
    expect(screen.queryByRole('button', { name: /^Move to/ })).toBeNull();
  });
});

describe('BaseImageCard: compliance evidence and the figures of the attestations', () => {
  const compliantPolicy = statusResponse('verified').policy;

  it('shows, per framework, which attestation proves it: verified, present but not verified, or missing', async () => {
    const status = statusResponse('verified', {
      policy: {
        ...compliantPolicy,
        evidence: [
          {
            framework: 'hipaa',
            predicateType: 'https://slsa.dev/verification_summary/',
            status: 'verified',
            provenBy: 'https://slsa.dev/verification_summary/v1',
          },
          {
            framework: 'hipaa',
            predicateType: 'https://docker.com/dhi/fips/',
            status: 'missing',
          },
          {
            framework: 'fedramp',
            predicateType: 'https://docker.com/dhi/stig/',
            status: 'unverified',
          },
        ],
      },
    });
    await renderCard(mockApi({ getEntityStatus: jest.fn(async () => status) }));
    const table = await screen.findByRole('table', {
      name: 'Compliance evidence',
    });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map(row => row.textContent);
    expect(rows).toEqual([
      'hipaaSLSA verification summaryhttps://slsa.dev/verification_summary/v1Verified',
      'hipaaFIPS attestationhttps://docker.com/dhi/fips/Missing',
      'fedrampSTIG scanhttps://docker.com/dhi/stig/Present, not verified',
    ]);
  });

  it('has no evidence section when no framework asks for any', async () => {
    await renderCard(
      mockApi({
        getEntityStatus: jest.fn(async () =>
          statusResponse('verified', {
            policy: { ...compliantPolicy, evidence: [] },
          }),
        ),
      }),
    );
    await screen.findByText('Compliant');
    expect(
      screen.queryByRole('table', { name: 'Compliance evidence' }),
    ).toBeNull();
  });

  it("shows the seed's figures for a DHI: packages, vulnerabilities after VEX, size and build time", async () => {
    const status = statusResponse('verified');
    status.attestation.figures = {
      packages: 80,
      vulnerabilities: {
        total: 2,
        critical: 0,
        high: 1,
        medium: 0,
        low: 1,
        suppressedByVex: 3,
      },
      sizeBytes: 41_200_000,
      createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    };
    await renderCard(mockApi({ getEntityStatus: jest.fn(async () => status) }));
    expect(await screen.findByTestId('figure-packages')).toHaveTextContent(
      '80 (SBOM)',
    );
    expect(screen.getByTestId('figure-vulnerabilities')).toHaveTextContent(
      '2 known after VEX (1 high, 1 low); 3 not applicable per VEX',
    );
    expect(screen.getByTestId('figure-size')).toHaveTextContent(
      '41.2 MB compressed, built 3 days ago',
    );
  });

  it("shows a slim image's figures, its unsigned SBOM said to be nobody's word", async () => {
    const status = statusResponse('unsigned', { variant: 'slim' });
    status.attestation.figures = {
      packages: 612,
      unsignedSbom: true,
      sizeBytes: 412_000_000,
    };
    await renderCard(mockApi({ getEntityStatus: jest.fn(async () => status) }));
    expect(await screen.findByTestId('figure-packages')).toHaveTextContent(
      '612 (SBOM, unsigned: nobody vouches for it)',
    );
    expect(screen.getByTestId('figure-size')).toHaveTextContent(
      '412 MB compressed',
    );
    expect(screen.queryByTestId('figure-vulnerabilities')).toBeNull();
  });
});
