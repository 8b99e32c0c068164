import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  AttestationReport,
  ImageReference,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { DiscoveryResult } from '../discovery/DiscoveryStore';
import { AttestationService } from './AttestationService';
import { EntityStatusService } from './EntityStatusService';

const PINNED = `sha256:${'a'.repeat(64)}`;
const CURRENT = `sha256:${'b'.repeat(64)}`;
const NOW = Date.parse('2026-12-01T00:00:00Z');

const component = (annotations: Record<string, string> = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'svc', namespace: 'default', annotations },
  spec: { type: 'service', owner: 'team', lifecycle: 'production' },
});

const found = (image: string, line = 4): DiscoveryResult => ({
  kind: 'found',
  file: 'Dockerfile',
  image,
  line,
});

function setup(
  options: {
    report?: Partial<AttestationReport>;
    tagPointsAt?: { digest: string } | { message: string };
    discovery?: DiscoveryResult;
  } = {},
) {
  const attestations: jest.Mocked<AttestationService> = {
    status: jest.fn(async (_image: ImageReference) => ({
      report: {
        status: 'verified' as const,
        checkedAt: new Date(NOW).toISOString(),
        message: 'verified by test',
        signatures: [],
        attestations: [],
        ...options.report,
      },
      digest: PINNED,
    })),
    resolveDigest: jest.fn(
      async (_image: ImageReference) =>
        options.tagPointsAt ?? { digest: PINNED },
    ),
  };
  const lookup = jest.fn(
    async () =>
      options.discovery ?? {
        kind: 'absent' as const,
        message: 'no Dockerfile',
      },
  );
  const service = new EntityStatusService({
    config: readBaseImagesConfig(
      new ConfigReader({ baseImages: { registries: [{ host: 'dhi.io' }] } }),
    ),
    attestations,
    discovery: { lookup },
    now: () => NOW,
  });
  const statusOf = (entity: Entity) =>
    service.statusOf(entity, async () => undefined);
  return { attestations, lookup, statusOf };
}

describe('EntityStatusService', () => {
  it("takes a component's base image from its Dockerfile when it declares none", async () => {
    const { statusOf, attestations } = setup({
      discovery: found('dhi.io/python:3.13'),
    });
    const response = await statusOf(component());
    expect(response.image).toEqual({
      ref: 'dhi.io/python:3.13',
      registry: 'dhi.io',
      repository: 'python',
      tag: '3.13',
      digest: PINNED,
      discoveredFrom: 'Dockerfile:4',
    });
    expect(response.variant).toBe('dhi');
    expect(response.policy.compliant).toBe(true);
    expect(response.attestation.status).toBe('verified');
    expect(response.findings).toBeUndefined();
    expect(attestations.status).toHaveBeenCalledWith(
      expect.objectContaining({ registry: 'dhi.io', repository: 'python' }),
      { force: undefined },
    );
  });

  it('lets a declared image win, and reports a Dockerfile that disagrees', async () => {
    const { statusOf } = setup({ discovery: found('python:3.13-slim', 7) });
    const response = await statusOf(
      component({ 'base-image/ref': 'dhi.io/python:3.13' }),
    );
    expect(response.image?.ref).toBe('dhi.io/python:3.13');
    expect(response.image?.discoveredFrom).toBeUndefined();
    expect(response.findings).toEqual([
      {
        kind: 'declared-differs',
        message:
          "'base-image/ref' says dhi.io/python:3.13, but the final stage of Dockerfile (line 7) starts FROM python:3.13-slim; the annotation is what is checked here. Make them agree.",
      },
    ]);
  });

  it.each([
    [
      'the same tag, pinned on one side only',
      'dhi.io/python:3.13',
      `dhi.io/python:3.13@${PINNED}`,
      false,
    ],
    [
      'the same digest under another tag',
      `dhi.io/python:3.13@${PINNED}`,
      `dhi.io/python:3.13.1@${PINNED}`,
      false,
    ],
    [
      'Docker Hub spelled two ways',
      'python:3.13-slim',
      'docker.io/library/python:3.13-slim',
      false,
    ],
    ['no tag and latest', 'dhi.io/python', 'dhi.io/python:latest', false],
    [
      'another digest',
      `dhi.io/python:3.13@${PINNED}`,
      `dhi.io/python:3.13@${CURRENT}`,
      true,
    ],
    ['another tag', 'dhi.io/python:3.13', 'dhi.io/python:3.13-fips', true],
    ['another registry', 'dhi.io/python:3.13', 'python:3.13', true],
  ])(
    'compares declared and discovered: %s',
    async (_name, declared, discovered, differs) => {
      const { statusOf } = setup({ discovery: found(discovered) });
      const response = await statusOf(
        component({ 'base-image/ref': declared }),
      );
      expect(
        response.findings?.some(f => f.kind === 'declared-differs') ?? false,
      ).toBe(differs);
    },
  );

  it('makes an unreadable Dockerfile a finding, not an error', async () => {
    const unreadable: DiscoveryResult = {
      kind: 'unreadable',
      file: 'Dockerfile',
      line: 2,
      message: 'Dockerfile line 2: unknown instruction "FROMM"',
    };
    const { statusOf } = setup({ discovery: unreadable });
    const bare = await statusOf(component());
    expect(bare.image).toBeUndefined();
    expect(bare.attestation).toMatchObject({
      status: 'not-checked',
      message:
        'no \'base-image/ref\' annotation, and its Dockerfile names no base image: Dockerfile line 2: unknown instruction "FROMM"',
    });
    expect(bare.findings).toEqual([
      { kind: 'dockerfile-unreadable', message: unreadable.message },
    ]);
    // a declared image is still checked; the finding stays
    const declared = await statusOf(
      component({ 'base-image/ref': 'dhi.io/python:3.13' }),
    );
    expect(declared.attestation.status).toBe('verified');
    expect(declared.findings).toEqual(bare.findings);
  });

  it('says there is no Dockerfile when a component has neither', async () => {
    const { statusOf } = setup();
    expect((await statusOf(component())).attestation.message).toBe(
      "no 'base-image/ref' annotation, and no Dockerfile",
    );
  });

  it('does not look for a Dockerfile for other kinds', async () => {
    const { statusOf, lookup } = setup();
    await statusOf({
      ...component(),
      kind: 'Resource',
      spec: { type: 'x', owner: 'team' },
    });
    expect(lookup).not.toHaveBeenCalled();
  });

  it("reports a pin the tag has moved from, with the pinned image's age", async () => {
    const { statusOf, attestations } = setup({
      tagPointsAt: { digest: CURRENT },
      report: {
        figures: { createdAt: new Date(NOW - 42 * 86_400_000).toISOString() },
      },
    });
    const response = await statusOf(
      component({ 'base-image/ref': `dhi.io/python:3.13@${PINNED}` }),
    );
    expect(attestations.resolveDigest).toHaveBeenCalledWith(
      expect.objectContaining({ tag: '3.13', digest: undefined }),
    );
    expect(response.image?.outdated).toEqual({
      pinnedDigest: PINNED,
      currentDigest: CURRENT,
      pinnedCreatedAt: new Date(NOW - 42 * 86_400_000).toISOString(),
    });
    expect(response.findings).toEqual([
      {
        kind: 'outdated',
        message:
          "dhi.io/python:3.13 now points at bbbbbbbbbbbb, but this service is pinned to aaaaaaaaaaaa, an image built 42 days ago; move the pin to the current digest to get the tag's fixes.",
      },
    ]);
  });

  it.each([
    [
      'the tag still points at the pin',
      `dhi.io/python:3.13@${PINNED}`,
      { digest: PINNED },
    ],
    [
      'the registry cannot say',
      `dhi.io/python:3.13@${PINNED}`,
      { message: 'registry down' },
    ],
    ['there is no tag to move', `dhi.io/python@${PINNED}`, { digest: CURRENT }],
    ['there is no pin', 'dhi.io/python:3.13', { digest: CURRENT }],
  ])('is not outdated when %s', async (_name, ref, tagPointsAt) => {
    const { statusOf } = setup({ tagPointsAt });
    const response = await statusOf(component({ 'base-image/ref': ref }));
    expect(response.image?.outdated).toBeUndefined();
    expect(response.findings).toBeUndefined();
  });

  it('gives the age of the pin in hours when it is recent, and none when unknown', async () => {
    const recent = setup({
      tagPointsAt: { digest: CURRENT },
      report: {
        figures: { createdAt: new Date(NOW - 5 * 3_600_000).toISOString() },
      },
    });
    const pinned = component({
      'base-image/ref': `dhi.io/python:3.13@${PINNED}`,
    });
    expect((await recent.statusOf(pinned)).findings?.[0].message).toMatch(
      /an image built 5 hours ago;/,
    );
    const unknown = setup({ tagPointsAt: { digest: CURRENT } });
    expect((await unknown.statusOf(pinned)).findings?.[0].message).toMatch(
      /pinned to aaaaaaaaaaaa; move the pin/,
    );
  });
});
