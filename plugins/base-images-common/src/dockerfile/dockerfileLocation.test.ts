import { Entity } from '@backstage/catalog-model';
import {
  dockerfileLocation,
  InvalidDockerfilePathError,
} from './dockerfileLocation';

const entity = (location?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'svc',
    annotations: location
      ? { 'backstage.io/managed-by-location': location }
      : {},
  },
  spec: {},
});

describe('dockerfileLocation', () => {
  it('puts the Dockerfile beside a file location', () => {
    expect(
      dockerfileLocation(entity('file:/srv/repos/svc/catalog-info.yaml')),
    ).toEqual({
      type: 'file',
      path: '/srv/repos/svc/Dockerfile',
      catalogInfoPath: '/srv/repos/svc/catalog-info.yaml',
    });
    expect(
      dockerfileLocation(
        entity('file:/srv/repos/svc/catalog-info.yaml'),
        './docker/Dockerfile.prod',
      ),
    ).toMatchObject({ path: '/srv/repos/svc/docker/Dockerfile.prod' });
    expect(
      dockerfileLocation(entity('file:C:\\repos\\svc\\catalog-info.yaml')),
    ).toMatchObject({ path: 'C:\\repos\\svc\\Dockerfile' });
  });

  it.each([
    [
      'https://github.com/acme/svc/blob/main/catalog-info.yaml',
      'https://github.com/acme/svc/blob/main/Dockerfile',
    ],
    [
      'https://github.com/acme/mono/blob/main/services/svc/catalog-info.yaml',
      'https://github.com/acme/mono/blob/main/services/svc/Dockerfile',
    ],
    [
      'https://gitlab.example.com/g/svc/-/blob/main/catalog-info.yaml?ref_type=heads',
      'https://gitlab.example.com/g/svc/-/blob/main/Dockerfile?ref_type=heads',
    ],
  ])('resolves ./Dockerfile against the url location %s', (target, url) => {
    expect(dockerfileLocation(entity(`url:${target}`))).toEqual({
      type: 'url',
      url,
      target,
      relativePath: './Dockerfile',
    });
  });

  it.each([
    ['no location annotation', undefined],
    ['a relative file target', 'file:./catalog-info.yaml'],
    ['another location type', 'github:https://github.com/a/b'],
    ['a url that does not parse', 'url:not a url'],
    ['an annotation that is not a location ref', 'catalog-info.yaml'],
  ])('gives nothing for %s', (_name, location) => {
    expect(dockerfileLocation(entity(location))).toBeUndefined();
  });

  it.each([
    ['../Dockerfile', /has an empty, "\." or "\.\." segment, or is absolute/],
    ['docker/../../x', /"\.\." segment/],
    ['/etc/passwd', /or is absolute/],
    ['a//b', /empty/],
    ['docker\\Dockerfile', /has the segment "docker\\\\Dockerfile"/],
    ['Dockerfile?x=1', /has the segment/],
    ['Dockerfile#L1', /has the segment/],
    ['Docker file', /has the segment/],
    ['Dockerfile\n', /has the segment/],
    ['.hidden', /has the segment "\.hidden"/],
    ['', /is empty/],
    ['x'.repeat(257), /longer than 256/],
  ])('refuses the Dockerfile path %j', (dockerfilePath, message) => {
    const call = () =>
      dockerfileLocation(
        entity('url:https://github.com/a/b/blob/main/catalog-info.yaml'),
        dockerfilePath,
      );
    expect(call).toThrow(InvalidDockerfilePathError);
    expect(call).toThrow(message);
  });
});
