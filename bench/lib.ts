import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Summary statistics of a list of durations in milliseconds. */
export function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    runs: sorted.length,
    median: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

export const round = (value: number) => Math.round(value * 100) / 100;

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function writeResult(name: string, result: object) {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        host: `${os.cpus().length} cores`,
        ...result,
      },
      null,
      2,
    )}\n`,
  );
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

/** A logger that drops everything: benchmarks measure work, not logging. */
export const silentLogger: any = new Proxy(
  {},
  {
    get: (_t, key) => (key === 'child' ? () => silentLogger : () => undefined),
  },
);
