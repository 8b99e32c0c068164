import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { renderSkeleton } from './renderSkeleton';
import { GUARDED_FILTERS } from './guardedFilters';
import {
  checkTemplateSource,
  renderTemplate,
  renderWithRuntimeGuardOnly,
} from './safeNunjucks';
import { FILTER_RULES } from './templatePolicy';

const mockDir = createMockDirectory();
const marker = mockDir.resolve('marker');

const VALUES: Record<string, JsonValue> = {
  name: 'demo-svc',
  port: 8080,
  shellless: true,
  frameworks: [{ id: 'fips', source: 'system:default/payments' }],
  reasons: ['first', 'second'],
};

/** JavaScript that writes the marker file: what each payload tries to run. */
const CODE =
  'process.getBuiltinModule("fs").writeFileSync(process.env.NJ_MARKER,"x")';

/** A nunjucks string literal holding `text`. */
const str = (text: string) =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** CODE with the characters nunjucks' lexer splits symbols on hex-escaped. */
const SYMBOL_CODE = CODE.replace(
  /[.(),]/g,
  c => `\\x${c.charCodeAt(0).toString(16)}`,
);

/** Each payload runs CODE when rendered with plain nunjucks. */
const PAYLOADS: Array<[string, string]> = [
  ['range global', `\${{ range.constructor(${str(CODE)})() }}`],
  ['cycler global', `\${{ cycler.constructor(${str(CODE)})() }}`],
  ['joiner global', `\${{ joiner.constructor(${str(CODE)})() }}`],
  ['string literal', `\${{ "".constructor.constructor(${str(CODE)})() }}`],
  ['array literal', `\${{ [].constructor.constructor(${str(CODE)})() }}`],
  ['dict literal', `\${{ {}.constructor.constructor(${str(CODE)})() }}`],
  ['number literal', `\${{ (1).constructor.constructor(${str(CODE)})() }}`],
  [
    '__proto__ chain from data',
    `\${{ values.__proto__.constructor.constructor(${str(CODE)})() }}`,
  ],
  [
    'set + computed lookup',
    `{% set c = "constructor" %}\${{ range[c](${str(CODE)})() }}`,
  ],
  [
    'concatenated lookup key',
    `\${{ range["constr" ~ "uctor"](${str(CODE)})() }}`,
  ],
  [
    'dict literal with a __proto__ key',
    `{% set o = {"__proto__": range} %}\n\${{ o.constructor(${str(CODE)})() }}`,
  ],
  [
    'top-level Object.prototype name',
    `\${{ constructor.constructor(${str(CODE)})() }}`,
  ],
  [
    'bound-method wrapper',
    `\${{ values.name.toString.constructor(${str(CODE)})() }}`,
  ],
  [
    'filter returning a function',
    `\${{ ([range] | first).constructor(${str(CODE)})() }}`,
  ],
  [
    '__lookupGetter__',
    `\${{ values.__lookupGetter__("__proto__").constructor(${str(CODE)})() }}`,
  ],
  ['include of an uploaded file', `{% include "evil.njk" %}`],
  ['import of an uploaded file', `{% import "evil.njk" as evil %}`],
  // nunjucks pastes these names into the compiled JavaScript unescaped.
  [
    'code injection through a variable name',
    `\${{ x"&&Function\`${SYMBOL_CODE}\`\`\`&&" }}`,
  ],
  [
    'code injection through a filter name',
    `\${{ 1 | a"&&Function\`${SYMBOL_CODE}\`\`\`&&" }}`,
  ],
  [
    'code injection through an is-test name',
    `\${{ 1 is ${str(
      `equalto")&&Function(${JSON.stringify(CODE)})()&&env.getTest("equalto`,
    )} }}`,
  ],
  [
    'code injection through a set target',
    `{% set ${str(`x");Function(${JSON.stringify(CODE)})();("`)} = 1 %}`,
  ],
  [
    'code injection through a for target',
    `{% for k, ${str(
      `v");Function(${JSON.stringify(CODE)})();("`,
    )} in {"a": 1} %}{% endfor %}`,
  ],
];

const TAGS = { variableStart: '${{', variableEnd: '}}' };

/**
 * The renderer before this change: plain nunjucks with the same tags, plus a
 * loader over an upload directory (as any loader would be) for the
 * include/import payloads.
 */
function renderWithPlainNunjucks(source: string) {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(mockDir.resolve('uploads')),
    { autoescape: false, throwOnUndefined: true, tags: TAGS },
  );
  try {
    env.renderString(source, { values: VALUES });
  } catch {
    // Most payloads fail after their code ran; the marker tells.
  }
}

function thrown(render: () => unknown): Error {
  try {
    render();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the template to be refused');
}

describe('safe skeleton rendering', () => {
  beforeAll(() => {
    process.env.NJ_MARKER = marker;
    mockDir.setContent({
      uploads: { 'evil.njk': PAYLOADS[0][1] },
    });
  });
  afterAll(() => {
    delete process.env.NJ_MARKER;
    mockDir.clear();
  });
  afterEach(() => fs.rmSync(marker, { force: true }));

  describe.each(PAYLOADS)('payload: %s', (_, payload) => {
    it('runs code with plain nunjucks', () => {
      renderWithPlainNunjucks(payload);
      expect(fs.existsSync(marker)).toBe(true);
    });

    it('is refused by the static check alone, naming file, line and column', () => {
      const error = thrown(() =>
        checkTemplateSource(payload, 'Skeleton file src/payload.txt'),
      );
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /^Skeleton file src\/payload\.txt, line \d+, column \d+: /,
      );
      expect(fs.existsSync(marker)).toBe(false);
    });

    it('is refused by renderTemplate', () => {
      expect(() =>
        renderTemplate(payload, { values: VALUES }, 'Skeleton file a.txt'),
      ).toThrow(/^Skeleton file a\.txt, line \d+, column \d+: /);
      expect(fs.existsSync(marker)).toBe(false);
    });

    it('is stopped by the run-time guard alone', () => {
      const error = thrown(() =>
        renderWithRuntimeGuardOnly(
          payload,
          { values: VALUES },
          'Skeleton file a.txt',
        ),
      );
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^Skeleton file a\.txt, line \d+/);
      expect(fs.existsSync(marker)).toBe(false);
    });

    it('is refused as a templated file name', async () => {
      const name = payload.includes('${{') ? payload : `\${{ "" }}${payload}`;
      const skeletonDir = mockDir.resolve('skeleton');
      const targetDir = mockDir.resolve('target');
      fs.rmSync(skeletonDir, { recursive: true, force: true });
      fs.mkdirSync(skeletonDir, { recursive: true });
      fs.writeFileSync(path.join(skeletonDir, 'README.md'), 'fine\n');
      fs.writeFileSync(path.join(skeletonDir, name), 'content\n');
      await expect(
        renderSkeleton({ skeletonDir, targetDir, values: VALUES }),
      ).rejects.toThrow(
        expect.objectContaining({
          name: 'InputError',
          message: expect.stringMatching(
            /^Skeleton file name .*, line \d+, column \d+: /s,
          ),
        }),
      );
      expect(fs.existsSync(marker)).toBe(false);
      expect(fs.existsSync(targetDir)).toBe(false);
    });
  });

  const DATA = {
    values: {
      ...VALUES,
      authRequired: false,
      system: '',
      text: 'one two\nthree four',
      list: ['b', 'a', 'c'],
      map: { a: 1, b: 2 },
      empty: [],
    },
  };

  it.each([
    'plain ${{ values.name }} text\n',
    '${{ values.name | dump }} ${{ values | dump }}',
    '{% for f in values.frameworks %}${{ loop.index }}/${{ loop.length }} ${{ f.id }}=${{ f.source }}{% if not loop.last %}, {% endif %}{% endfor %}',
    '{% if values.shellless %}a{% elif values.authRequired %}b{% else %}c{% endif %}',
    '{%- if values.system %}sys{%- endif %}\n{% if values.frameworks.length %}has{% endif %}',
    '{% set n = values.port + 1 %}${{ n }} ${{ values.port - 1 }} ${{ values.port * 2 }} ${{ values.port / 3 }} ${{ 7 // 2 }} ${{ 7 % 3 }} ${{ 2 ** 3 }} ${{ -values.port }}',
    '{% set greeting %}Hello ${{ values.name }}{% endset %}${{ greeting | upper }}',
    '{% raw %}${{ github.sha }} {% if %}{% endraw %}',
    '${{ values.list | join(", ") }} ${{ values.list | sort | join }} ${{ values.list | sort(true) | join }} ${{ values.list | sort(reverse=true) | join("") }}',
    '${{ "a" ~ values.name ~ 1 }} ${{ values.name if values.shellless else "x" }} ${{ values.missing is defined }} ${{ "a" in values.list }} ${{ "a" in values.map }} ${{ values.port is divisibleby(8) }}',
    '${{ {"a": 1, b: [1, 2]} | dump }} ${{ [1, 2, 3] | reverse | join("-") }} ${{ range(3) | join }} ${{ range(1, 10, 3) | join(",") }}',
    '${{ values.name | replace("-", "_") }} ${{ "  x " | trim }}|${{ values.text | indent(2) }}|${{ values.text | truncate(5) }}|${{ values.name | title }}|${{ values.name | capitalize }}|${{ values.name | center(12) }}|',
    '${{ 3.14159 | round(2) }} ${{ "42" | int + 1 }} ${{ "2.5" | float }} ${{ -3 | abs }} ${{ values.missing | default("none") }} ${{ values.system | d("none", true) }}',
    '{% for k, v in values.map %}${{ k }}=${{ v }};{% endfor %}{% for a, b in [[1, 2], [3, 4]] %}${{ a }}${{ b }}{% endfor %}{% for x in values.empty %}{% else %}empty{% endfor %}',
    '{% filter upper %}shout ${{ values.name }}{% endfilter %} ${{ values.name | urlencode }} ${{ values.text | wordcount }} ${{ values.list | first }}/${{ values.list | last }} ${{ values.list | length }} ${{ values.name | list | join("|") }} ${{ values.name | string }} ${{ "<b>" | escape }}',
    '{# a comment #}x {%- if true -%} trimmed {%- endif -%} y',
    '${{ values.map["a"] }} ${{ values.list[0] }} ${{ values.frameworks[0].id }} ${{ values.name.length }} ${{ values.text | lower | upper }}',
    // Loops iterate a copy, exactly as many times as nunjucks does.
    '{% for c in values.name %}${{ loop.index0 }}${{ c }}${{ loop.revindex }}${{ loop.first }}${{ loop.last }};{% endfor %}',
    '{% for i, c in "ab" %}${{ i }}=${{ c }};{% endfor %}{% for a, b, c in [[1, 2, 3], "xy"] %}${{ a }}${{ b }}${{ c is defined }};{% endfor %}',
    '{% for x in values.missing %}{% else %}none{% endfor %} {% for x in 5 %}{% else %}five{% endfor %} {% for x in "" %}{% else %}empty{% endfor %}',
    '{% for a in values.list %}{% for b in values.list %}${{ a }}${{ b }}{% if loop.last %}|{% endif %}{% endfor %}{% endfor %}',
    // Comparisons and arithmetic keep JavaScript's precedence, as nunjucks emits them.
    '${{ 1 < 2 == true }} ${{ not values.port == 8080 }} ${{ "b" > "a" }} ${{ values.name != "x" }} ${{ 2 ** 3 ** 2 }} ${{ -7 // 2 }} ${{ -(3 - 5) }} ${{ +"4" * 2 }} ${{ "10" - 1 }} ${{ 1 - 2 - 3 }} ${{ 10 / 4 % 2 }} ${{ values.missing == none }}',
    '${{ range(5, 0, -2) | join(",") }} ${{ range(0) | length }} ${{ range(-3, 3) | join }} ${{ range(3, 1) | length }} ${{ range(1, 4, 0) | join }}',
    '${{ "a b_c d9" | wordcount }} ${{ "" | wordcount | d("no words", true) }} ${{ "--" | wordcount | d("no words", true) }} ${{ values.text | wordcount }} ${{ "é-x" | wordcount }}',
    '${{ "a&b<c>\'" | escape }} ${{ 3 | escape }} ${{ "a b/é" | urlencode }} ${{ {"a": "b c", d: 1} | urlencode }} ${{ [["x", "y z"]] | urlencode }}',
    '${{ "cba" | sort | join }} ${{ "abc" | reverse }} ${{ [3, 1, 2] | reverse | join }} ${{ "abc" | first }}${{ "abc" | last }} ${{ values.map | list | length }} ${{ "a-b-c" | replace("-", "+", 1) }} ${{ 12 | replace(1, 3) }}',
    '{%- if values.shellless -%}\n  trimmed   \n{%- endif %}  ${{- values.name -}}  {#- note -#}  end',
  ])('renders %j exactly as plain nunjucks does', template => {
    const plain = new nunjucks.Environment([], {
      autoescape: false,
      throwOnUndefined: true,
      tags: TAGS,
    }).renderString(template, DATA);
    expect(renderTemplate(template, DATA, 'Skeleton file t')).toBe(plain);
  });

  it.each([
    ['{% macro m() %}x{% endmacro %}', /\{% macro %\} is not supported/],
    ['{% call range(1) %}x{% endcall %}', /\{% call %\} is not supported/],
    ['{% from "x" import a %}', /\{% from \.\.\. import %\} is not supported/],
    ['{% extends "x" %}', /\{% extends %\} is not supported/],
    ['{% block b %}x{% endblock %}', /\{% block %\} is not supported/],
    [
      '{% switch 1 %}{% case 1 %}x{% endswitch %}',
      /\{% switch %\} is not supported/,
    ],
    [
      '{% asyncEach x in [1] %}{% endeach %}',
      /\{% asyncEach %\} is not supported/,
    ],
    [
      '{% asyncAll x in [1] %}{% endall %}',
      /\{% asyncAll %\} is not supported/,
    ],
    ['{% ifAsync 1 %}x{% endif %}', /\{% ifAsync %\} is not supported/],
  ])('refuses %j in both layers', (template, message) => {
    for (const refuse of [
      () => checkTemplateSource(template, 'f'),
      () => renderWithRuntimeGuardOnly(template, { values: VALUES }, 'f'),
    ]) {
      const { message: text } = thrown(refuse);
      expect(text).toMatch(/^f, line 1, column \d+: /);
      expect(text).toMatch(message);
    }
  });

  it.each([
    ['${{ super() }}', /super\(\.\.\.\) cannot be called/],
    ['${{ r/a+/ }}', /regular expression literals are not supported/],
    ['${{ {"toString": 1} }}', /`toString` cannot be a dict key/],
    ['${{ values[values.key] }}', /a lookup with a computed key/],
    ['${{ loop.constructor }}', /`\.constructor` cannot be read/],
    ['${{ __proto__ }}', /`__proto__` cannot be used in skeletons/],
    [
      '{% set range = 1 %}',
      /`range` is a built-in function and cannot be reassigned/,
    ],
    ['{% set x.y = 1 %}', /only plain names can be assigned/],
    ['${{ range(stop=3) }}', /range\(\.\.\.\) takes no keyword arguments/],
    [
      '${{ values.list | sort(attribute="id") }}',
      /no `attribute` keyword argument/,
    ],
    [
      '${{ values.list | join(",", "id") }}',
      /the join filter takes at most 1 argument/,
    ],
    ['${{ values.name | safe }}', /the `safe` filter is not available/],
    [
      '${{ values.name is callable }}',
      /`is` must be followed by one of the tests/,
    ],
    [
      '${{ values.name is (values.x) }}',
      /`is` must be followed by one of the tests/,
    ],
  ])('the static check refuses %j', (template, message) => {
    const { message: text } = thrown(() => checkTemplateSource(template, 'f'));
    expect(text).toMatch(/^f, line 1, column \d+: /);
    expect(text).toMatch(message);
  });

  it('writes values as data, never rendering text inside them', () => {
    const values = {
      description: '${{ values.name }} {% if true %}x{% endif %} {{ 7*7 }}',
      name: 'demo',
    };
    expect(
      renderTemplate(
        '${{ values.description }}|${{ values.description | dump }}',
        { values },
        'Skeleton file t',
      ),
    ).toBe(
      '${{ values.name }} {% if true %}x{% endif %} {{ 7*7 }}|"${{ values.name }} {% if true %}x{% endif %} {{ 7*7 }}"',
    );
  });

  it('refuses to output an undefined value, naming the line', () => {
    expect(() =>
      renderTemplate(
        'first line\n${{ values.missing }}',
        DATA,
        'Skeleton file Dockerfile',
      ),
    ).toThrow(
      /^Skeleton file Dockerfile, line 2, column \d+: attempted to output null or undefined value/,
    );
  });

  describe('the run-time guard on its own', () => {
    const guarded = (template: string) =>
      renderWithRuntimeGuardOnly(template, DATA, 'Skeleton file t');

    it.each([
      ['{% if values.name.toString %}method{% else %}none{% endif %}', 'none'],
      ['{% if values.__proto__ %}prototype{% else %}none{% endif %}', 'none'],
      ['{% if constructor %}Object{% else %}none{% endif %}', 'none'],
      [
        '{% set c = "constructor" %}{% if range[c] %}x{% else %}none{% endif %}',
        'none',
      ],
      ['${{ "constructor" in values }} ${{ "name" in values }}', 'false true'],
      ['${{ values.name.big is defined }}', 'false'],
    ])('reads only own data properties: %j', (template, expected) => {
      expect(guarded(template)).toBe(expected);
    });

    it.each([
      ['${{ range }}', /a function is not data/],
      ['${{ [range] | length }}', /a function is not data/],
      ['{% for x in range %}{% endfor %}', /a function is not data/],
      ['${{ range ~ "" }}', /a function is not data/],
      [
        '${{ values.name.replace("a", "b") }}',
        /values\.name\.replace\(\.\.\.\) cannot be called/,
      ],
      [
        '${{ values.name | upper(5) }}',
        /the upper filter takes at most 0 argument/,
      ],
      [
        '${{ values.list | join(",", "id") }}',
        /the join filter takes at most 1 argument/,
      ],
      [
        '${{ values.list | sort(attribute="id") }}',
        /no `attribute` keyword argument/,
      ],
      [
        '${{ values.text | indent(1000) }}',
        /indent filter must be a whole number from 0 to 100/,
      ],
      [
        '${{ values.name | striptags }}',
        /the `striptags` filter is not available/,
      ],
      [
        '${{ values.name is callable }}',
        /the `callable` test is not available/,
      ],
    ])('refuses %j', (template, message) => {
      expect(() => guarded(template)).toThrow(message);
    });
  });

  describe('limits', () => {
    const big = {
      values: {
        kilobyte: 'k'.repeat(1024),
        big: 'b'.repeat(100_000),
        text: 'one\ntwo',
      },
    };
    const render = (template: string) =>
      renderTemplate(template, big, 'Skeleton file t');

    it.each([
      [
        'loops over the iteration budget',
        'x\n{% for a in range(200) %}{% for b in range(200) %}{% endfor %}{% endfor %}',
        /^Skeleton file t, line 2, column \d+: loops may run at most 10000 iterations per file in total/,
      ],
      [
        'output over 2 MiB',
        '{% for i in range(3000) %}${{ values.kilobyte }}{% endfor %}',
        /the rendered file would be larger than 2097152 bytes/,
      ],
      [
        'a huge range()',
        '${{ range(100000000) | length }}',
        /range\(\) may produce at most 10000 numbers, this one would produce 100000000/,
      ],
      [
        'a string doubled by ~',
        `{% set s = "0123456789abcdef" %}${'{% set s = s ~ s %}'.repeat(20)}`,
        /the joined text would be longer than 2097152 characters/,
      ],
      [
        'lists of lists sharing one value',
        '{% set a = [values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte, values.kilobyte] %}' +
          '{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c, c, c, c, c] %}',
        /a value may be at most 2097152 characters long as text/,
      ],
      [
        'deeply nested lists',
        '{% set a = [] %}{% for i in range(100) %}{% set a = [a] %}{% endfor %}',
        /lists and dicts may nest at most 32 levels deep/,
      ],
      [
        'replace growing a string',
        '${{ values.big | replace("", values.kilobyte) }}',
        /the replaced text would be longer than 2097152 characters/,
      ],
      [
        'join growing a string',
        '${{ range(10000) | join(values.kilobyte) }}',
        /the joined text would be longer than 2097152 characters/,
      ],
      [
        'a loop of filters over a large value',
        '{% for i in range(10000) %}{% set t = values.big | upper %}{% endfor %}',
        /rendering this file takes too much work/,
      ],
      [
        'a large loop body that makes no guarded call',
        `{% for i in range(10000) %}${'{% set x = i %}{% if i %}{% endif %}'.repeat(
          1000,
        )}{% endfor %}`,
        /rendering this file takes too much work/,
      ],
      [
        'a size argument over its cap',
        '${{ values.text | indent(1000) }}',
        /the size argument of the indent filter must be a whole number from 0 to 100 written in the template/,
      ],
      [
        'a size argument that is not a literal',
        '{% set width = 4 %}${{ values.text | indent(width) }}',
        /the size argument of the indent filter must be a whole number/,
      ],
    ])('stops %s with a clear error', (_, template, message) => {
      const error = thrown(() => render(template));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^Skeleton file t, line \d+, column \d+: /);
      expect(error.message).toMatch(message);
    });
  });

  /**
   * Security review 12: each of these held the event loop for minutes or
   * killed the process with a fatal out-of-memory error before; jest's test
   * timeout is the bound they now finish within.
   */
  describe('bounded work whatever the template says', () => {
    /** t: about a million characters, all spaces but a thousand; L: the list of them. */
    const SETUP =
      '{% set s = "x" | center(1000) %}{% set t = s | replace(" ", s) %}{% set L = t | list %}';
    const TEXT_SETUP =
      '{% set s = "x" | center(1000) %}{% set t = s | replace(" ", s) %}';
    const loop = (body: string) =>
      `${SETUP}{% for i in range(10000) %}${body}{% endfor %}`;

    it.each([
      ['{% for x in {length: 300000000} %}{% endfor %}', ''],
      [
        '{% for x in {length: 9007199254740991} %}${{ x }}{% endfor %}',
        'length',
      ],
      [
        '{% for k, v in {length: 9007199254740991} %}${{ k }}=${{ v }}{% endfor %}',
        'length=9007199254740991',
      ],
      ['{% for x in {"a": 1, "b": 2} %}${{ x }}{% endfor %}', 'ab'],
    ])(
      'loops over a dict run once per key, whatever its length key says: %j',
      (template, expected) => {
        expect(renderTemplate(template, DATA, 'Skeleton file t')).toBe(
          expected,
        );
        expect(renderWithRuntimeGuardOnly(template, DATA, 'f')).toBe(expected);
      },
    );

    const REFUSED: Array<[string, string, RegExp]> = [
      [
        'reverse of a dict with a huge length',
        '${{ {length: 4000000000} | reverse }}',
        /the reverse filter needs a list or a string, not a dict/,
      ],
      [
        'sort of a dict with a huge length',
        '${{ {length: 4000000000} | sort }}',
        /the sort filter needs a string or a list of strings or numbers, not a dict/,
      ],
      [
        'join of a dict with a huge length',
        '${{ {length: 4000000000} | join }}',
        /the join filter needs a list of strings or numbers, not a dict/,
      ],
      [
        'join of lists',
        '${{ [[1], [2]] | join }}',
        /the join filter needs a list of strings or numbers, not a list holding lists or dicts/,
      ],
      [
        'a text filter on a list',
        '${{ values.list | upper }}',
        /the upper filter needs a string, not a list/,
      ],
      [
        'escape of a list',
        '${{ values.list | escape }}',
        /the escape filter needs a string or a number, not a list/,
      ],
      [
        'first of a dict',
        '${{ values.map | first }}',
        /the first filter needs a list or a string, not a dict/,
      ],
      [
        'a list as a filter argument',
        '${{ "a" | replace("a", values.list) }}',
        /argument 2 of the replace filter must be a string or a number, not a list/,
      ],
      [
        'range() past 2^53',
        '${{ range(9007199254740992, 9007199254740996) }}',
        /range\(\) takes one to three whole numbers from -9007199254740991 to 9007199254740991/,
      ],
      [
        'range() of fractions',
        '${{ range(0, 1, 0.25) | join }}',
        /range\(\) takes one to three whole numbers/,
      ],
      [
        'a comparison of lists',
        `${SETUP}{% for i in range(10000) %}{% if -L < -L %}{% endif %}{% endfor %}`,
        /lists and dicts cannot be compared or used in arithmetic/,
      ],
      [
        'an upper-cased text three times as long',
        '{% set s = "ΐ" | center(1000) | replace(" ", "ΐ") %}{% set t = s | replace("ΐ", s) %}${{ t | upper }}',
        /the result of the upper filter would be longer than 2097152 characters/,
      ],
      [
        'escaping a million quotes',
        `${TEXT_SETUP}\${{ t | replace(" ", '"') | escape }}`,
        /the escaped text would be longer than 2097152 characters/,
      ],
      [
        'URL-encoding a million accents',
        `${TEXT_SETUP}\${{ t | replace(" ", "é") | urlencode }}`,
        /the URL-encoded text would be longer than 2097152 characters/,
      ],
      ['~ on a large list', loop('{% set z = L ~ "" %}'), /too much work/],
      ['+ on a large list', loop('{% set z = L + "" %}'), /too much work/],
      [
        'list literals holding a large list',
        loop('{% set z = [L] %}'),
        /too much work/,
      ],
      ['comparing long strings', loop('{% set z = t < t %}'), /too much work/],
      ['in on a large list', loop('{% set z = "y" in L %}'), /too much work/],
      [
        'splitting a long string into words',
        loop('{% set z = t | replace(" ", "a ") | title %}'),
        /too much work/,
      ],
    ];

    it.each(REFUSED)(
      'the run-time guard stops %s, naming the line and the limit',
      (_, template, message) => {
        for (const render of [renderTemplate, renderWithRuntimeGuardOnly]) {
          const error = thrown(() =>
            render(template, DATA, 'Skeleton file Dockerfile'),
          );
          expect(error).toBeInstanceOf(InputError);
          expect(error.message).toMatch(
            /^Skeleton file Dockerfile, line 1, column \d+: /,
          );
          expect(error.message).toMatch(message);
        }
      },
    );

    it.each([
      ['<', 'values.list < 1'],
      ['==', 'values.list == ""'],
      ['!=', 'values.map != "x"'],
      ['-', 'values.list - 1'],
      ['*', 'values.list * 2'],
      ['/', '2 / values.list'],
      ['%', 'values.list % 2'],
      ['//', 'values.list // 2'],
      ['**', 'values.list ** 2'],
      ['unary -', '-values.list'],
      ['unary +', '+values.map'],
      ['a chain', '1 < 2 < values.list'],
    ])('refuses a list or dict as an operand of %s', (_, expression) => {
      expect(() =>
        renderWithRuntimeGuardOnly(`\${{ ${expression} }}`, DATA, 'f'),
      ).toThrow(
        /^f, line 1, column \d+: lists and dicts cannot be compared or used in arithmetic/,
      );
    });

    const SOURCE_REFUSED: Array<[string, string, RegExp]> = [
      [
        'a long whitespace run before whitespace control',
        `${' '.repeat(60_000)}x{%- if 1 %}{% endif %}`,
        /^f, line 1, column 1: a run of 60000 whitespace characters starts here; files that use whitespace control \(\{%-, \$\{\{- or \{#-\) may have at most 256 in a row/,
      ],
      [
        'a long whitespace run with ${{-',
        `ok\n${'\t'.repeat(300)}x\${{- 1 }}`,
        /^f, line 1, column 3: a run of 301 whitespace characters/,
      ],
      [
        'an unterminated raw block',
        `line\n {% raw %}${'x'.repeat(60_000)}`,
        /^f, line 2, column 2: \{% raw %\} has no matching \{% endraw %\}/,
      ],
      [
        'an unterminated verbatim block',
        `{%- verbatim -%}${'x'.repeat(60_000)}`,
        /^f, line 1, column 1: \{% verbatim %\} has no matching \{% endverbatim %\}/,
      ],
      [
        'a raw block closed with whitespace control, which nunjucks does not see',
        '{% raw %}x{%- endraw %}',
        /\{% raw %\} has no matching \{% endraw %\}; close the block \(write the end tag exactly as \{% endraw %\}\)/,
      ],
      [
        'a nested raw block closed once',
        '{% raw %}{% raw %}x{% endraw %}',
        /\{% raw %\} has no matching \{% endraw %\}/,
      ],
      [
        'a template over 64 KiB',
        'x'.repeat(65_537),
        /^f: a template may be at most 65536 characters long, this one has 65537$/,
      ],
      [
        'loops nested nine deep',
        `${'{% for a in "x" %}'.repeat(9)}${'{% endfor %}'.repeat(9)}`,
        /^f, line 1, column 148: for loops may nest at most 8 deep/,
      ],
    ];

    it.each(SOURCE_REFUSED)(
      'each layer alone refuses %s before any work',
      (_, template, message) => {
        for (const refuse of [
          () => checkTemplateSource(template, 'f'),
          () => renderWithRuntimeGuardOnly(template, DATA, 'f'),
          () => renderTemplate(template, DATA, 'f'),
        ]) {
          const error = thrown(refuse);
          expect(error).toBeInstanceOf(InputError);
          expect(error.message).toMatch(message);
        }
      },
    );

    it.each([
      [
        '256 spaces before whitespace control',
        `${' '.repeat(256)}x{%- if 1 %}{% endif %}`,
      ],
      [
        'long whitespace runs without whitespace control',
        `${' '.repeat(10_000)}x{% if 1 %}{% endif %}`,
      ],
      [
        'nested and whitespace-controlled raw blocks',
        '{% raw %}a{% raw %}b{% endraw %}c{% endraw %}d{%- raw -%} e {% endraw %}',
      ],
      ['a verbatim block', '{% verbatim %}${{ x }}{% endverbatim %}'],
      [
        'loops nested eight deep',
        `${'{% for a in "x" %}'.repeat(8)}\${{ a }}${'{% endfor %}'.repeat(8)}`,
      ],
    ])('still renders %s exactly as plain nunjucks does', (_, template) => {
      const plain = new nunjucks.Environment([], {
        autoescape: false,
        throwOnUndefined: true,
        tags: TAGS,
      }).renderString(template, DATA);
      expect(renderTemplate(template, DATA, 'f')).toBe(plain);
    });

    it('guards every filter a template may use', () => {
      expect([...GUARDED_FILTERS].sort()).toEqual(
        [...FILTER_RULES.keys()].sort(),
      );
    });
  });
});
