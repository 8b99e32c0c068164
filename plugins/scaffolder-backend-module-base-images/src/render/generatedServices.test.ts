import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMockDirectory } from '@backstage/backend-test-utils';
import {
  resolveAndRender,
  Runtime,
  VARIANT_SYSTEMS,
} from '../__testUtils__/renderService';

const run = promisify(execFile);

/**
 * Runs each generated service's own test suite: Python with Debian's
 * python3-fastapi, python3-pytest and python3-httpx (PyPI is unreachable in
 * CI), Node with `node --test`. The test command installs those packages.
 */
const TEST_COMMANDS: Record<Runtime, [string, string[]]> = {
  python: [
    '/usr/bin/python3',
    ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'],
  ],
  node: [process.execPath, ['--test']],
};

describe('generated services pass their own tests', () => {
  const mockDir = createMockDirectory();
  afterAll(() => mockDir.clear());

  describe.each(['python', 'node'] as Runtime[])('%s', runtime => {
    it.each(VARIANT_SYSTEMS)(
      '%s skeleton',
      async (variant, system) => {
        const workspacePath = mockDir.resolve(`${runtime}-${variant}`);
        await resolveAndRender({
          runtime,
          system,
          workspacePath,
          name: `svc-${variant}`,
          description: 'Quotes "here", {{ 7*7 }} and a \\ backslash',
        });
        const [command, args] = TEST_COMMANDS[runtime];
        const { stdout, stderr } = await run(command, args, {
          cwd: workspacePath,
          timeout: 60_000,
        }).catch(error => {
          throw new Error(
            `${command} ${args.join(' ')} failed in ${workspacePath}:\n${
              error.stdout
            }\n${error.stderr}`,
          );
        });
        expect(`${stdout}${stderr}`).toMatch(
          runtime === 'python' ? /3 passed/ : /# pass 3\n# fail 0/,
        );
      },
      90_000,
    );
  });
});
