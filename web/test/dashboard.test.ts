// The dashboard end to end: the real stack (Redis, embedded S3, gateway and trainer processes)
// serving the built dashboard, driven in Debian's Chromium through playwright-core: every input path
// of Predict, feedback on a prediction and retraining on it from Monitoring, keyboard use, an
// axe-core audit of each page, and screenshots of every page (desktop and phone width) in
// web/test-results/.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  buildClassFolderZip,
  eventually,
  greyJpeg,
  realDataFile,
  type TestStack,
  startTestStack,
  syntheticImage,
} from '@visionops/testkit';
import { LABELS, repoRoot } from '@visionops/core';
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import { gatewayOpenApiDocument } from '@visionops/gateway/openapi-document';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without a browser the suite is skipped and says why, so `npm test` passes on a machine without
// one; CI (CI=true) installs Chromium, and there a missing one fails the suite instead.
const NO_CHROMIUM = `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`;
const skipWithoutBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (skipWithoutBrowser) console.info(`[dashboard] skipped: ${NO_CHROMIUM}`);
const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';
const webDir = join(repoRoot, 'web');
const screenshots = join(webDir, 'test-results');
const AXE_SCRIPT = join(webDir, 'node_modules', 'axe-core', 'axe.min.js');
let stack: TestStack;
let browser: Browser;
let page: Page;
const browserErrors: string[] = [];

// web/test is type-checked without the DOM library (it clashes with Node's types): these are the few
// DOM names the functions passed to page.evaluate use. They run in Chromium, where the real ones are.
interface InPageElement {
  tagName: string;
  className: unknown;
  textContent: string | null;
  labels?: ArrayLike<InPageElement> | null;
  parentElement: InPageElement | null;
  getAttribute(name: string): string | null;
  closest(selector: string): InPageElement | null;
  dispatchEvent(event: unknown): boolean;
  getBoundingClientRect(): { right: number };
}
declare const document: {
  activeElement: InPageElement | null;
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): InPageElement | null;
  querySelectorAll(selector: string): ArrayLike<InPageElement>;
  dispatchEvent(event: unknown): boolean;
};
declare function getComputedStyle(element: InPageElement): {
  overflowX: string;
  position: string;
  opacity: string;
};
type EventWith<Init> = new (
  type: string,
  init: Init & { bubbles: boolean; cancelable: boolean },
) => {
  defaultPrevented: boolean;
};
declare const DataTransfer: new () => { items: { add(file: File): unknown } };
declare const DragEvent: EventWith<{ dataTransfer: unknown }>;
declare const ClipboardEvent: EventWith<{ clipboardData: unknown }>;
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}
declare const axe: {
  run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }>;
};

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
  if (skipWithoutBrowser) return;
  if (!existsSync(CHROMIUM)) throw new Error(NO_CHROMIUM);
  // npm test builds the dashboard when it is stale; a bare `vitest run` gets a build here.
  const built = join(webDir, 'dist', 'index.html');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(webDir, 'src'))) {
    await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  }
  mkdirSync(screenshots, { recursive: true });
  stack = await startTestStack({
    adminToken: ADMIN_TOKEN,
    replayPerClass: 5,
    replaySampleSize: 50,
    // Most grey images fall under it, so the Monitoring page has low-confidence predictions to list.
    env: { MONITORING_LOW_CONFIDENCE: '0.9' },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // Reduced motion turns CSS transitions off, so screenshots show bars at their final widths.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  page.on('console', (message) => {
    if (message.type() === 'error')
      browserErrors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => browserErrors.push(`page: ${error.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

async function open(path: string, on: Page = page): Promise<void> {
  await on.goto(`${stack.gatewayUrl}/${path}`);
}

type TestImage = Awaited<ReturnType<typeof testImage>>;

/**
 * Hands `image` to the Predict page the way a browser does: a File in a DataTransfer, built in the
 * page from the bytes, in a dragenter/dragover/drop on the drop zone or a paste on the document.
 * Returns whether the page cancelled each event (a drop only happens where dragover was cancelled).
 */
async function deliverImage(how: 'drop' | 'paste', image: TestImage): Promise<Record<string, boolean>> {
  return page.evaluate(
    ({ how, bytes, name, type }) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], name, { type }));
      const cancelled: Record<string, boolean> = {};
      if (how === 'paste') {
        const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
        document.dispatchEvent(event);
        cancelled.paste = event.defaultPrevented;
        return cancelled;
      }
      const zone = document.querySelector('[data-testid="drop-zone"]');
      if (!zone) throw new Error('no drop zone on the page');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        const event = new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true });
        zone.dispatchEvent(event);
        cancelled[type] = event.defaultPrevented;
      }
      return cancelled;
    },
    { how, bytes: [...image.buffer], name: image.name, type: image.mimeType },
  );
}

async function expectPrediction(fileName: string): Promise<void> {
  const label = page.getByTestId('predicted-label');
  await label.waitFor({ timeout: 30_000 });
  expect(LABELS).toContain(await label.textContent());
  expect(await page.getByTestId('predicted-confidence').textContent()).toMatch(/^\d{1,3}\.\d%$/);
  // The preview shows the file that was handed over, not one from an earlier test.
  await page.getByRole('img', { name: `preview of ${fileName}` }).waitFor();
}

/** The focused element as `tag:name`, its name as a screen reader would roughly read it. */
function focused(on: Page = page): Promise<string> {
  return on.evaluate(() => {
    const element = document.activeElement;
    if (!element || element.tagName === 'BODY') return 'body';
    const name =
      element.getAttribute('aria-label') ?? element.labels?.[0]?.textContent ?? element.textContent ?? '';
    return `${element.tagName.toLowerCase()}:${name.replace(/\s+/g, ' ').trim()}`;
  });
}

/**
 * axe-core rules left out of the audit, each with the reason. None: every rule axe runs by default
 * (WCAG 2.0 to 2.2 A and AA, and best practices) must pass.
 */
const DISABLED_AXE_RULES: Record<string, string> = {};

/** axe-core's violations on what `on` shows now, as `impact rule: help (elements)`. */
async function axeViolations(on: Page): Promise<string[]> {
  await on.addScriptTag({ path: AXE_SCRIPT });
  return on.evaluate(async (disabled) => {
    const result = await axe.run(document, {
      rules: Object.fromEntries(disabled.map((id) => [id, { enabled: false }])),
      resultTypes: ['violations'],
    });
    return result.violations.map(
      (v) =>
        `${v.impact ?? 'unknown'} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
  }, Object.keys(DISABLED_AXE_RULES));
}

/** Fails on any axe-core violation on what `on` shows now, naming the rule and the elements. */
async function audit(on: Page, state: string): Promise<void> {
  expect(await axeViolations(on), `axe-core violations on ${state}`).toEqual([]);
}

/**
 * What makes the page wider than the viewport (a sideways scroll on a phone): the elements that reach
 * past its right edge without a scrolling or clipping box around them. Empty when the page fits.
 */
function overflowing(on: Page): Promise<string[]> {
  return on.evaluate(() => {
    const { scrollWidth, clientWidth } = document.documentElement;
    if (scrollWidth <= clientWidth) return [];
    // An absolutely placed element escapes the scrolling boxes around it unless one is positioned;
    // counting it as escaping always is close enough to name the culprit.
    const clipped = (element: InPageElement) => {
      if (getComputedStyle(element).position === 'absolute') return false;
      for (let up = element.parentElement; up; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible') return true;
      }
      return false;
    };
    const culprits = Array.from(document.querySelectorAll('body *'))
      .filter((element) => element.getBoundingClientRect().right > clientWidth + 1 && !clipped(element))
      .map((element) => `${element.tagName.toLowerCase()}.${String(element.className)}`);
    return [`page ${scrollWidth}px wide in ${clientWidth}px`, ...culprits.slice(-5)];
  });
}

const productionRow = () => page.locator('tr', { has: page.getByTestId('production-badge') });

describe.skipIf(skipWithoutBrowser)('dashboard', () => {
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

  test('when an image file is dropped on the drop zone, then a label and its percentage are shown', async () => {
    await open('');
    await page.getByText('No image yet').waitFor();
    const image = await testImage(LABELS.indexOf('cat'));
    const cancelled = await deliverImage('drop', image);
    // Without cancelled dragenter/dragover a real drag would open the image instead of dropping it.
    expect(cancelled).toEqual({ dragenter: true, dragover: true, drop: true });
    await expectPrediction(image.name);
  }, 60_000);

  test('when Explain is on and an image is chosen on Predict, then its saliency map is drawn over it with a legend', async () => {
    await open('');
    await page.getByText('No image yet').waitFor();
    await page.getByLabel('Explain: show where the model looked').check();
    const image = await testImage(LABELS.indexOf('horse'));
    await page.getByLabel('Choose an image').setInputFiles(image);
    await expectPrediction(image.name);
    const label = await page.getByTestId('predicted-label').textContent();
    const overlay = page.getByTestId('explanation-overlay');
    await overlay.waitFor({ timeout: 30_000 });
    expect(await overlay.getAttribute('alt')).toBe(`saliency map for ${label} over ${image.name}`);
    expect(await overlay.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    // The PNG decoded in the browser: 32x32, laid over the image at the same place and size.
    const drawn = await overlay.evaluate((element) => {
      const img = element as unknown as { naturalWidth: number; naturalHeight: number; complete: boolean };
      return { width: img.naturalWidth, height: img.naturalHeight, complete: img.complete };
    });
    expect(drawn).toEqual({ width: 32, height: 32, complete: true });
    const under = await page.locator('.overlay-frame .under').boundingBox();
    expect(await overlay.boundingBox()).toEqual(under);
    await page.getByText('low', { exact: true }).waitFor();
    await page.screenshot({ path: join(screenshots, 'predict-explain.png'), fullPage: true });
    await page.getByLabel('Overlay opacity').fill('0.4');
    await expect
      .poll(() =>
        overlay.evaluate((element) => getComputedStyle(element as unknown as InPageElement).opacity),
      )
      .toBe('0.4');
  }, 60_000);

  test('when an image is pasted with nothing focused, then a label and its percentage are shown', async () => {
    await open('');
    await page.getByText('No image yet').waitFor();
    expect(await focused()).toBe('body');
    const image = await testImage(LABELS.indexOf('airplane'));
    expect(await deliverImage('paste', image)).toEqual({ paste: true });
    await expectPrediction(image.name);
  }, 60_000);

  test('when the gateway serves /openapi.json, then it is the document the dashboard types are generated from', async () => {
    const served = (await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json()) as {
      info: { version: string };
    };
    const inProcess = await gatewayOpenApiDocument(served.info.version);
    expect(JSON.parse(JSON.stringify(inProcess))).toEqual(served);
  }, 30_000);

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
    // The page follows the swap closely, well before its 10 s refresh.
    await page.getByText('production v1 · this gateway serves v1').waitFor({ timeout: 5000 });
    const alias = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
      production: { version: string };
    };
    expect(alias.production.version).toBe('v1');
    // Each accuracy names the set it was measured on, since versions can be evaluated on different sets.
    for (const version of ['v1', 'v2']) {
      const card = (await (await fetch(`${stack.gatewayUrl}/models/${version}`)).json()) as {
        metrics: { dataset: string; n: number };
      };
      const text = await page.locator(`tr[data-version="${version}"]`).getByTestId('eval-set').textContent();
      const [dataset, count] = (text ?? '').split(' · ');
      expect({ dataset, n: count?.replace(/\D/g, '') }).toEqual({
        dataset: card.metrics.dataset,
        n: String(card.metrics.n),
      });
    }
    await page.getByRole('button', { name: 'v1', exact: true }).click();
    await page.getByRole('table', { name: 'confusion matrix of v1' }).waitFor();
    // The shipped baseline is served with flip test-time augmentation, and the page says so.
    const v1 = (await (await fetch(`${stack.gatewayUrl}/models/v1`)).json()) as {
      architecture: { width: number; testTimeAugmentation?: string };
    };
    expect(v1.architecture.testTimeAugmentation).toBe('flip');
    expect(await page.locator('#detail-heading').textContent()).toContain(
      `(width ${v1.architecture.width}, answers averaged with the mirror image)`,
    );
    await page.screenshot({ path: join(screenshots, 'models.png'), fullPage: true });
  }, 60_000);

  test('when a canary of v2 is started from the Models page and aborted, then its live figures and then its history are shown', async () => {
    await open('#/models');
    const rollouts = page.getByTestId('rollouts');
    await rollouts.getByRole('button', { name: 'Start rollout' }).waitFor();
    await rollouts.getByLabel('Candidate', { exact: true }).selectOption('v2');
    await rollouts.getByLabel('Share (%)', { exact: true }).fill('50');
    await rollouts.getByRole('button', { name: 'Start rollout' }).click();
    const figures = rollouts.getByTestId('rollout-figures');
    await figures.waitFor({ timeout: 30_000 });
    // Traffic from distinct clients until the candidate has answered some of it.
    const image = await syntheticImage(3, 1);
    await expect
      .poll(
        async () => {
          const form = new FormData();
          form.append('file', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'a.png');
          const response = await fetch(`${stack.gatewayUrl}/predict`, {
            method: 'POST',
            body: form,
            headers: { 'x-client-id': randomUUID() },
          });
          return ((await response.json()) as { modelVersion: string }).modelVersion;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe('v2');
    await expect
      .poll(async () => figures.locator('tr', { hasText: 'Requests' }).locator('td').nth(1).textContent(), {
        timeout: 15_000,
      })
      .not.toBe('0');
    await page.screenshot({ path: join(screenshots, 'rollout.png'), fullPage: true });
    await rollouts.getByRole('button', { name: 'Abort (keep v1)' }).click();
    const history = rollouts.getByTestId('rollout-history');
    await history.getByText('aborted from the dashboard').waitFor({ timeout: 15_000 });
    expect(await history.locator('tbody tr').first().textContent()).toMatch(
      /v2.*vs v1.*canary 50%.*aborted.*by admin/,
    );
    expect(await productionRow().getAttribute('data-version')).toBe('v1');
  }, 90_000);

  test('when the dashboard is used with the keyboard only, then Tab reaches every control in order and Enter/Space act', async () => {
    // Fresh documents, so Tab starts from the top and not from where an earlier test left the focus.
    await page.goto('about:blank');
    await open('#/retrain');
    await page.getByRole('heading', { name: 'Retrain', exact: true }).waitFor();
    // The skip link keeps the page (the route is the hash, #main is not one) and focuses main.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('a:Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.title()).toBe('Retrain · visionops');
    expect((await focused()).startsWith('main:')).toBe(true);

    await page.goto('about:blank');
    await open('');
    await page.getByRole('button', { name: 'Classify the automobile sample' }).waitFor();
    const stops: string[] = [];
    for (let i = 0; i < 14; i += 1) {
      await page.keyboard.press('Tab');
      stops.push(await focused());
    }
    expect(stops).toEqual([
      'a:Skip to content',
      'a:Predict',
      'a:Retrain',
      'a:Models',
      'a:Monitoring',
      'a:System',
      'input:Admin token',
      'button:Save',
      'input:Choose an image',
      'input:Explain: show where the model looked (slower)',
      'button:Classify the airplane sample',
      'button:Classify the ship sample',
      'button:Classify the frog sample',
      'button:Classify the automobile sample',
    ]);
    // Space on the focused sample button classifies it.
    await page.keyboard.press('Space');
    await page.getByTestId('predicted-label').waitFor({ timeout: 30_000 });
    await page.getByRole('img', { name: 'preview of automobile-sample.png' }).waitFor();

    // Enter on a navigation link opens its page.
    await page.keyboard.press('Shift+Tab');
    await page.getByRole('link', { name: 'Models' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.title()).toBe('Models · visionops');
    await page.locator('tr[data-version="v2"]').waitFor();

    // Tab to v2's promote button (v1 is in production since the rollback) and open the confirmation.
    const toPromote: string[] = [];
    for (let i = 0; i < 20 && toPromote.at(-1) !== 'button:Promote to v2'; i += 1) {
      await page.keyboard.press('Tab');
      toPromote.push(await focused());
    }
    expect(toPromote.at(-1), `Tab stops: ${toPromote.join(', ')}`).toBe('button:Promote to v2');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Promote to v2?' });
    await dialog.waitFor();
    const inDialog = () => page.evaluate(() => document.activeElement?.closest('dialog[open]') != null);
    expect(await inDialog()).toBe(true);
    // The modal keeps the focus: Tab and Shift+Tab go round its buttons and never leave it.
    const seen = new Set<string>();
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      expect(await inDialog(), `focus after ${key}`).toBe(true);
      seen.add(await focused());
    }
    expect([...seen].sort()).toEqual(['button:Cancel', 'button:Promote']);
    // Escape closes it without promoting and gives the focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused()).toBe('button:Promote to v2');
    expect(await productionRow().getAttribute('data-version')).toBe('v1');
  }, 90_000);

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

  test('when axe-core audits every page, with a result, an error, a refusal, the job list, a model and a confirmation open, then it finds no violation, and no page overflows a phone', async () => {
    // A page of its own that ignores the Content-Security-Policy: addScriptTag puts axe-core in as an
    // inline script, which the dashboard's policy rightly refuses. The main page keeps the policy.
    // The main page stops polling System meanwhile: less load on the shared machine.
    await page.goto('about:blank');
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      reducedMotion: 'reduce',
      bypassCSP: true,
    });
    const auditPage = await context.newPage();
    auditPage.on('pageerror', (error) => browserErrors.push(`audit page: ${error.message}`));
    try {
      // The audit can fail: on a page made with a violation, axe-core reports it.
      await auditPage.setContent(
        '<!doctype html><html lang="en"><title>x</title><main><img src="data:,"></main>',
      );
      expect(await axeViolations(auditPage)).toContainEqual(expect.stringMatching(/^critical image-alt: /));

      await open('', auditPage);
      await auditPage.getByRole('button', { name: 'Classify the ship sample' }).waitFor();
      await audit(auditPage, 'Predict before an image');
      await auditPage.getByLabel('Choose an image').setInputFiles(await testImage(LABELS.indexOf('ship')));
      await auditPage.getByTestId('predicted-label').waitFor({ timeout: 30_000 });
      await audit(auditPage, 'Predict with a result');
      // Explain turned on explains the image shown.
      await auditPage.getByLabel('Explain: show where the model looked').check();
      await auditPage.getByTestId('explanation-overlay').waitFor({ timeout: 30_000 });
      await audit(auditPage, 'Predict with an explanation');
      await auditPage.getByLabel('Explain: show where the model looked').uncheck();
      // An error state from the gateway: a text file that claims to be a PNG (415).
      await auditPage.getByLabel('Choose an image').setInputFiles({
        name: 'notes.png',
        mimeType: 'image/png',
        buffer: Buffer.from('not a picture'),
      });
      await auditPage.getByRole('alert').waitFor();
      await audit(auditPage, 'Predict with an error');
      await auditPage.screenshot({ path: join(screenshots, 'predict-error.png'), fullPage: true });

      await open('#/retrain', auditPage);
      await auditPage.locator('article.job').first().waitFor();
      await audit(auditPage, 'Retrain with its jobs');
      // Without the admin token the gateway refuses the upload (401): the refusal is shown.
      await auditPage.getByLabel('ZIP file').setInputFiles({
        name: 'notes.zip',
        mimeType: 'application/zip',
        buffer: Buffer.from('not a zip'),
      });
      await auditPage.getByRole('button', { name: 'Upload and retrain' }).click();
      await auditPage.getByTestId('upload-refusal').waitFor();
      await audit(auditPage, 'Retrain with a refusal and no admin token');
      await auditPage.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await auditPage.getByRole('button', { name: 'Save' }).click();
      await auditPage.getByText('token set').waitFor();
      await audit(auditPage, 'Retrain with the admin token set');

      await open('#/models', auditPage);
      await auditPage.getByRole('button', { name: 'v1', exact: true }).click();
      await auditPage.getByRole('table', { name: 'confusion matrix of v1' }).waitFor();
      await audit(auditPage, 'Models with v1 selected');
      await auditPage.getByRole('button', { name: 'Promote to v2' }).click();
      await auditPage.getByRole('dialog', { name: 'Promote to v2?' }).waitFor();
      await audit(auditPage, 'Models with the promote confirmation open');
      await auditPage.keyboard.press('Escape');

      await open('#/system', auditPage);
      await auditPage.getByTestId('trainers-detail').waitFor();
      await auditPage.getByTestId('requests-per-second').waitFor();
      await audit(auditPage, 'System');

      await open('#/monitoring', auditPage);
      await auditPage.getByTestId('drift-state').waitFor();
      await audit(auditPage, 'Monitoring');

      // Phone width: nothing wider than the screen (wide tables scroll inside their own box).
      await auditPage.setViewportSize({ width: 390, height: 844 });
      await open('', auditPage);
      await auditPage.getByLabel('Choose an image').setInputFiles(await testImage(LABELS.indexOf('frog')));
      await auditPage.getByTestId('predicted-label').waitFor({ timeout: 30_000 });
      expect(await overflowing(auditPage), 'Predict at 390 px').toEqual([]);
      // The file picker stays inside its drop zone (a flex item grows to the input's own width).
      const zone = (await auditPage.getByTestId('drop-zone').boundingBox())!;
      const picker = (await auditPage.getByLabel('Choose an image').boundingBox())!;
      expect(picker.x).toBeGreaterThanOrEqual(zone.x);
      expect(picker.x + picker.width).toBeLessThanOrEqual(zone.x + zone.width);
      await auditPage.screenshot({ path: join(screenshots, 'predict-phone.png'), fullPage: true });
      await audit(auditPage, 'Predict at phone width');
      for (const [hash, name] of [
        ['#/retrain', 'retrain'],
        ['#/models', 'models'],
        ['#/system', 'system'],
        ['#/monitoring', 'monitoring'],
      ] as const) {
        await open(hash, auditPage);
        await auditPage.locator('main section').first().waitFor();
        if (name === 'models') await auditPage.getByRole('table', { name: /^confusion matrix of/ }).waitFor();
        expect(await overflowing(auditPage), `${name} at 390 px`).toEqual([]);
        if (name === 'models') {
          await auditPage.screenshot({ path: join(screenshots, 'models-phone.png'), fullPage: true });
        }
      }
    } finally {
      await context.close();
    }
  }, 120_000);

  test('when a prediction is marked wrong on Predict, then Monitoring counts it as waiting and retrains on it', async () => {
    await open('');
    await page.getByLabel('Choose an image').setInputFiles(await testImage(LABELS.indexOf('cat')));
    const predicted = await page.getByTestId('predicted-label').textContent({ timeout: 30_000 });
    const right = predicted === 'cat' ? 'dog' : 'cat';
    await page.getByLabel('Wrong? Pick the right label').selectOption(right);
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await expect
      .poll(() => page.getByTestId('feedback-state').textContent(), { timeout: 15_000 })
      .toMatch(`Thanks: recorded as ${right}.`);

    await open('#/monitoring');
    await expect.poll(() => page.title()).toBe('Monitoring · visionops');
    await expect
      .poll(() => page.getByTestId('feedback-waiting').textContent(), { timeout: 15_000 })
      .toBe('1');
    await expect.poll(() => page.getByTestId('class-distribution').locator('li').count()).toBe(LABELS.length);
    // The page says whether drift could be measured, and if so its state.
    expect(await page.getByTestId('drift-state').textContent()).toMatch(
      /no reference|too few predictions|no drift|alert/,
    );
    await page.screenshot({ path: join(screenshots, 'monitoring.png'), fullPage: true });

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Retrain on feedback' }).click();
    await page.getByText(/^Retrain job \S+ queued on 1 labelled image\(s\)\.$/).waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('feedback-waiting').textContent(), { timeout: 15_000 })
      .toBe('0');
    expect(await page.getByRole('button', { name: 'Retrain on feedback' }).isDisabled()).toBe(true);
  }, 90_000);

  test('when traffic turns grey, then Monitoring charts drift per signal against the threshold, shows the alert and lists low-confidence predictions with thumbnails', async () => {
    // The retrain from feedback of the test before may still be running: the grey traffic goes to
    // the version that stays in production, which the Monitoring page then shows.
    await eventually(
      async () => {
        const { jobs } = (await (await fetch(`${stack.gatewayUrl}/jobs`)).json()) as {
          jobs: { state: string }[];
        };
        const models = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
          production: { version: string } | null;
          serving: string | null;
        };
        const busy = jobs.some((job) => job.state === 'queued' || job.state === 'active');
        return !busy && models.production?.version === models.serving;
      },
      120_000,
      'no job running and the gateway serving production',
    );
    // Test images past the ones the stack's evaluation set holds, made grey.
    const path = realDataFile('test.zip');
    const images: Buffer[] = [];
    if (path) {
      const seen = new Array<number>(LABELS.length).fill(0);
      for await (const item of iterateClassFolderZip(path)) {
        // Twelve of each class: grey, not one class.
        const k = isSkipped(item) ? -1 : seen[item.label]!++;
        if (isSkipped(item) || k < 20 || k >= 32) continue;
        images.push(await greyJpeg(item.data));
      }
    } else {
      for (let i = 0; i < 120; i++)
        images.push(await greyJpeg(await syntheticImage(i % 10, i, { size: 64 })));
    }
    for (const image of images) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'grey.jpg');
      const response = await fetch(`${stack.gatewayUrl}/predict`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
    }

    await open('#/monitoring');
    await page.getByTestId('drift-history').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('drift-state').textContent(), { timeout: 15_000 })
      .toMatch(/alert.*colour/);
    // A line per signal, the threshold, and the bucket the grey traffic fell in shaded as alerting.
    for (const signal of ['class', 'confidence', 'brightness', 'contrast', 'colour']) {
      expect(await page.getByTestId(`drift-line-${signal}`).getAttribute('d')).toMatch(/^M\d/);
    }
    expect(await page.getByTestId('threshold-line').count()).toBe(1);
    await expect.poll(() => page.getByTestId('alert-bucket').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('history-alerts').textContent()).toMatch(
      /^[1-9]\d* of 20 buckets in alert\.$/,
    );
    // The low-confidence list: time, version, class, confidence, and the input (kept for the
    // feedback window; the admin token from earlier is still set in this tab).
    const rows = page.getByTestId('low-confidence-row');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(1);
    expect(await rows.first().locator('td').nth(3).textContent()).toMatch(
      new RegExp(`^(${LABELS.join('|')})$`),
    );
    expect(await rows.first().locator('td').nth(4).textContent()).toMatch(/^\d{1,2}\.\d%$/);
    await expect
      .poll(() => page.locator('img.thumbnail').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('thumbnail-policy').textContent()).toMatch(/privacy default/);
    await page.screenshot({ path: join(screenshots, 'monitoring-drift.png'), fullPage: true });
  }, 120_000);

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
