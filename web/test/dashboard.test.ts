// The dashboard end to end: the real stack (Redis, embedded S3, gateway and trainer processes)
// serving the built dashboard, driven in Debian's Chromium through playwright-core. Screenshots of
// every page go to web/test-results/.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildClassFolderZip, realDataFile, syntheticImage } from '../../services/core/test/fixtures.js';
import { LABELS, repoRoot } from '../../services/core/src/index.js';
import { isSkipped, iterateClassFolderZip } from '../../services/core/src/dataset/index.js';
import { startRetrainStack, type RetrainStack } from '../../services/trainer/test/retrain-stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';
const webDir = join(repoRoot, 'web');
const screenshots = join(webDir, 'test-results');
let stack: RetrainStack;
let browser: Browser;
let page: Page;
const browserErrors: string[] = [];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** A real CIFAR-10 test image of `label` when the dataset is present, else a synthetic one. */
async function testImage(label: number): Promise<{ name: string; buffer: Buffer; mimeType: string }> {
  const path = realDataFile('test.zip');
  if (path) {
    for await (const item of iterateClassFolderZip(path)) {
      if (!isSkipped(item) && item.label === label) {
        return { name: item.name.split('/').pop()!, buffer: item.data, mimeType: 'image/jpeg' };
      }
    }
  }
  return {
    name: 'synthetic.png',
    buffer: await syntheticImage(label, 0, { size: 64 }),
    mimeType: 'image/png',
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  // npm test builds the dashboard when it is stale; a bare `vitest run` gets a build here.
  const built = join(webDir, 'dist', 'index.html');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(webDir, 'src'))) {
    await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  }
  mkdirSync(screenshots, { recursive: true });
  stack = await startRetrainStack({ adminToken: ADMIN_TOKEN, replayPerClass: 5, replaySampleSize: 50 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // Reduced motion turns CSS transitions off, so screenshots show bars at their final widths.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => browserErrors.push(`page: ${error.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

async function open(path: string): Promise<void> {
  await page.goto(`${stack.gatewayUrl}/${path}`);
}

const productionRow = () => page.locator('tr', { has: page.getByTestId('production-badge') });

describe('dashboard', () => {
  test('when an image is chosen on Predict, then a label and its percentage are shown', async () => {
    // Until the gateway has loaded the seeded baseline, /predict answers 503.
    await expect
      .poll(
        async () => ((await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as { status: string }).status,
        {
          timeout: 60_000,
          interval: 250,
        },
      )
      .toBe('ready');
    await open('');
    await expect.poll(() => page.title()).toBe('Predict · visionops');
    await page.getByLabel('Choose an image').setInputFiles(await testImage(LABELS.indexOf('ship')));
    const label = page.getByTestId('predicted-label');
    await label.waitFor({ timeout: 30_000 });
    expect(LABELS).toContain(await label.textContent());
    expect(await page.getByTestId('predicted-confidence').textContent()).toMatch(/^\d{1,3}\.\d%$/);
    await expect.poll(() => page.locator('.classes li').count()).toBe(3);
    await page.getByText('model v1').waitFor();
    await page.screenshot({ path: join(screenshots, 'predict.png'), fullPage: true });
  }, 90_000);

  test('when the upload is not a ZIP, then the gateway refusal is shown with its code', async () => {
    await open('#/retrain');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('token set').waitFor();
    await page.getByLabel('ZIP file').setInputFiles({
      name: 'notes.zip',
      mimeType: 'application/zip',
      buffer: Buffer.from('these are not the images you are looking for'),
    });
    await page.getByRole('button', { name: 'Upload and retrain' }).click();
    const refusal = page.getByTestId('upload-refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('not_a_zip');
    // Chromium logs every 4xx response; this one was the point of the test.
    const logged = browserErrors.findIndex((error) => error.includes('status of 400'));
    expect(logged).toBeGreaterThanOrEqual(0);
    browserErrors.splice(logged, 1);
  }, 30_000);

  test('when a ZIP is uploaded with 1 epoch, then its job completes and the new version is listed under Models', async () => {
    await open('#/retrain');
    const { zip } = await buildClassFolderZip({
      perClass: 3,
      format: 'jpeg',
      extra: [{ path: 'cat/broken.jpg', data: 'not a JPEG' }],
    });
    await page
      .getByLabel('ZIP file')
      .setInputFiles({ name: 'new-images.zip', mimeType: 'application/zip', buffer: zip });
    await page.getByLabel('Epochs (1–50)').fill('1');
    await page.getByRole('button', { name: 'Upload and retrain' }).click();
    await page.getByText(/Accepted 31 images as job/).waitFor();
    const job = page.locator('article.job').first();
    await expect
      .poll(() => job.getAttribute('data-state'), { timeout: 150_000, interval: 500 })
      .toBe('completed');
    await job.getByText('promoted', { exact: true }).waitFor();
    await job.locator('svg').waitFor();
    await page.screenshot({ path: join(screenshots, 'retrain.png'), fullPage: true });

    await open('#/models');
    await page.locator('tr[data-version="v2"]').waitFor();
    expect(await productionRow().getAttribute('data-version')).toBe('v2');
  }, 180_000);

  test('when an older version is rolled back to and confirmed, then it is marked as production', async () => {
    await open('#/models');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Roll back to v1?').waitFor();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText('v1 is now in production.').waitFor();
    expect(await productionRow().getAttribute('data-version')).toBe('v1');
    const alias = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
      production: { version: string };
    };
    expect(alias.production.version).toBe('v1');
    await page.getByRole('button', { name: 'v1', exact: true }).click();
    await page.getByRole('table', { name: 'confusion matrix of v1' }).waitFor();
    await page.screenshot({ path: join(screenshots, 'models.png'), fullPage: true });
  }, 60_000);

  test('when System is open, then Redis, S3, the model and the live trainer report ok and the request rate appears', async () => {
    await open('#/system');
    const row = (name: string) =>
      page.locator('tr', { has: page.getByRole('rowheader', { name, exact: true }) });
    for (const name of ['Gateway', 'Model', 'Redis', 'S3', 'ML backend']) {
      await row(name).locator('.badge', { hasText: 'ok' }).waitFor();
    }
    // The stack runs one trainer, idle by now; it announces itself with a heartbeat.
    await expect
      .poll(() => page.getByTestId('trainers-detail').textContent(), { timeout: 15_000 })
      .toBe('1 live, 0 busy');
    await expect
      .poll(() => page.getByTestId('requests-per-second').textContent(), { timeout: 15_000 })
      .toMatch(/^\d+\.\d\d$/);
    await page.screenshot({ path: join(screenshots, 'system.png'), fullPage: true });
  }, 30_000);

  test('when a long job is cancelled from its card, then its state becomes cancelled', async () => {
    await open('#/retrain');
    const { zip } = await buildClassFolderZip({ perClass: 4, format: 'jpeg' });
    await page
      .getByLabel('ZIP file')
      .setInputFiles({ name: 'long-job.zip', mimeType: 'application/zip', buffer: zip });
    await page.getByLabel('Epochs (1–50)').fill('50');
    await page.getByRole('button', { name: 'Upload and retrain' }).click();
    await page.getByText(/Accepted 40 images as job/).waitFor();
    const job = page.locator('article.job', { hasText: 'long-job.zip' }).first();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toMatch(/^(queued|active)$/);
    await job.getByRole('button', { name: /^Cancel/ }).click();
    await expect
      .poll(() => job.getAttribute('data-state'), { timeout: 60_000, interval: 500 })
      .toBe('cancelled');
  }, 120_000);

  test('when the pages were used, then the browser logged no errors', () => {
    expect(browserErrors).toEqual([]);
  });
});
