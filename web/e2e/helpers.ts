import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const url = () => process.env.E2E_URL!;
export const tokens = () => ({ vendor: process.env.E2E_VENDOR_TOKEN!, provider: process.env.E2E_PROVIDER_TOKEN! });

// Screenshots of every page a test passes through go to e2e-output/screens
// (git-ignored); a few are copied to docs/portal for the README.
const screens = join(dirname(fileURLToPath(import.meta.url)), '../e2e-output/screens');
mkdirSync(screens, { recursive: true });

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(screens, name + '.png'), fullPage: true });
}

export async function signIn(page: Page, token: string, base = url()) {
  await page.goto(base + '/portal/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

export async function sessionCookie(ctx: BrowserContext) {
  return (await ctx.cookies()).find((c) => c.name === 'mercato_session');
}

// Contexts opened on the worker's shared browser stay open, their pages
// polling the platform, until closed. Each spec closes the ones the test
// before opened when the next begins (after that test's failure
// screenshots and trace are taken).
const opened: BrowserContext[] = [];

export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  opened.push(ctx);
  return ctx;
}

export async function closeContexts() {
  await Promise.all(opened.splice(0).map((c) => c.close()));
}

// as opens a new browser context signed in with token.
export async function as(browser: Browser, token: string): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await signIn(page, token);
  return page;
}

// usageRows downloads the CSV template of the usage file whose panel is
// open on page and answers a function that writes a file of it: one row per
// [record id, quantity] of the Recording minutes item (MPN-246-MIN) on
// asset, over the time the asset has been active.
export async function usageRows(page: Page, asset: string): Promise<(records: [string, string][]) => Buffer> {
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'CSV' }).click();
  const header = readFileSync((await (await download).path())!, 'utf8').split(/\r?\n/)[0].split(',');
  const res = await page.request.get(url() + '/public/v1/assets/' + asset, { headers: { Authorization: 'ApiKey ' + tokens().vendor } });
  expect(res.status()).toBe(200);
  const from = new Date((await res.json()).activated_at).getTime();
  const now = Date.now();
  const row = (id: string, qty: string) => {
    const r: Record<string, string> = {
      record_id: id, record_note: 'portal', item_search_criteria: 'item.mpn', item_search_value: 'MPN-246-MIN', quantity: qty,
      start_time_utc: new Date(from + 1).toISOString(), end_time_utc: new Date(now).toISOString(),
      asset_search_criteria: 'asset.id', asset_search_value: asset,
    };
    return header.map((c) => r[c] ?? '').join(',');
  };
  return (records) => Buffer.from([header.join(','), ...records.map(([id, qty]) => row(id, qty))].join('\n') + '\n');
}
