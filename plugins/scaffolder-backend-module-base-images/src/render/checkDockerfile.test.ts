import { checkDockerfile } from './checkDockerfile';

const dhi = {
  allowedImages: ['dhi.io/python:3.13-fips', 'dhi.io/python:3.13-dev'],
  runtimeImage: 'dhi.io/python:3.13-fips',
  shellless: true,
};

const good = `# syntax=docker/dockerfile:1
FROM dhi.io/python:3.13-dev AS builder
RUN pip install --target=/app/deps -r requirements.txt
FROM dhi.io/python:3.13-dev AS debug
CMD ["python", "/app/src/main.py"]
FROM dhi.io/python:3.13-fips AS production
COPY --from=builder /app/deps /app/deps
USER nonroot
CMD ["python", "/app/src/main.py"]
`;

describe('checkDockerfile', () => {
  it('passes the DHI multi-stage pattern', () => {
    expect(checkDockerfile(good, dhi)).toEqual([]);
  });

  it('passes a slim build where RUN is allowed', () => {
    const slim = {
      allowedImages: ['node:22-slim'],
      runtimeImage: 'node:22-slim',
      shellless: false,
    };
    expect(
      checkDockerfile(
        'FROM node:22-slim AS b\nRUN npm ci\nFROM node:22-slim\nRUN useradd x\nUSER node\nENTRYPOINT ["node", "x.js"]\n',
        slim,
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'a FROM the policy did not choose',
      good.replace(
        'FROM dhi.io/python:3.13-dev AS builder',
        'FROM python:3.13 AS builder',
      ),
      'from-allowed',
      2,
    ],
    [
      'RUN in the shell-less runtime stage',
      good.replace('USER nonroot', 'RUN chmod 755 /app\nUSER nonroot'),
      'shellless-no-run',
      8,
    ],
    [
      'RUN in a stage derived from the runtime stage',
      `${good}FROM production AS extra\nRUN ls\nUSER nonroot\nCMD ["x"]\n`,
      'shellless-no-run',
      11,
    ],
    [
      'no USER in the final stage',
      good.replace('USER nonroot\n', ''),
      'non-root-user',
      6,
    ],
    [
      'USER root',
      good.replace('USER nonroot', 'USER root'),
      'non-root-user',
      8,
    ],
    ['USER 0:0', good.replace('USER nonroot', 'USER 0:0'), 'non-root-user', 8],
    [
      'shell-form CMD',
      good.replace(
        'CMD ["python", "/app/src/main.py"]\n',
        'CMD python /app/src/main.py\n',
      ),
      'exec-form',
      5,
    ],
    [
      'broken JSON CMD',
      good.replace('CMD ["python", "/app/src/main.py"]\n', 'CMD ["python", \n'),
      'exec-form',
      5,
    ],
    [
      'final stage on the builder image',
      good.replace(
        'FROM dhi.io/python:3.13-fips AS production',
        'FROM dhi.io/python:3.13-dev AS production',
      ),
      'final-stage-runtime',
      6,
    ],
    [
      'unknown instruction',
      good.replace('USER nonroot', 'USR nonroot'),
      'parses',
      8,
    ],
    ['malformed FROM', good.replace('AS builder', 'builder'), 'parses', 2],
  ])('flags %s', (_name, dockerfile, rule, line) => {
    expect(checkDockerfile(dockerfile, dhi)).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule, line })]),
    );
  });

  it('flags an empty file', () => {
    expect(checkDockerfile('# nothing\n', dhi)).toEqual([
      { rule: 'parses', line: 1, message: 'no FROM instruction' },
    ]);
  });
});
