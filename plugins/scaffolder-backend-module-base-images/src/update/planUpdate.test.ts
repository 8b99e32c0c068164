import { execFileSync } from 'node:child_process';
import {
  parseDockerfile,
  selectImages,
} from '@internal/backstage-plugin-base-images-common';
import { baseImagesConfig } from '../__testUtils__/fixtures';
import { checkBranchName } from '../actions/inputRules';
import { branchNameFor, planUpdate } from './planUpdate';

const config = baseImagesConfig();
const soc2 = {
  frameworks: [{ id: 'soc2', source: 'domain:default/finance', known: true }],
  missing: [],
  notes: [],
};
const dhiPython = selectImages({ runtime: 'python' }, soc2, config);

function plan(dockerfile: string, digests = new Map<string, string>()) {
  const parsed = parseDockerfile(dockerfile);
  const result = planUpdate(parsed, dhiPython, digests, config);
  return {
    ...result,
    moves: result.changes.map(c => [
      c.stage.name ?? c.stage.index,
      c.role,
      c.image,
    ]),
  };
}

describe('planUpdate', () => {
  it('gives the runtime image to the final stage and the stages it builds on', () => {
    expect(
      plan(
        'FROM python:3.13-slim AS base\nFROM base AS deps\nFROM python:3.13-slim AS builder\nFROM deps\n',
      ).moves,
    ).toEqual([
      ['base', 'runtime', 'dhi.io/python:3.13'],
      ['builder', 'builder', 'dhi.io/python:3.13-dev'],
    ]);
  });

  it('treats a stage named production or runtime as a runtime stage wherever it is', () => {
    expect(
      plan(
        'FROM python:3.13-slim AS production\nFROM python:3.13-slim AS debug\n',
      ).moves,
    ).toEqual([
      ['production', 'runtime', 'dhi.io/python:3.13'],
      ['debug', 'runtime', 'dhi.io/python:3.13'],
    ]);
    expect(
      plan(
        'FROM python:3.13-slim AS runtime\nFROM python:3.13-slim AS debug\nFROM python:3.13-slim AS builder\nFROM runtime\n',
      ).moves,
    ).toEqual([
      ['runtime', 'runtime', 'dhi.io/python:3.13'],
      ['debug', 'debug', 'dhi.io/python:3.13-dev'],
      ['builder', 'builder', 'dhi.io/python:3.13-dev'],
    ]);
  });

  it('leaves other images, stage references and unresolved images alone', () => {
    const result = plan(
      'ARG X\nFROM golang:1.23 AS go\nFROM $X AS odd\nFROM scratch AS empty\nFROM node:22-slim AS web\nFROM go AS more\nFROM python:3.13-slim\n',
    );
    expect(result.moves).toEqual([[5, 'runtime', 'dhi.io/python:3.13']]);
    expect(result.foreignImages).toEqual([
      'golang:1.23',
      'scratch',
      'node:22-slim',
    ]);
  });

  it('changes nothing for stages already on their image, however spelled', () => {
    expect(
      plan('FROM dhi.io/python:3.13-dev AS builder\nFROM dhi.io/python:3.13\n')
        .changes,
    ).toEqual([]);
    // written with a variable: made literal, so the check can read it
    expect(plan('ARG T=3.13\nFROM dhi.io/python:$T\n').moves).toEqual([
      [0, 'runtime', 'dhi.io/python:3.13'],
    ]);
  });

  it('pins to the registry digest, replacing an older pin of the same tag', () => {
    const old = `sha256:${'0'.repeat(64)}`;
    const now = `sha256:${'1'.repeat(64)}`;
    const result = plan(
      `FROM dhi.io/python:3.13@${old}\n`,
      new Map([['dhi.io/python:3.13', now]]),
    );
    expect(result.moves).toEqual([[0, 'runtime', `dhi.io/python:3.13@${now}`]]);
    expect(result.pinnedDigests).toEqual({ 'dhi.io/python:3.13': now });
  });
});

describe('branchNameFor', () => {
  it.each([
    ['3.13', 'base-image/3.13'],
    ['3.13-fips', 'base-image/3.13-fips'],
    ['22-alpine3.21', 'base-image/22-alpine3.21'],
    ['3..13', 'base-image/3.13'],
    ['1.0.lock', 'base-image/1.0'],
    ['x.', 'base-image/x'],
    ['_x', 'base-image/_x'],
    ['...', 'base-image/latest'],
  ])('%s -> %s, a name git accepts', (tag, branch) => {
    expect(branchNameFor(tag)).toBe(branch);
    expect(checkBranchName('branch', branch)).toBe(branch);
    execFileSync('git', ['check-ref-format', '--branch', branch], {
      stdio: 'ignore',
    });
  });
});
