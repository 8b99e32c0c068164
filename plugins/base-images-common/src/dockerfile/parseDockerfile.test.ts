import {
  dockerfileBaseImage,
  DockerfileError,
  MAX_DOCKERFILE_LENGTH,
  parseDockerfile,
  replaceStageImages,
  rootStage,
} from './parseDockerfile';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const baseImage = (content: string) => dockerfileBaseImage(content);

function parseError(content: string): DockerfileError {
  try {
    parseDockerfile(content);
  } catch (error) {
    if (error instanceof DockerfileError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}

describe('parseDockerfile', () => {
  it('reads every stage with its line, name, image and exact image range', () => {
    const content = [
      '# syntax=docker/dockerfile:1',
      'FROM python:3.13-slim AS Builder',
      'RUN pip install x',
      '',
      'FROM builder AS debug',
      'FROM --platform=$BUILDPLATFORM dhi.io/python:3.13 AS production',
      'USER nonroot',
      '',
    ].join('\n');
    const { stages } = parseDockerfile(content);
    expect(
      stages.map(({ index, line, keyword, imageText, image, name }) => ({
        index,
        line,
        keyword,
        imageText,
        image,
        name,
      })),
    ).toEqual([
      {
        index: 0,
        line: 2,
        keyword: 'FROM',
        imageText: 'python:3.13-slim',
        image: 'python:3.13-slim',
        name: 'builder',
      },
      {
        index: 1,
        line: 5,
        keyword: 'FROM',
        imageText: 'builder',
        image: 'builder',
        name: 'debug',
      },
      {
        index: 2,
        line: 6,
        keyword: 'FROM',
        imageText: 'dhi.io/python:3.13',
        image: 'dhi.io/python:3.13',
        name: 'production',
      },
    ]);
    expect(stages[1].baseStage).toBe(0);
    expect(stages[0].baseStage).toBeUndefined();
    for (const stage of stages) {
      expect(content.slice(stage.imageRange.start, stage.imageRange.end)).toBe(
        stage.imageText,
      );
      expect(stage.problem).toBeUndefined();
    }
  });

  it('substitutes ARG defaults declared before the first FROM', () => {
    const { stages, args } = parseDockerfile(
      [
        'ARG REGISTRY=dhi.io',
        'ARG PYTHON_VERSION="3.13" VARIANT=-fips',
        'ARG IMAGE=${REGISTRY}/python',
        'ARG EMPTY=',
        'ARG UNSET',
        'FROM $IMAGE:${PYTHON_VERSION}${VARIANT} AS a',
        'FROM ${UNSET:-python}:${PYTHON_VERSION}-slim AS b',
        'FROM python:${EMPTY:-3.12}${UNSET-}-slim AS c',
        'FROM python:3${VARIANT:+.11}${UNSET:+-nope} AS d',
        'FROM \'python\':"$PYTHON_VERSION" AS e',
        'FROM python:\\$x AS f',
        '',
      ].join('\n'),
    );
    expect(stages.map(s => s.image)).toEqual([
      'dhi.io/python:3.13-fips',
      'python:3.13-slim',
      'python:3.12-slim',
      'python:3.11',
      'python:3.13',
      'python:$x',
    ]);
    expect(stages[5].problem).toMatchObject({ problem: 'invalid-image' });
    expect(Object.fromEntries(args)).toEqual({
      REGISTRY: 'dhi.io',
      PYTHON_VERSION: '3.13',
      VARIANT: '-fips',
      IMAGE: 'dhi.io/python',
      EMPTY: '',
      UNSET: undefined,
    });
  });

  it('ignores ARGs declared inside a stage for later FROMs', () => {
    const { stages } = parseDockerfile(
      'ARG V=3.12\nFROM python:$V-slim\nARG V=3.13\nFROM python:$V-slim\n',
    );
    expect(stages.map(s => s.image)).toEqual([
      'python:3.12-slim',
      'python:3.12-slim',
    ]);
  });

  it.each([
    [
      'an ARG without default',
      'ARG TAG\nFROM python:$TAG\n',
      /FROM python:\$TAG: ARG TAG has no default value, so the image depends on --build-arg TAG/,
    ],
    [
      'an undeclared variable',
      'FROM python:${TAG}\n',
      /\$TAG is not declared by an ARG before the first FROM/,
    ],
    [
      'a platform variable',
      'FROM python:3.13-${TARGETARCH}\n',
      /\$TARGETARCH depends on the build platform/,
    ],
    [
      'a platform variable with a default',
      'FROM python:3.13${TARGETARCH:+-x}\n',
      /\$TARGETARCH depends on the build platform/,
    ],
    [
      'an unsupported substitution',
      'ARG V=3.13.1\nFROM python:${V%.*}\n',
      /\$\{V%\.\.\.\} is not supported here/,
    ],
    [
      'an ARG whose default depends on another without default',
      'ARG A\nARG B=${A}-slim\nFROM python:$B\n',
      /ARG B has no default value/,
    ],
  ])('reports %s as unresolved, naming it', (_name, content, message) => {
    const { stages } = parseDockerfile(content);
    const stage = stages[stages.length - 1];
    expect(stage.image).toBeUndefined();
    expect(stage.problem?.problem).toBe('unresolved-arg');
    expect(stage.problem?.message).toMatch(message);
    expect(baseImage(content)).toMatchObject({
      ok: false,
      problem: 'unresolved-arg',
      line: stage.line,
    });
  });

  it('reads lower-case and mixed-case keywords, continuations and comments', () => {
    const content = [
      '# escape=\\',
      '# a comment: FROM evil:latest',
      'from python:3.13-slim as builder',
      'FRoM \\',
      '  # comment inside the instruction',
      '  dhi.io/pyth\\',
      'on:3.13 \\',
      '  AS final',
      '',
    ].join('\r\n');
    const { stages } = parseDockerfile(content);
    expect(stages.map(s => [s.keyword, s.image, s.name, s.line])).toEqual([
      ['from', 'python:3.13-slim', 'builder', 3],
      ['FRoM', 'dhi.io/python:3.13', 'final', 4],
    ]);
    expect(stages[1].imageText).toBe('dhi.io/pyth\\\r\non:3.13');
    expect(
      content.slice(stages[1].imageRange.start, stages[1].imageRange.end),
    ).toBe(stages[1].imageText);
  });

  it('follows the escape directive', () => {
    const { stages } = parseDockerfile(
      '# escape=`\nARG V=3.13\nFROM python:`$V-slim AS a\nFROM python:$V-slim\n',
    );
    expect(stages.map(s => s.image)).toEqual([
      'python:$V-slim',
      'python:3.13-slim',
    ]);
  });

  it('ignores FROM lines inside heredocs', () => {
    const { stages } = parseDockerfile(
      'FROM python:3.13-slim\nRUN <<EOF\nFROM evil:1\nEOF\nCOPY <<-X /f\n\tFROM evil:2\n\tX\n',
    );
    expect(stages.map(s => s.image)).toEqual(['python:3.13-slim']);
  });

  it('keeps digests and refuses malformed ones', () => {
    const { stages } = parseDockerfile(
      `FROM dhi.io/python:3.13@${DIGEST} AS a\nFROM python@${DIGEST} AS b\nFROM python:3@sha256:abc\n`,
    );
    expect(stages[0].image).toBe(`dhi.io/python:3.13@${DIGEST}`);
    expect(stages[1].image).toBe(`python@${DIGEST}`);
    expect(stages[2].problem).toMatchObject({
      problem: 'invalid-image',
      line: 3,
    });
    expect(stages[2].problem!.message).toMatch(
      /FROM python:3@sha256:abc: Invalid image reference .*digest "sha256:abc"/,
    );
  });

  it('matches stage names case-insensitively and only earlier stages', () => {
    const { stages } = parseDockerfile(
      'FROM python:3 AS Base\nFROM BASE AS one\nFROM later AS two\nFROM node:22 AS later\n',
    );
    expect(stages.map(s => s.baseStage)).toEqual([
      undefined,
      0,
      undefined,
      undefined,
    ]);
    // "later" is not yet a stage at line 3: Docker reads it as an image
    expect(stages[2].image).toBe('later');
  });

  it('follows a stage named through a build argument', () => {
    const parsed = parseDockerfile(
      'ARG BASE=builder\nFROM python:3 AS builder\nFROM $BASE\n',
    );
    expect(parsed.stages[1].baseStage).toBe(0);
  });

  it.each([
    [
      'binary content',
      'FROM x\n\u0000\u0001\u0002ELF',
      /control character U\+0000/,
    ],
    [
      'an unknown instruction',
      'FROM x\nFORM y\n',
      /line 2: unknown instruction "FORM"/,
    ],
    [
      'an instruction before the first FROM',
      'RUN echo\nFROM x\n',
      /line 1: RUN comes before the first FROM; only ARG may/,
    ],
    ['FROM without image', 'FROM\n', /line 1: FROM must be/],
    ['FROM with two words', 'FROM a b\n', /line 1: FROM must be/],
    ['FROM with AS but no name', 'FROM a AS\n', /FROM must be/],
    ['FROM with a word other than AS', 'FROM a IS b\n', /FROM must be/],
    [
      'FROM with another flag',
      'FROM --chown=1 x\n',
      /FROM has the flag --chown; it only takes --platform/,
    ],
    [
      'an invalid stage name',
      'FROM x AS 1st\n',
      /stage name "1st" must start with a letter/,
    ],
    [
      'a duplicate stage name',
      'FROM x AS a\nFROM y AS A\n',
      /line 2: stage name "a" is used twice/,
    ],
    [
      'an ARG with an open quote',
      'ARG V="3.13\nFROM x\n',
      /line 1: ARG V: a quote is not closed/,
    ],
    [
      'too much text',
      `FROM x\n${'#'.repeat(MAX_DOCKERFILE_LENGTH)}`,
      /characters long; at most 524288 are read/,
    ],
  ])('refuses %s as unparseable', (_name, content, message) => {
    const error = parseError(content);
    expect(error.finding.problem).toBe('unparseable');
    expect(error.message).toMatch(message);
    expect(baseImage(content)).toMatchObject({
      ok: false,
      problem: 'unparseable',
    });
  });

  it.each([
    ['empty text', ''],
    ['only comments', '# FROM python:3.13\n\n   # nothing\n'],
    ['only ARGs', 'ARG A=1\n'],
  ])('reports %s as having no FROM', (_name, content) => {
    expect(parseError(content).finding).toEqual({
      problem: 'no-from',
      message: 'the Dockerfile has no FROM instruction',
      line: undefined,
    });
  });

  it('reads 10 kB of junk as a finding, quickly', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const printable =
      ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\n\t';
    for (let run = 0; run < 20; run++) {
      const junk = Array.from(
        { length: 10 * 1024 },
        () => printable[Math.floor(random() * printable.length)],
      ).join('');
      for (const content of [junk, `FROM python:3.13\n${junk}`]) {
        expect(baseImage(content)).toMatchObject({
          ok: false,
          message: expect.stringMatching(/\S/),
        });
      }
    }
    const started = Date.now();
    baseImage(`FROM x\n${'${'.repeat(5000)}${'$x '.repeat(5000)}`);
    baseImage(`FROM ${'${A:-'.repeat(10000)}x${'}'.repeat(10000)}`);
    // generous: the point is that crafted text is not super-linear
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('dockerfileBaseImage', () => {
  it.each([
    ['a single stage', 'FROM python:3.13-slim\n', 'python:3.13-slim', 1],
    [
      'the final stage of several',
      'FROM golang:1.23 AS build\nFROM dhi.io/python:3.13-dev AS debug\nFROM dhi.io/python:3.13 AS production\n',
      'dhi.io/python:3.13',
      3,
    ],
    [
      'a final stage built on an earlier one',
      'FROM node:22-slim AS base\nFROM base AS deps\nRUN npm ci\nFROM deps\nUSER node\n',
      'node:22-slim',
      1,
    ],
    [
      'a chain of aliases through ARGs',
      'ARG TAG=3.13\nARG RUNTIME=runtime\nFROM dhi.io/python:${TAG}-fips AS Runtime\nFROM runtime AS one\nFROM ONE AS two\nFROM ${RUNTIME}\n',
      'dhi.io/python:3.13-fips',
      3,
    ],
    [
      'a platform flag',
      'FROM --platform=$BUILDPLATFORM node:22-slim AS build\nFROM --platform=linux/amd64 dhi.io/node:22\n',
      'dhi.io/node:22',
      2,
    ],
    [
      'a pinned digest',
      `FROM dhi.io/python:3.13@${DIGEST}\n`,
      `dhi.io/python:3.13@${DIGEST}`,
      1,
    ],
    [
      'a lower-case from after comments',
      '# syntax=docker/dockerfile:1\n# base\nfrom python:3.12-alpine\n',
      'python:3.12-alpine',
      3,
    ],
    [
      'an earlier stage FROM scratch',
      'FROM scratch AS empty\nFROM python:3.13-slim\nCOPY --from=empty / /\n',
      'python:3.13-slim',
      2,
    ],
  ])('finds %s', (_name, content, image, line) => {
    expect(baseImage(content)).toEqual({ ok: true, image, line });
  });

  it.each([
    [
      'FROM scratch\nCOPY app /app\n',
      'the final stage is FROM scratch, which has no base image',
      1,
    ],
    [
      'FROM scratch AS empty\nFROM empty\n',
      'the final stage builds on stage empty (line 1), which is FROM scratch and has no base image',
      1,
    ],
  ])('reports a final stage on scratch: %j', (content, message, line) => {
    expect(baseImage(content)).toEqual({
      ok: false,
      problem: 'scratch',
      message,
      line,
    });
  });

  it('reports an invalid final image', () => {
    expect(baseImage('FROM Python:3\n')).toMatchObject({
      ok: false,
      problem: 'invalid-image',
      line: 1,
      message: expect.stringMatching(/repository names must be lowercase/),
    });
  });
});

describe('replaceStageImages', () => {
  it('changes only the image text of the chosen stages', () => {
    const content =
      '# syntax=docker/dockerfile:1\r\nARG V=3.12\r\nfrom --platform=$BUILDPLATFORM python:${V}-slim as Builder\r\nRUN pip install x\r\nFROM builder AS debug\r\nFrom \\\r\n  python:3.12-slim \\\r\n  AS production\r\nUSER 10001\r\n';
    const parsed = parseDockerfile(content);
    const result = replaceStageImages(
      content,
      parsed,
      new Map([
        [0, 'dhi.io/python:3.12-dev'],
        [2, `dhi.io/python:3.12@${DIGEST}`],
      ]),
    );
    expect(result).toBe(
      content
        .replace('python:${V}-slim as', 'dhi.io/python:3.12-dev as')
        .replace('  python:3.12-slim \\', `  dhi.io/python:3.12@${DIGEST} \\`),
    );
    const reparsed = parseDockerfile(result);
    expect(reparsed.stages.map(s => [s.image, s.name])).toEqual([
      ['dhi.io/python:3.12-dev', 'builder'],
      ['builder', 'debug'],
      [`dhi.io/python:3.12@${DIGEST}`, 'production'],
    ]);
    expect(rootStage(reparsed, reparsed.stages[1]).index).toBe(0);
  });

  it('refuses text that is not one image word', () => {
    const parsed = parseDockerfile('FROM a\n');
    expect(() =>
      replaceStageImages('FROM a\n', parsed, new Map([[0, 'b\nRUN id']])),
    ).toThrow(/is not a single image word/);
    expect(() =>
      replaceStageImages('FROM a\n', parsed, new Map([[1, 'b']])),
    ).toThrow(/There is no stage 1/);
  });
});
