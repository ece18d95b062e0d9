// `npm run playground:screenshot`: builds the playground and photographs it for the README
// (docs/img/playground.png) in headless Chromium: the default scenario in the middle of a NAPI poll,
// an LRO descriptor growing, and one frame's trace.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs/img/playground.png');

execFileSync(
  process.execPath,
  [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'playground/vite.config.ts', '--logLevel', 'warn'],
  { cwd: ROOT, stdio: 'inherit' },
);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${pathToFileURL(join(ROOT, 'playground/dist/index.html')).href}?autoplay=0`);
  await page.waitForFunction(() => /^Ready/.test(document.getElementById('status')?.textContent ?? ''), null, {
    timeout: 60_000,
  });
  for (let i = 0; i < 30; i++) await page.click('#step-poll');
  // into the next poll: completions taken, the descriptor growing
  for (let i = 0; i < 40; i++) await page.click('#step-event');
  await page.click('.wire .frame >> nth=-4');
  await page.screenshot({ path: OUT });
  process.stdout.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
}
