import { checkNewServiceInput } from './newService';
import { InvalidInputError } from './errors';

describe('checkNewServiceInput (base-images:resolve and POST /preview)', () => {
  it('reads a full input, owner and system as full refs', () => {
    expect(
      checkNewServiceInput({
        runtime: 'python',
        version: '3.13',
        flavor: 'standard',
        situation: 'production',
        owner: 'web-team',
        system: 'default/billing',
        frameworks: ['soc2'],
        extra: 'ignored',
      }),
    ).toEqual({
      runtime: 'python',
      version: '3.13',
      flavor: 'standard',
      situation: 'production',
      owner: 'group:default/web-team',
      system: 'system:default/billing',
      frameworks: ['soc2'],
    });
  });

  it('treats empty optional fields as not given', () => {
    expect(
      checkNewServiceInput({ runtime: 'node', owner: '', system: null }),
    ).toEqual({ runtime: 'node' });
  });

  it.each([
    [undefined, /must be an object/],
    [[], /must be an object/],
    [{}, /runtime is required/],
    [{ runtime: 42 }, /runtime must be text/],
    [
      { runtime: 'python\nFROM x' },
      /runtime .* contains the control character U\+000A/,
    ],
    [
      { runtime: 'python', owner: 'user:default/a\nFROM x AS y' },
      /owner .* contains the control character U\+000A/,
    ],
    [{ runtime: 'python', owner: 'a\u2028b' }, /U\+2028/],
    [
      { runtime: 'python', owner: 'system:default/x' },
      /is a system; it must be a group or user/,
    ],
    [
      { runtime: 'python', system: 'default/a/b' },
      /is not an entity ref|naming rules/,
    ],
    [{ runtime: 'python', system: 'x'.repeat(301) }, /at most 300/],
    [{ runtime: 'python', frameworks: 'soc2' }, /frameworks must be a list/],
    [
      { runtime: 'python', frameworks: ['soc2\r'] },
      /frameworks\[0\] .* control character/,
    ],
    [
      { runtime: 'python', frameworks: Array.from({ length: 21 }, () => 'x') },
      /at most 20 ids/,
    ],
  ])('refuses %j naming the field', (input, message) => {
    let thrown: unknown;
    try {
      checkNewServiceInput(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as Error).message).toMatch(message);
  });
});
