import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { MAX_DOCKERFILE_LENGTH } from '@internal/backstage-plugin-base-images-common';
import { DockerfileReader, DockerfileSource } from './DockerfileReader';
import { fileLocationRoot, fileLocationRoots } from './fileLocationRoots';

const entity = (location: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'svc',
    annotations: { 'backstage.io/managed-by-location': location },
  },
  spec: {},
});

describe('fileLocationRoots', () => {
  it('covers the directory of each file location, up to the first glob segment', () => {
    const config = new ConfigReader({
      catalog: {
        locations: [
          { type: 'file', target: '/srv/examples/all.yaml' },
          { type: 'file', target: '/srv/repos/*/catalog-info.yaml' },
          { type: 'file', target: '/srv/mono/**/catalog-info.yaml' },
          { type: 'file', target: '/srv/{a,b}/catalog-info.yaml' },
          { type: 'file', target: '/srv/x/!(skip)/catalog-info.yaml' },
          { type: 'file', target: '/srv/plain (old)/catalog-info.yaml' },
          { type: 'file', target: 'relative/catalog-info.yaml' },
          { type: 'url', target: 'https://github.com/a/b/blob/main/x.yaml' },
        ],
      },
    });
    expect(fileLocationRoots(config)).toEqual([
      '/srv/examples',
      '/srv/repos',
      '/srv/mono',
      '/srv',
      '/srv/x',
      '/srv/plain (old)',
      path.resolve('relative'),
    ]);
    expect(fileLocationRoots(new ConfigReader({}))).toEqual([]);
    expect(fileLocationRoot('/*.yaml')).toBe('/');
  });
});

describe('DockerfileReader', () => {
  let work: string;
  let root: string;
  let reader: DockerfileReader;

  const source = (file: string): DockerfileSource => ({
    type: 'file',
    key: `file:${file}`,
    path: file,
    file: 'Dockerfile',
  });
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerfile-reader-'));
    root = path.join(work, 'repos');
    write(path.join(root, 'ok', 'Dockerfile'), 'FROM dhi.io/python:3.13\n');
    write(path.join(work, 'secret', 'Dockerfile'), 'FROM secret:1\n');
    write(path.join(work, 'repos-evil', 'Dockerfile'), 'FROM evil:1\n');
    // a Dockerfile that is a link to a file outside, and one inside
    fs.mkdirSync(path.join(root, 'file-link'));
    fs.symlinkSync(
      path.join(work, 'secret', 'Dockerfile'),
      path.join(root, 'file-link', 'Dockerfile'),
    );
    fs.mkdirSync(path.join(root, 'inner-link'));
    fs.symlinkSync(
      path.join(root, 'ok', 'Dockerfile'),
      path.join(root, 'inner-link', 'Dockerfile'),
    );
    // a repository directory that is a link out of the root
    fs.symlinkSync(path.join(work, 'secret'), path.join(root, 'dir-link'));
    fs.mkdirSync(path.join(root, 'fifo'));
    execFileSync('mkfifo', [path.join(root, 'fifo', 'Dockerfile')]);
    fs.mkdirSync(path.join(root, 'directory', 'Dockerfile'), {
      recursive: true,
    });
    write(
      path.join(root, 'huge', 'Dockerfile'),
      `FROM x\n${'#'.repeat(MAX_DOCKERFILE_LENGTH)}`,
    );
    reader = new DockerfileReader({
      urlReader: mockServices.urlReader.mock(),
      integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
      fileRoots: [root],
    });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('locates the Dockerfile beside catalog-info.yaml', () => {
    expect(
      reader.locate(
        entity(`file:${path.join(root, 'ok', 'catalog-info.yaml')}`),
      ),
    ).toEqual(source(path.join(root, 'ok', 'Dockerfile')));
    expect(
      reader.locate(
        entity(
          'url:https://gitlab.example.com/g/svc/-/blob/main/catalog-info.yaml',
        ),
      ),
    ).toEqual({
      type: 'url',
      key: 'url:https://gitlab.example.com/g/svc/-/blob/main/Dockerfile',
      url: 'https://gitlab.example.com/g/svc/-/blob/main/Dockerfile',
      file: 'Dockerfile',
    });
    expect(reader.locate(entity('github:https://github.com/a/b'))).toBe(
      undefined,
    );
  });

  it('reads a Dockerfile under a configured directory', async () => {
    expect(
      await reader.read(source(path.join(root, 'ok', 'Dockerfile'))),
    ).toEqual({ outcome: 'read', content: 'FROM dhi.io/python:3.13\n' });
    // a link that stays inside the directory is still a link: refused
    expect(
      await reader.read(source(path.join(root, 'inner-link', 'Dockerfile'))),
    ).toMatchObject({ outcome: 'failed', message: /is a symbolic link/ });
    expect(
      await reader.read(source(path.join(root, 'nothing', 'Dockerfile'))),
    ).toEqual({ outcome: 'missing' });
  });

  it.each([
    [
      'outside every configured directory',
      'secret/Dockerfile',
      /is not under a directory that a catalog\.locations entry of type file names/,
    ],
    [
      'in a sibling whose name starts like the root',
      'repos-evil/Dockerfile',
      /is not under a directory/,
    ],
    [
      'a symbolic link to a file outside',
      'repos/file-link/Dockerfile',
      /is a symbolic link; Dockerfiles are only read as regular files/,
    ],
    [
      'in a directory linked from outside',
      'repos/dir-link/Dockerfile',
      /leads outside .* through a symbolic link/,
    ],
    [
      'a FIFO, without hanging',
      'repos/fifo/Dockerfile',
      /is not a regular file/,
    ],
    ['a directory', 'repos/directory/Dockerfile', /is not a regular file/],
    [
      'larger than a Dockerfile can be',
      'repos/huge/Dockerfile',
      /is larger than 512 KiB/,
    ],
  ])('refuses a Dockerfile %s', async (_name, file, message) => {
    expect(await reader.read(source(path.join(work, file)))).toEqual({
      outcome: 'failed',
      message: expect.stringMatching(message),
    });
  });

  it('stops reading a url at the size limit', async () => {
    let chunksRead = 0;
    const urlReader = mockServices.urlReader.mock({
      readUrl: async () => ({
        buffer: async () => {
          throw new Error('the whole body must not be buffered');
        },
        stream: () => {
          return Readable.from(
            (function* chunks() {
              for (; chunksRead < 1000; chunksRead++)
                yield Buffer.alloc(64 * 1024, 35);
            })(),
          );
        },
      }),
    });
    const limited = new DockerfileReader({
      urlReader,
      integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
      fileRoots: [],
    });
    expect(
      await limited.read({
        type: 'url',
        key: 'url:https://example.com/Dockerfile',
        url: 'https://example.com/Dockerfile',
        file: 'Dockerfile',
      }),
    ).toEqual({
      outcome: 'failed',
      message:
        'https://example.com/Dockerfile is larger than 512 KiB, more than a Dockerfile needs; it was not read',
    });
    // 512 KiB is 8 chunks of 64 KiB: it stopped at the 9th, not at the 1000th
    expect(chunksRead).toBeLessThan(12);
  });
});
