import { expect, test } from '@playwright/test';
import { shot, tokens, url } from './helpers';

// The portal at a phone's 390 px, driven from the keyboard alone.
test.use({ viewport: { width: 390, height: 844 } });

test('keyboard-only sign-in and pages that fit 390 px', async ({ page }) => {
  await page.goto(url() + '/portal/');
  await expect(page.getByLabel('API token')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('API token')).toBeFocused();
  await page.keyboard.type(tokens().vendor);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Fulfillment queue' })).toBeVisible();

  // The skip link is the first stop and moves focus to the content.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();

  for (const [hash, heading] of [['#/queue', 'Fulfillment queue'], ['#/products', 'Products'], ['#/webhooks', 'Webhooks'], ['#/usage', 'Usage']]) {
    await page.goto(url() + '/portal/' + hash);
    await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${hash} is ${width} px wide`).toBeLessThanOrEqual(390);
    await shot(page, `7-390-${hash.slice(2)}`);
  }
  // Every control of a form has a label.
  await page.goto(url() + '/portal/#/products');
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')].filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).length,
  );
  expect(unlabelled).toBe(0);
});
