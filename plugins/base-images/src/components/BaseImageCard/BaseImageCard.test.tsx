import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { ATTESTATION_STATUSES } from '@internal/backstage-plugin-base-images-common';
import { screen, waitFor } from '@testing-library/react';
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

  it('explains what to do when the entity has no base-image annotation', async () => {
    const api = mockApi();
    await renderCard(api, {
      ...entity,
      metadata: { name: 'bare', namespace: 'default' },
    });
    expect(
      await screen.findByText(/No base image recorded/),
    ).toBeInTheDocument();
    expect(api.getEntityStatus).not.toHaveBeenCalled();
    expect(
      screen.queryByRole('button', { name: 'Re-check base image' }),
    ).not.toBeInTheDocument();
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
