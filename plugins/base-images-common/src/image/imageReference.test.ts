import {
  familiarImageReference,
  formatImageReference,
  InvalidImageReferenceError,
  parseImageReference,
} from './imageReference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    [
      'python:3.13-slim',
      {
        registry: 'docker.io',
        repository: 'library/python',
        namespace: 'library',
        name: 'python',
        tag: '3.13-slim',
      },
    ],
    [
      'node',
      { registry: 'docker.io', repository: 'library/node', tag: undefined },
    ],
    [
      'dhi.io/python:3.13',
      {
        registry: 'dhi.io',
        repository: 'python',
        namespace: '',
        name: 'python',
        tag: '3.13',
      },
    ],
    [
      'acme/dhi-python:3.13-fips',
      {
        registry: 'docker.io',
        repository: 'acme/dhi-python',
        namespace: 'acme',
        name: 'dhi-python',
      },
    ],
    [
      'index.docker.io/library/python:3.12',
      { registry: 'docker.io', repository: 'library/python', tag: '3.12' },
    ],
    [
      '127.0.0.1:5000/team/app:v1',
      {
        registry: '127.0.0.1:5000',
        repository: 'team/app',
        namespace: 'team',
        tag: 'v1',
      },
    ],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    [
      'localhost:5000/a/b/c:1.0',
      {
        registry: 'localhost:5000',
        repository: 'a/b/c',
        namespace: 'a/b',
        name: 'c',
      },
    ],
    [
      `dhi.io/python@${DIGEST}`,
      {
        registry: 'dhi.io',
        repository: 'python',
        tag: undefined,
        digest: DIGEST,
      },
    ],
    [`dhi.io/python:3.13@${DIGEST}`, { tag: '3.13', digest: DIGEST }],
    ['[::1]:5000/app:1', { registry: '[::1]:5000', repository: 'app' }],
    [
      'registry.example.com/my_org/my__app-x.y:tag_1.2-rc',
      { repository: 'my_org/my__app-x.y', tag: 'tag_1.2-rc' },
    ],
    ['Registry.Example.com/app:1', { registry: 'registry.example.com' }],
    // distribution/reference: docker.io/<64 hex> is a name, only the bare ID is refused
    [
      `docker.io/${'c'.repeat(64)}`,
      { registry: 'docker.io', repository: `library/${'c'.repeat(64)}` },
    ],
    // 63 hex characters are an ordinary name
    ['c'.repeat(63), { repository: `library/${'c'.repeat(63)}` }],
    [
      '[2001:db8::1]:5000/app',
      { registry: '[2001:db8::1]:5000', repository: 'app' },
    ],
    [
      `dhi.io/python@sha512:${'e'.repeat(128)}`,
      { digest: `sha512:${'e'.repeat(128)}` },
    ],
  ])('parses %s', (input, expected) => {
    expect(parseImageReference(input)).toMatchObject(expected);
  });

  it.each([
    ['', /empty/],
    [' python:3.13', /white space/],
    ['python:3.13 ', /white space/],
    ['python :3.13', /white space/],
    ['Python:3.13', /lowercase/],
    ['dhi.io/Python:3.13', /lowercase/],
    ['dhi.io/', /repository is missing/],
    ['dhi.io//python', /empty path component/],
    ['dhi.io/python/', /empty path component/],
    ['dhi.io/../etc/passwd', /"\.\."/],
    ['dhi.io/a..b', /"a\.\.b"/],
    [':3.13', /repository is missing/],
    ['python:', /tag ""/],
    ['python:-bad', /tag "-bad"/],
    [`python:${'x'.repeat(129)}`, /tag/],
    ['python@sha256:abc', /digest/],
    [`python@sha256:${'A'.repeat(64)}`, /digest/],
    [`python@md5:${'a'.repeat(32)}`, /digest/],
    ['dhi.io:99999/python', /port "99999"/],
    ['dhi.io:/python', /port ""/],
    ['dhi.io:abc/python', /port "abc"/],
    ['-bad.io/python', /host/],
    ['bad_host.io/python', /host/],
    [`${'a/'.repeat(200)}b`, /longer than 255/],
    ['x'.repeat(600), /longer than 512/],
    ['python:3.13\n', /white space/],
    ['https://dhi.io/python', /./],
    // a bare image ID, as `docker pull <id>` refuses it
    ['c'.repeat(64), /image ID, not a reference/],
    // IPv6 hosts are hex and colons only: no zone, no dotted IPv4 tail
    ['[2001:db8:3:4::192.0.2.33]:5000/app', /host/],
    ['[fe80::1%eth0]:5000/app', /host/],
    [`python@sha384:${'a'.repeat(96)}`, /digest/],
  ])('rejects %j', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(
      InvalidImageReferenceError,
    );
    expect(() => parseImageReference(input)).toThrow(message);
  });

  it('names the input and the expected form in its error', () => {
    expect(() => parseImageReference('dhi.io/../x')).toThrow(
      /^Invalid image reference "dhi\.io\/\.\.\/x": .*Expected \[registry/,
    );
  });

  it('formats fully qualified and familiar forms', () => {
    const slim = parseImageReference('python:3.13-slim');
    expect(formatImageReference(slim)).toBe(
      'docker.io/library/python:3.13-slim',
    );
    expect(familiarImageReference(slim)).toBe('python:3.13-slim');
    expect(
      familiarImageReference(parseImageReference('acme/dhi-node:22')),
    ).toBe('acme/dhi-node:22');
    expect(
      familiarImageReference(
        parseImageReference(`dhi.io/python:3.13@${DIGEST}`),
      ),
    ).toBe(`dhi.io/python:3.13@${DIGEST}`);
  });

  it('drops library/ only for single-segment official images, as FamiliarName does', () => {
    expect(
      familiarImageReference(parseImageReference('docker.io/library/foo/bar')),
    ).toBe('library/foo/bar');
    expect(
      familiarImageReference(parseImageReference('docker.io/library/foo:1')),
    ).toBe('foo:1');
    expect(
      familiarImageReference(parseImageReference('docker.io/foo/bar')),
    ).toBe('foo/bar');
    // the short form parses back to the same reference
    const nested = parseImageReference('docker.io/library/foo/bar:2');
    expect(parseImageReference(familiarImageReference(nested))).toEqual(nested);
  });
});
