import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { screen } from '@testing-library/react';
import { baseImagesApiRef } from './api';
import { baseImageEntityCard } from './alpha';
import { entity, mockApi, statusResponse } from './__testUtils__/fixtures';

// rendering Material UI tables and menus is slow when the suite shares two busy cores
jest.setTimeout(30_000);

describe('/alpha entity card extension', () => {
  it('renders the card on an entity page in the new frontend system', async () => {
    const api = mockApi({
      getEntityStatus: jest.fn(async () => statusResponse('verified')),
    });
    const tester = createExtensionTester(baseImageEntityCard, {
      apis: [[baseImagesApiRef, api]],
    });
    renderInTestApp(
      <EntityProvider entity={entity}>{tester.reactElement()}</EntityProvider>,
      { apis: [[baseImagesApiRef, api]] },
    );
    expect(await screen.findByText('Base image')).toBeInTheDocument();
    expect(await screen.findByTestId('base-image-ref')).toHaveTextContent(
      'dhi.io/python:3.13-fips',
    );
  });

  it('applies to components (the Dockerfile may name their image) and to entities with a base-image annotation', () => {
    const tester = createExtensionTester(baseImageEntityCard);
    const filter = tester.get(
      EntityCardBlueprint.dataRefs.filterFunction,
    ) as unknown as ((e: typeof entity) => boolean) | undefined;
    const expression =
      filter ??
      (() => {
        throw new Error('no filter function output');
      });
    expect(expression(entity)).toBe(true);
    expect(
      expression({
        ...entity,
        metadata: { name: 'bare', namespace: 'default' },
      }),
    ).toBe(true);
    expect(
      expression({
        ...entity,
        kind: 'API',
        metadata: { name: 'bare-api', namespace: 'default' },
      }),
    ).toBe(false);
    expect(
      expression({
        ...entity,
        kind: 'Resource',
        metadata: {
          name: 'image-resource',
          namespace: 'default',
          annotations: { 'base-image/ref': 'dhi.io/python:3.13' },
        },
      }),
    ).toBe(true);
  });
});
