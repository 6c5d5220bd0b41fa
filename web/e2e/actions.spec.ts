import { expect, test, type APIRequestContext } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { as, closeContexts, shot, tokens, url } from './helpers';

// e2e 7–12: the provider's subscription actions, the webhook App Portal's
// recovery and secret rotation, API tokens, a request inquired with a
// template and then failed, a listing request rejected with a reason, and a
// webhook disabled, enabled and deleted. Each test sets up what it needs
// through the public API, so it does not depend on the journey's order.

test.beforeEach(closeContexts);

// api calls the public API with a token, as a script would, and fails the
// test on an answer other than the one expected.
function api(req: APIRequestContext) {
  return async (method: string, path: string, token: string, data?: unknown, want = 200): Promise<any> => {
    const res = await req.fetch(url() + path, { method, data, headers: { Authorization: 'ApiKey ' + token } });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBe(want);
    return res.status() === 204 ? undefined : res.json();
  };
}

type Call = ReturnType<typeof api>;

// requestedListing sets up through the API a product (with body's extra
// fields) published with its default item and activation template, and any
// extra templates, and a request to list it on the demo marketplace, left
// pending.
async function requestedListing(call: Call, name: string, body: object = {}, templates: object[] = []) {
  const { vendor } = tokens();
  const mp = process.env.E2E_MARKETPLACE!;
  const prd = await call('POST', '/public/v1/products', vendor, { name, ...body }, 201);
  const base = '/public/v1/products/' + prd.id;
  const [item] = await call('GET', base + '/items', vendor);
  const [tpl] = await call('GET', base + '/templates', vendor);
  const extra: any[] = [];
  for (const t of templates) extra.push(await call('POST', base + '/templates', vendor, t, 201));
  await call('POST', base + '/publish', vendor, undefined, 201);
  const lr = await call('POST', '/public/v1/listing-requests', vendor, { product: prd.id, marketplace: mp, prices: [{ item: item.id, price: '9.00', terms: ['P1M'] }] }, 201);
  return { prd, item, tpl, extra, lr };
}

// orderedProduct sets up what a test of later steps needs: requestedListing's
// product, listed, and ordered through Partner Center for a new customer
// with a monthly term, the vendor's purchase request left pending.
async function orderedProduct(call: Call, name: string, company: string, body: object = {}, templates: object[] = []) {
  const { provider } = tokens();
  const mp = process.env.E2E_MARKETPLACE!;
  const { prd, item, tpl, extra, lr } = await requestedListing(call, name, body, templates);
  await call('POST', `/public/v1/listing-requests/${lr.id}/approve`, provider);
  const customer = await call('POST', '/v1/customers', provider, {
    companyProfile: { companyName: company },
    billingProfile: { email: 'it@' + company.split(' ')[0].toLowerCase() + '.example', defaultAddress: { country: 'US', city: 'Austin', addressLine1: '1 Main St', postalCode: '73301' } },
  }, 201);
  const order = await call('POST', `/v1/customers/${customer.id}/orders`, provider, {
    billingCycle: 'monthly', lineItems: [{ lineItemNumber: 0, offerId: `${prd.id}:${item.local_id}:${mp}`, quantity: 1, termDuration: 'P1M' }],
  }, 201);
  return { prd, tpl, extra, customer: customer.id as string, sub: order.lineItems[0].subscriptionId as string };
}

test('7. the provider suspends, resumes, switches auto-renew and cancels a subscription', async ({ browser }) => {
  const p = await as(browser, tokens().provider);
  const call = api(p.request);
  const { vendor, provider } = tokens();

  // A product that supports suspend and resume, ordered for a new customer
  // with a monthly term (so auto-renew applies).
  const { tpl, sub, customer } = await orderedProduct(call, 'Connect Backup Vault', 'Tailspin Toys', { capabilities: { suspend_resume_supported: true } });
  expect(tpl.name).toBe('Default Activation Template');
  // The vendor approves each request the provider's actions make, with the
  // product's default activation template.
  const approve = async (type: string) => {
    const [r] = await call('GET', `/public/v1/requests?asset.id=${sub}&status=pending&type=${type}`, vendor);
    expect(r, `a pending ${type} request of ${sub}`).toBeTruthy();
    await call('POST', `/public/v1/requests/${r.id}/approve`, vendor, { template_id: tpl.id });
  };
  await approve('purchase');

  await p.getByRole('link', { name: 'Customers' }).click();
  await p.getByRole('link', { name: 'Tailspin Toys' }).click();
  await expect(p).toHaveURL(new RegExp('#/customers/' + customer));
  const card = p.getByRole('region', { name: 'Subscription ' + sub });
  await expect(card.locator('.status')).toHaveText('active');
  await expect(card).toContainText('auto-renew on');
  await expect(p.getByText('cancel only until the cancellation date shown')).toBeVisible();

  // Auto-renew applies at once: off, then on again.
  const renew = card.getByRole('checkbox', { name: 'Auto-renew' });
  await expect(renew).toBeChecked();
  await renew.uncheck();
  await expect(card).toContainText('auto-renew off');
  await expect(renew).not.toBeChecked();
  await renew.check();
  await expect(card).toContainText('auto-renew on');
  expect((await call('GET', `/v1/customers/${customer}/subscriptions/${sub}`, provider)).autoRenewEnabled).toBe(true);

  // Suspend becomes a request the vendor approves.
  await card.getByRole('button', { name: 'Suspend' }).click();
  await expect(card).toContainText('pending suspend');
  await shot(p, '7-01-suspend-pending');
  await approve('suspend');
  await expect(card.locator('.status')).toHaveText('suspended');
  // A suspended subscription refuses an auto-renew change, with the
  // reason; the checkbox springs back.
  await renew.click();
  await expect(card.getByRole('alert')).toContainText('resume it before changing its auto-renewal');
  await expect(renew).toBeChecked();
  await expect(card).toContainText('auto-renew on');

  // Resume.
  await card.getByRole('button', { name: 'Resume' }).click();
  await expect(card).toContainText('pending resume');
  await expect(card.getByRole('alert')).toHaveCount(0);
  await approve('resume');
  await expect(card.locator('.status')).toHaveText('active');
  await shot(p, '7-02-resumed');

  // Cancel: the subscription ends, and offers no more actions.
  await card.getByRole('button', { name: 'Cancel' }).click();
  await expect(card).toContainText('pending cancel');
  await approve('cancel');
  await expect(card.locator('.status')).toHaveText('deleted');
  await expect(card.getByRole('button')).toHaveCount(0);
  await shot(p, '7-03-cancelled');
  const chain = await call('GET', `/public/v1/assets/${sub}/requests`, provider);
  expect(chain.map((r: any) => `${r.type} ${r.status}`)).toEqual(['purchase approved', 'suspend approved', 'resume approved', 'cancel approved']);
});

test('8. a webhook recovered since a time, then its secret rotated', async ({ browser }) => {
  let down = true;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (b) => (body += b));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(down ? 503 : 204).end(down ? 'down' : '');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const port = (receiver.address() as { port: number }).port;
  try {
    const v = await as(browser, tokens().vendor);
    const started = Date.now();
    await v.getByRole('link', { name: 'Webhooks' }).click();
    await v.getByLabel('Label').fill('recovery receiver');
    await v.getByLabel('URL').fill(`http://127.0.0.1:${port}/recover-me`);
    await v.getByLabel('Event types').fill('webhook.test');
    await v.getByRole('button', { name: 'Add endpoint' }).click();
    const first = (await v.locator('code.secret').textContent())!.trim();
    expect(first).toMatch(/^whsec_/);
    await v.getByRole('link', { name: 'recovery receiver' }).click();
    const status = v.getByRole('status').filter({ hasText: /Test event sent|Recovery|rotated/ });

    // Two deliveries fail while the receiver is down.
    for (let i = 0; i < 2; i++) {
      await v.getByRole('button', { name: 'Send test event' }).click();
      await expect(status).toContainText('Test event sent: failed');
      await expect(v.getByRole('row').filter({ hasText: 'webhook.test' })).toHaveCount(i + 1);
    }
    await expect(v.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: 'failed' })).toHaveCount(2);
    down = false;

    // Recover without a time is refused under the field; with one, both
    // failed deliveries are sent again and succeed.
    await v.getByRole('button', { name: 'Recover', exact: true }).click();
    await expect(v.locator('.field.invalid', { hasText: 'Recover failed deliveries since' })).toContainText('since must be an RFC 3339 time');
    await v.getByLabel('Recover failed deliveries since').fill(localMinute(started - 120_000));
    await v.getByRole('button', { name: 'Recover', exact: true }).click();
    await expect(status).toContainText('Recovery queued');
    await expect(v.locator('.field.invalid')).toHaveCount(0);
    await expect(v.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: 'succeeded' })).toHaveCount(2, { timeout: 30_000 });
    await expect(v.getByRole('row').filter({ hasText: '2 attempts' })).toHaveCount(2);
    expect(received.length).toBe(4);
    await shot(v, '9-01-webhook-recovered');

    // Rotate the secret: a new one is shown once; the next delivery is
    // signed with it and, during the grace period, with the old one too.
    await v.getByRole('button', { name: 'Rotate secret' }).click();
    await expect(status).toContainText('Secret rotated');
    const second = (await v.locator('code.secret').textContent())!.trim();
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    await shot(v, '9-02-secret-rotated');
    await v.getByRole('button', { name: 'Send test event' }).click();
    await expect(status).toContainText('Test event sent: succeeded');
    const last = received[received.length - 1];
    const signatures = String(last.headers['webhook-signature']).split(' ');
    expect(signatures).toContain(sign(second, last.headers, last.body));
    expect(signatures).toContain(sign(first, last.headers, last.body));
    expect(signatures.length).toBe(2);
  } finally {
    receiver.close();
  }
});

// sign is the Standard Webhooks signature of a delivery with secret.
function sign(secret: string, h: IncomingHttpHeaders, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64');
}

// localMinute formats t for a datetime-local input, in the browser's (and
// this process's) time zone.
function localMinute(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

test('9. an API token created in the portal works once shown, and stops when revoked', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  const call = api(v.request);
  await v.getByRole('link', { name: 'API tokens' }).click();
  await v.getByRole('button', { name: 'Create token' }).click();
  await expect(v.locator('.field.invalid', { hasText: 'Name' })).toContainText('name');
  await v.getByLabel('Name').fill('ci deploys');
  await v.getByRole('button', { name: 'Create token' }).click();
  const secret = (await v.locator('code.secret').textContent())!.trim();
  const row = v.getByRole('row', { name: /ci deploys/ });
  await expect(row).toBeVisible();
  await expect(row).not.toContainText(secret);
  await shot(v, '10-01-token-created');
  await call('GET', '/public/v1/products', secret);
  await row.getByRole('button', { name: 'Revoke ci deploys' }).click();
  await expect(row).toHaveCount(0);
  await call('GET', '/public/v1/products', secret, undefined, 401);
  // The session's own token still works: the portal stays signed in.
  await v.reload();
  await expect(v.getByRole('heading', { name: 'API tokens' })).toBeVisible();
});

test('10. the vendor inquires with a template, the provider reads why, the vendor fails the request with a reason', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  const call = api(v.request);
  const inquire = { type: 'inquire', scope: 'asset', title: 'Need the tenant', body: 'We need more details for {{ asset.id }}: see the parameters.' };
  const { sub, extra: [inq] } = await orderedProduct(call, 'Connect Secure Mail', 'Litware Inc.', {}, [inquire]);
  const [r] = await call('GET', `/public/v1/requests?asset.id=${sub}&status=pending`, tokens().vendor);

  await v.goto(url() + '/portal/#/requests/' + r.id);
  await expect(v.getByRole('heading', { name: 'Request ' + r.id })).toBeVisible();
  await v.getByLabel('Message to the provider about Default parameter').fill('Which tenant should the mailboxes live in?');
  await v.getByRole('button', { name: 'Save parameters' }).click();
  await v.getByLabel('Inquire template').selectOption({ label: 'Need the tenant' });
  await v.getByRole('button', { name: 'Inquire' }).click();
  await expect(v.locator('.page-head')).toContainText('inquiring');

  const p = await as(browser, tokens().provider);
  await p.goto(url() + '/portal/#/requests/' + r.id);
  await expect(p.locator('.page-head')).toContainText('inquiring');
  await expect(p.getByRole('table', { name: 'Parameters' }).getByRole('row', { name: /Default parameter/ })).toContainText('Which tenant should the mailboxes live in?');
  // The inquire template, rendered for this asset.
  await expect(p.locator('#inquiry').locator('..')).toContainText(`We need more details for ${sub}: see the parameters.`);
  expect((await call('GET', '/public/v1/requests/' + r.id, tokens().provider)).template.id).toBe(inq.id);
  await shot(p, '10-02-inquiring-provider');

  // Failing needs a reason; with one, the request ends and both see why.
  await v.getByRole('button', { name: 'Fail request' }).click();
  await expect(v.locator('.field.invalid', { hasText: 'Reason for failing' })).toContainText('reason is required');
  await v.getByLabel('Reason for failing').fill('No tenant was named within the week');
  await v.getByRole('button', { name: 'Fail request' }).click();
  await expect(v.locator('.page-head')).toContainText('failed');
  await expect(v.locator('#asset').locator('..')).toContainText('No tenant was named within the week');
  await p.reload();
  await expect(p.locator('.page-head')).toContainText('failed');
  await expect(p.locator('#asset').locator('..')).toContainText('No tenant was named within the week');
  await shot(p, '10-03-failed-provider');
});

test('11. the provider rejects a listing request with a reason, which the vendor reads', async ({ browser }) => {
  const p = await as(browser, tokens().provider);
  const call = api(p.request);
  const { lr } = await requestedListing(call, 'Connect Archive Search');

  await p.getByRole('link', { name: 'Listing approvals' }).click();
  // The request's own row starts with its id; the rejection form's row
  // below it does not.
  const row = p.getByRole('row', { name: new RegExp('^' + lr.id) });
  await expect(row.locator('.status')).toHaveText('pending');
  await row.getByRole('button', { name: 'Reject ' + lr.id }).click();
  const form = p.getByRole('form', { name: 'Rejection of ' + lr.id });
  // A rejection needs a reason: refused under the field, still pending.
  await form.getByRole('button', { name: 'Send rejection' }).click();
  await expect(form.locator('.field.invalid', { hasText: 'Reason for rejecting' })).toContainText('reason is required');
  await expect(row.locator('.status')).toHaveText('pending');
  await form.getByLabel('Reason for rejecting').fill('Archive search is sold as part of Connect Secure Mail');
  await shot(p, '11-01-listing-rejecting');
  await form.getByRole('button', { name: 'Send rejection' }).click();
  await expect(row.locator('.status')).toHaveText('rejected');
  await expect(row).toContainText('Reason: Archive search is sold as part of Connect Secure Mail');
  await expect(form).toHaveCount(0);
  await expect(row.getByRole('button')).toHaveCount(0);
  // Nothing was listed.
  await expect(p.locator('#listings').locator('..').getByRole('row', { name: /Connect Archive Search/ })).toHaveCount(0);

  const v = await as(browser, tokens().vendor);
  await v.getByRole('link', { name: 'Listings' }).click();
  const mine = v.getByRole('row', { name: new RegExp('^' + lr.id) });
  await expect(mine.locator('.status')).toHaveText('rejected');
  await expect(mine).toContainText('Reason: Archive search is sold as part of Connect Secure Mail');
  await shot(v, '11-02-listing-rejected-vendor');
});

test('12. a webhook disabled, enabled again and deleted, the list showing each state', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  const call = api(v.request);
  await v.getByRole('link', { name: 'Webhooks' }).click();
  await v.getByLabel('Label').fill('paused receiver');
  await v.getByLabel('URL').fill('http://127.0.0.1:9/paused');
  await v.getByLabel('Event types').fill('webhook.test');
  await v.getByRole('button', { name: 'Add endpoint' }).click();
  const endpoints = v.getByRole('table', { name: 'Endpoints' }).locator('tbody tr');
  const row = endpoints.filter({ hasText: 'paused receiver' });
  await expect(row).toHaveCount(1);
  const id = (await row.locator('small').textContent())!.trim();
  const active = row.getByRole('cell').nth(2);
  await expect(active).toHaveText('yes');

  // Each change on the endpoint's page, then the list as it now is.
  const change = async (button: string, said: string, head: string, listed: string) => {
    await row.getByRole('link', { name: 'paused receiver' }).click();
    await expect(v.getByRole('heading', { name: 'paused receiver' })).toBeVisible();
    await v.getByRole('button', { name: button, exact: true }).click();
    await expect(v.getByRole('status')).toHaveText(said);
    await expect(v.locator('.page-head')).toContainText(`${id} ${head}`);
    await v.getByRole('link', { name: 'Webhooks' }).click();
    await expect(active).toHaveText(listed);
  };
  await change('Disable', 'Disabled.', 'disabled', 'no');
  await shot(v, '12-01-webhook-disabled');
  expect((await call('GET', '/public/v1/webhooks/' + id, tokens().vendor)).active).toBe(false);
  await change('Enable', 'Enabled.', 'active', 'yes');

  // Delete leads back to the list, without the endpoint.
  const before = await endpoints.count();
  await row.getByRole('link', { name: 'paused receiver' }).click();
  await v.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(v).toHaveURL(/#\/webhooks$/);
  await expect(row).toHaveCount(0);
  await expect(endpoints).toHaveCount(before - 1);
  await shot(v, '12-02-webhook-deleted');
  await call('GET', '/public/v1/webhooks/' + id, tokens().vendor, undefined, 404);
});
