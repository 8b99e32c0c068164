import { execFileSync } from 'node:child_process';
import {
  checkBranchName,
  checkEntityRef,
  checkOneLine,
  checkRegistryHost,
  OWNER_REF,
  quote,
  SYSTEM_REF,
  toOneLine,
} from './inputRules';

describe('input rules', () => {
  it.each([
    ['web-team', OWNER_REF, 'group:default/web-team'],
    ['user:guest', OWNER_REF, 'user:default/guest'],
    ['Group:Platform/Web_Team.2', OWNER_REF, 'group:platform/web_team.2'],
    ['payments', SYSTEM_REF, 'system:default/payments'],
    ['finance/payments', SYSTEM_REF, 'system:finance/payments'],
  ])('reads %s as the catalog does', (value, rule, expected) => {
    expect(checkEntityRef('ref', value, rule)).toBe(expected);
  });

  it.each([
    ['group:default/-web', /name "-web" must be 1-63/],
    ['grou p:default/web', /kind "grou p" must be letters and digits/],
    ['group:my_ns/web', /namespace "my_ns" must be 1-63 lowercase/],
    ['group:default/web\u2028', /control character U\+2028/],
    ['group:default/web\u007f', /control character U\+007F/],
    ['group:default/web\t', /control character U\+0009/],
  ])('refuses %j', (value, message) => {
    expect(() => checkEntityRef('owner', value, OWNER_REF)).toThrow(message);
  });

  it.each([
    'dhi.io',
    'DHI.io',
    '127.0.0.1:5000',
    'docker.io',
    'index.docker.io',
  ])('accepts the registry host %s', host => {
    expect(checkRegistryHost('r', host)).toBe(host);
  });

  it.each([
    'dhi.io/',
    'dhi.io:0',
    'dhi.io:99999',
    'https://dhi.io',
    'dhi.io dhi.io',
    'registry-1.docker.io',
    'dhi.io\u2028x',
    '',
  ])('refuses the registry host %j', host => {
    expect(() => checkRegistryHost('r', host)).toThrow(
      /is not a registry host\[:port\]/,
    );
  });

  it('keeps error messages on one line, whatever they quote', () => {
    const value = 'a\nb\r\u0085c\u2028d\u2029e\u007f';
    const quoted = quote(value);
    expect(quoted).toBe('"a\\nb\\r\\u0085c\\u2028d\\u2029e\\u007F"');
    expect(() => checkOneLine('field', value)).toThrow(
      'field "a\\nb\\r\\u0085c\\u2028d\\u2029e\\u007F" contains the control character U+000A at position 1',
    );
    expect(toOneLine(value)).toBe('a b c d e ');
  });

  const gitAccepts = (branch: string) => {
    try {
      execFileSync('git', ['check-ref-format', '--branch', branch], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    'main',
    'base-image/3.13',
    'base-image/3.13-fips',
    'base-image/22-alpine3.21',
    'feature/a_b.c',
  ])('accepts the branch %s, as git does', branch => {
    expect(checkBranchName('branch', branch)).toBe(branch);
    expect(gitAccepts(branch)).toBe(true);
  });

  it.each([
    ['base-image/3..13', /must not contain "\.\."/],
    ['base-image/x.lock', /ending with "\.lock"/],
    ['base-image/.x', /starting with "\."/],
    ['base-image//x', /empty components/],
    ['/x', /empty components/],
    ['x/', /empty components/],
    ['x.', /must not end with "\."/],
    ['-x', /must not start with "-"/],
    ['x y', /must be 1-200 letters/],
    ['x~1', /must be 1-200 letters/],
    ['x@{1}', /must be 1-200 letters/],
    ['x\ny', /must be 1-200 letters/],
    ['', /must be 1-200 letters/],
  ])('refuses the branch %j, which git refuses too', (branch, message) => {
    expect(() => checkBranchName('branch', branch)).toThrow(message);
    expect(gitAccepts(branch)).toBe(false);
  });
});
