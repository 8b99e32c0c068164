import fs from 'node:fs';
import path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { FRONTEND } from './processes';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing that would reach the network. */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A signed-in page for one test. Every test leaves a screenshot; on failure
 * the screenshot and the page's console are kept next to it.
 */
export async function withPage(
  browser: Browser,
  outputDir: string,
  name: string,
  run: (page: Page) => Promise<void>,
) {
  fs.mkdirSync(outputDir, { recursive: true });
  const context: BrowserContext = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
  });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', message =>
    consoleLines.push(`[${message.type()}] ${message.text()}`),
  );
  page.on('pageerror', error =>
    consoleLines.push(`[pageerror] ${error.message}`),
  );
  try {
    await page.goto(FRONTEND);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByText('Catalog').first().waitFor();
    await run(page);
    await page.screenshot({
      path: path.join(outputDir, `${name}.png`),
      fullPage: true,
    });
  } catch (error) {
    await page
      .screenshot({
        path: path.join(outputDir, `${name}.failed.png`),
        fullPage: true,
      })
      .catch(() => undefined);
    fs.writeFileSync(
      path.join(outputDir, `${name}.console.log`),
      consoleLines.join('\n'),
    );
    throw error;
  } finally {
    await context.close();
  }
}
