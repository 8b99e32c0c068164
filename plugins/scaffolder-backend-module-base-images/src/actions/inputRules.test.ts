import {
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
});
