import { expect, test } from '@playwright/test';
import { closeContexts, newContext, sessionCookie, shot, signIn, tokens, url } from './helpers';
import { startStack, stopStack } from './stack';

test.beforeEach(closeContexts);

// e2e 6: sign-in, sign-out, an expired session, and a cross-site write refused.
test('sign in with a token, keep it off the page, sign out on the server', async ({ page, context, request }) => {
  await page.goto(url() + '/portal/');
  await shot(page, '6-01-sign-in');
  await page.getByLabel('API token').fill('SU-000-000-000:not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('not valid');
  await expect(page.getByLabel('API token')).toHaveValue('SU-000-000-000:not-a-token');
  await shot(page, '6-02-sign-in-refused');

  await signIn(page, tokens().vendor);
  await expect(page.getByRole('heading', { name: 'Fulfillment queue' })).toBeVisible();
  const ck = await sessionCookie(context);
  expect(ck, 'session cookie').toBeTruthy();
  expect(ck!.httpOnly).toBe(true);
  expect(ck!.sameSite).toBe('Strict');
  expect(ck!.expires).toBeGreaterThan(Date.now() / 1000);
  const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
  expect(stored).not.toContain(tokens().vendor.split(':')[1]);
  expect(stored).not.toContain(ck!.value);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Mercato' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('signed out');
  await shot(page, '6-03-signed-out');
  // The server ended the session: the old cookie no longer works.
  const res = await request.get(url() + '/public/v1/auth/context', { headers: { Cookie: `mercato_session=${ck!.value}` } });
  expect(res.status()).toBe(401);
  expect(await res.text()).toContain('ended');
});

test('a cross-site write is refused', async ({ page, context, request }) => {
  await signIn(page, tokens().vendor);
  const before = (await (await request.get(url() + '/public/v1/auth/tokens', { headers: { Authorization: 'ApiKey ' + tokens().vendor } })).json()).length;

  // Same origin, without the CSRF header (as a forged request would be).
  const noCsrf = await page.evaluate(async () => {
    const r = await fetch('/public/v1/auth/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"forged"}' });
    return { status: r.status, body: await r.text() };
  });
  expect(noCsrf.status).toBe(403);
  expect(noCsrf.body).toContain('X-CSRF-Token');

  // Another site posts a form at the API: the SameSite=Strict cookie stays home.
  const evil = await context.newPage();
  await evil.route('http://evil.example/**', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<form method="post" action="${url()}/public/v1/auth/tokens" enctype="text/plain"><input type="hidden" name='{"name":"evil","x":"' value='"}'><button>Win a prize</button></form>`,
  }));
  await evil.goto('http://evil.example/');
  await shot(evil, '6-04-cross-site-page');
  const [answer] = await Promise.all([evil.waitForResponse((r) => r.url().includes('/public/v1/auth/tokens')), evil.getByRole('button', { name: 'Win a prize' }).click()]);
  expect(answer.status()).toBe(401);

  const after = (await (await request.get(url() + '/public/v1/auth/tokens', { headers: { Authorization: 'ApiKey ' + tokens().vendor } })).json()).length;
  expect(after).toBe(before);
});

test('an expired session sends the user back to sign in', async ({ page, context }) => {
  const short = await startStack('-portal-session-ttl', '3s');
  try {
    await signIn(page, short.vars.MERCATO_VENDOR_TOKEN, short.url);
    const ck = (await sessionCookie(context))!;
    expect(ck.expires - Date.now() / 1000).toBeLessThanOrEqual(4);
    await page.waitForTimeout(4000);
    // The browser dropped the expired cookie; put it back to show the
    // server refuses it on its own.
    await context.addCookies([{ name: ck.name, value: ck.value, domain: ck.domain, path: '/', httpOnly: true, sameSite: 'Strict' }]);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Sign in to Mercato' })).toBeVisible();
    await expect(page.getByRole('status')).toContainText('expired');
    await shot(page, '6-05-session-expired');
  } finally {
    await stopStack(short);
  }
});

test('a one-time sign-in link opens one session', async ({ browser, request }) => {
  const res = await request.post(url() + '/public/v1/auth/sign-in-links', { headers: { Authorization: 'ApiKey ' + tokens().provider } });
  expect(res.status()).toBe(201);
  const link = (await res.json()).url as string;
  expect(link).toContain('/portal/#/sign-in/');

  const first = await (await newContext(browser)).newPage();
  await first.goto(link);
  await expect(first.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(first.getByText('Apollo Hub')).toBeVisible();
  expect(first.url()).not.toContain('sign-in');

  const second = await (await newContext(browser)).newPage();
  await second.goto(link);
  await expect(second.getByRole('alert')).toContainText('sign-in link is not valid');
  await shot(second, '6-06-sign-in-link-used');
});
