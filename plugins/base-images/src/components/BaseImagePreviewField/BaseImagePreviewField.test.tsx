import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import { baseImagesApiRef } from '../../api';
import { mockApi } from '../../__testUtils__/fixtures';
import { BaseImagePreviewField } from './BaseImagePreviewField';

// rendering Material UI tables and menus is slow when the suite shares two busy cores
jest.setTimeout(30_000);

const selection = {
  runtime: 'python',
  version: '3.13',
  flavor: 'standard',
  runtimeImage: 'dhi.io/python:3.13-fips',
  builderImage: 'dhi.io/python:3.13-dev',
  debugImage: 'dhi.io/python:3.13-dev',
  variant: 'dhi-fips',
  edition: 'community',
  shellless: true,
  authRequired: true,
  loginRegistries: ['dhi.io'],
  requirements: [],
  frameworks: [
    { id: 'hipaa', source: 'system:default/patient-records', known: true },
  ],
  reasons: [
    'hipaa (from system:default/patient-records) requires a Docker Hardened Image + a FIPS-enabled image',
  ],
};

function renderField(api: ReturnType<typeof mockApi>, formData: object) {
  const onChange = jest.fn();
  const props: any = {
    onChange,
    uiSchema: { 'ui:options': { runtime: 'python' } },
    formContext: { formData },
    schema: {},
    idSchema: { $id: 'root' },
    formData: undefined,
    required: false,
    rawErrors: [],
  };
  return {
    onChange,
    rendered: renderInTestApp(
      <TestApiProvider apis={[[baseImagesApiRef, api]]}>
        <BaseImagePreviewField {...props} />
      </TestApiProvider>,
    ),
  };
}

describe('BaseImagePreviewField', () => {
  it('previews the image the policy will choose for the picked owner and system, and why', async () => {
    const api = mockApi({ preview: jest.fn(async () => selection as any) });
    const { onChange } = renderField(api, {
      owner: 'group:default/records-team',
      system: 'system:default/patient-records',
      version: '3.13',
    });
    expect(
      await screen.findByTestId('base-image-preview-image'),
    ).toHaveTextContent('dhi.io/python:3.13-fips');
    expect(screen.getByText('DHI FIPS')).toBeInTheDocument();
    expect(
      screen.getByText(
        /requires a Docker Hardened Image \+ a FIPS-enabled image/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/needs docker login dhi.io/)).toBeInTheDocument();
    expect(api.preview).toHaveBeenCalledWith({
      runtime: 'python',
      version: '3.13',
      owner: 'group:default/records-team',
      system: 'system:default/patient-records',
    });
    await waitFor(() =>
      expect(onChange).toHaveBeenCalledWith('dhi.io/python:3.13-fips'),
    );
  });

  it('shows why the policy cannot choose an image', async () => {
    const api = mockApi({
      preview: jest.fn(async () =>
        Promise.reject(
          new Error(
            'Cannot meet framework hipaa (from system:default/patient-records)',
          ),
        ),
      ),
    });
    renderField(api, {
      system: 'system:default/patient-records',
      version: '3.12',
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Cannot meet framework hipaa',
    );
  });
});
