import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { as, closeContexts, newContext, shot, tokens, url, usageRows } from './helpers';

// e2e 1–6, 13, 14: the lab of 003_* and the ordering wizard of 000_* through
// the portal, each test going on from where the one before left the
// platform; then a usage file rejected, and the invoice the usage accepted
// in 5 was billed on.
test.describe.configure({ mode: 'serial' });

const product = 'Connect Web Conference Software';
const state: { requestID?: string; assetID?: string; productID?: string } = {};

test.beforeEach(closeContexts);

test('1. the vendor builds, publishes and lists the product; the provider approves the listing', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  await v.getByRole('link', { name: 'Products' }).click();
  await v.getByLabel('Name').fill(product);
  await v.getByLabel('Short description').fill('HD video meetings for teams');
  await v.getByLabel('Category').fill('Collaboration');
  await shot(v, '1-01-products');
  await v.getByRole('button', { name: 'Create product' }).click();
  await expect(v.getByRole('heading', { name: product })).toBeVisible();
  state.productID = /#\/products\/(PRD-[\d-]+)/.exec(v.url())![1];

  // Items: the default one goes, two of ours come.
  await v.getByRole('button', { name: 'Delete item Default item' }).click();
  await expect(v.getByRole('button', { name: 'Delete item Default item' })).toHaveCount(0);
  const addItem = v.locator('form', { has: v.getByRole('button', { name: 'Add item' }) });
  // A failed submit shows the API's message next to the field and keeps the input.
  await addItem.getByLabel('MPN').fill('MPN-246-USERS');
  await addItem.getByRole('button', { name: 'Add item' }).click();
  await expect(addItem.locator('.field.invalid', { hasText: 'Name' })).toContainText('name');
  await expect(addItem.getByLabel('MPN')).toHaveValue('MPN-246-USERS');
  await shot(v, '1-02-item-error');
  await addItem.getByLabel('Name').fill('SKU Users');
  await addItem.getByRole('button', { name: 'Add item' }).click();
  await expect(v.getByRole('button', { name: 'Delete item SKU Users' })).toBeVisible();
  await addItem.getByLabel('Name').fill('Recording minutes');
  await addItem.getByLabel('MPN').fill('MPN-246-MIN');
  await addItem.getByLabel('Type').selectOption('ppu');
  await addItem.getByLabel('Unit').fill('minutes');
  await addItem.getByLabel('Precision').selectOption('decimal(2)');
  await addItem.getByRole('button', { name: 'Add item' }).click();
  await expect(v.getByRole('button', { name: 'Delete item Recording minutes' })).toBeVisible();
  await shot(v, '1-03-items');

  // Parameters.
  await v.getByRole('tab', { name: 'Parameters' }).click();
  await v.getByRole('button', { name: 'Delete parameter param_default' }).click();
  await expect(v.getByRole('button', { name: 'Delete parameter param_default' })).toHaveCount(0);
  const addParam = v.locator('form', { has: v.getByRole('button', { name: 'Add parameter' }) });
  await addParam.getByLabel('Name').fill('param_admin_email');
  await addParam.getByLabel('Title').fill('Administrator email');
  await addParam.getByLabel('Description').fill("The customer's administrator");
  await addParam.getByLabel('Type').selectOption('email');
  await addParam.getByLabel('Phase').selectOption('fulfillment');
  await addParam.getByLabel('Required').selectOption('true');
  await addParam.getByRole('button', { name: 'Add parameter' }).click();
  await expect(v.getByRole('cell', { name: 'param_admin_email', exact: true })).toBeVisible();
  await shot(v, '1-04-parameters');

  // The default activation template, edited as the lab does, with its live
  // preview.
  await v.getByRole('tab', { name: 'Templates' }).click();
  await expect(v.getByRole('table', { name: 'Templates' }).locator('tbody tr')).toHaveCount(1);
  await v.getByRole('button', { name: 'Edit template Default Activation Template' }).click();
  const editor = v.locator('#template-editor').locator('..');
  await expect(v.getByLabel('Type')).toHaveValue('fulfillment');
  await expect(v.getByLabel('Scope')).toHaveValue('asset');
  await expect(v.locator('.preview h1')).toHaveText('Welcome to Sample product');
  await v.getByLabel('Title').fill('Activation');
  await v.getByLabel('Body (Markdown)').fill('# Welcome to Connect Web Conference\nYour administrator account **{{ param_admin_email }}** is ready for asset {{ asset.id }}.');
  const preview = v.locator('.preview');
  await expect(preview.locator('h1')).toHaveText('Welcome to Connect Web Conference');
  await expect(preview.locator('strong')).toHaveText('<Administrator email>');
  await expect(preview).toContainText('AS-0000-0000-0000');
  await shot(v, '1-05-template-preview');
  await editor.getByRole('button', { name: 'Save template' }).click();
  await expect(v.getByRole('cell', { name: /^Activation Default Activation Template/ })).toBeVisible();
  await expect(v.getByRole('table', { name: 'Templates' }).locator('tbody tr')).toHaveCount(1);

  // Publish, then list.
  await v.getByRole('tab', { name: 'Publish and list' }).click();
  await expect(v.getByText('can no longer be deleted')).toBeVisible();
  await v.getByRole('button', { name: 'Publish version 1' }).click();
  await expect(v.getByRole('table', { name: 'Versions' }).locator('tbody tr')).toHaveCount(1);
  await expect(v.locator('.page-head')).toContainText('v1');
  await v.getByLabel(/Price of SKU Users/).fill('12.00');
  await v.getByLabel(/Price of Recording minutes/).fill('0.04');
  await shot(v, '1-06-publish-and-list');
  await v.getByRole('button', { name: 'Request listing' }).click();
  await expect(v.getByRole('status')).toContainText('is pending');

  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Listing approvals' }).click();
  const row = p.getByRole('row', { name: new RegExp(product) }).filter({ hasText: 'pending' });
  await shot(p, '1-07-listing-approval');
  await row.getByRole('button', { name: /^Approve/ }).click();
  await expect(p.getByRole('table').first().getByRole('row', { name: new RegExp(product) })).toContainText('approved');
  await expect(p.locator('#listings').locator('..').getByRole('row', { name: new RegExp(product) })).toContainText('listed');
  await shot(p, '1-08-listed');
});

test('2. the provider orders through the wizard', async ({ browser }) => {
  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'New order' }).click();
  await p.getByRole('radio', { name: new RegExp(product) }).check();
  await shot(p, '2-01-wizard-product');
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByRole('radio').first().check();
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByLabel('Reseller tiers in the sales chain').selectOption('1');
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByLabel('Name').fill('Northwind Reseller');
  await p.getByLabel('Email').fill('sales@northwind.example');
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByLabel('Name').fill('Fabrikam Inc.');
  await p.getByLabel('Email').fill('it@fabrikam.example');
  await p.getByLabel('City').fill('Seattle');
  await shot(p, '2-02-wizard-customer');
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByLabel(/SKU Users/).fill('5');
  await p.getByLabel(/Recording minutes/).fill('1');
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByLabel('External id').fill('FAB-0001');
  await p.getByRole('button', { name: 'Next' }).click();
  await expect(p.getByText('asks no ordering parameters')).toBeVisible();
  await p.getByRole('button', { name: 'Next' }).click();
  await expect(p.getByRole('definition').filter({ hasText: 'SKU Users × 5' })).toBeVisible();
  await shot(p, '2-03-wizard-summary');
  await p.getByRole('button', { name: 'Create' }).click();
  await expect(p.getByRole('heading', { name: 'Asset created' })).toBeVisible();
  const link = p.getByRole('link', { name: /^PR-/ });
  state.requestID = (await link.textContent())!.trim();
  state.assetID = state.requestID.replace(/^PR-/, 'AS-').replace(/-\d+$/, '');
  await shot(p, '2-04-wizard-created');
});

test('3. the vendor works the request in the queue; the provider sees the subscription active', async ({ browser }) => {
  // The first load of the queue, with an empty cache, measured in
  // compressed bytes: the session is opened through the API so that the
  // queue is the first page this browser context loads.
  const ctx = await newContext(browser);
  const signedIn = await ctx.request.post(url() + '/public/v1/auth/sessions', { data: { token: tokens().vendor } });
  expect(signedIn.status()).toBe(201);
  const v = await ctx.newPage();
  const scripts: Promise<{ url: string; bytes: number; encoding: string }>[] = [];
  v.on('requestfinished', (req) => {
    if (req.resourceType() !== 'script') return;
    scripts.push((async () => {
      const res = (await req.response())!;
      return { url: req.url(), bytes: (await req.sizes()).responseBodySize, encoding: (await res.allHeaders())['content-encoding'] ?? 'identity' };
    })());
  });
  await v.goto(url() + '/portal/#/queue', { waitUntil: 'networkidle' });
  await expect(v.getByRole('heading', { name: 'Fulfillment queue' })).toBeVisible();
  const loaded = await Promise.all(scripts);
  const total = loaded.reduce((n, s) => n + s.bytes, 0);
  const report = `first load of the vendor queue: ${total} bytes of script transferred (${loaded.map((s) => `${s.url.split('/').pop()} ${s.bytes} B ${s.encoding}`).join(', ')})\n`;
  writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '../e2e-output/script-size.txt'), report);
  console.log(report.trim());
  expect(loaded.length).toBeGreaterThan(0);
  expect(loaded.every((s) => s.bytes > 0 && s.encoding === 'gzip')).toBe(true);
  expect(total).toBeLessThanOrEqual(250 * 1024);

  const row = v.getByRole('row', { name: new RegExp(state.requestID!) });
  await expect(row).toBeVisible();
  await shot(v, '3-01-queue');
  await row.getByRole('button', { name: `Assign ${state.requestID} to me` }).click();
  await expect(row.getByRole('button', { name: /Assign/ })).toHaveCount(0);
  await row.getByRole('link', { name: state.requestID! }).click();
  await expect(v.getByRole('heading', { name: 'Request ' + state.requestID })).toBeVisible();
  await expect(v.getByRole('table', { name: 'Items' })).toContainText('SKU Users');
  await expect(v.locator('#tiers').locator('..')).toContainText('Northwind Reseller');
  await expect(v.locator('#chain').locator('..')).toContainText(state.requestID!);
  await shot(v, '3-02-request');

  // Inquire for the missing administrator, then back to pending.
  await v.getByLabel('Message to the provider about Administrator email').fill('Please tell us who administers the account');
  await v.getByRole('button', { name: 'Save parameters' }).click();
  await v.getByRole('button', { name: 'Inquire' }).click();
  await expect(v.locator('.page-head')).toContainText('inquiring');
  await v.getByRole('button', { name: 'Switch to pending' }).click();
  await expect(v.locator('.page-head')).toContainText('pending');

  // Approving without the required parameter is refused, with the reason.
  await v.getByRole('button', { name: 'Approve' }).click();
  await expect(v.locator('#actions').locator('..').getByRole('alert')).toContainText('param_admin_email');
  await shot(v, '3-03-approve-refused');

  await v.getByLabel(/^Administrator email/).fill('admin@fabrikam.example');
  await v.getByLabel('Message to the provider about Administrator email').fill('');
  await v.getByRole('button', { name: 'Save parameters' }).click();
  await v.getByRole('button', { name: 'Preview activation' }).click();
  await expect(v.getByLabel('Activation preview').locator('strong')).toHaveText('admin@fabrikam.example');
  await shot(v, '3-04-activation-preview');
  await v.getByRole('button', { name: 'Approve' }).click();
  await expect(v.locator('.page-head')).toContainText('approved');
  await expect(v.locator('#activation').locator('..')).toContainText('admin@fabrikam.example');
  await shot(v, '3-05-approved');
  await v.getByRole('link', { name: 'Assets' }).click();
  await expect(v.getByRole('row', { name: new RegExp(state.assetID!) })).toContainText('active');

  // The asset's own page: items, parameters, tiers, the request chain and
  // the activation text.
  await v.getByRole('link', { name: state.assetID! }).click();
  await expect(v.getByRole('heading', { name: 'Asset ' + state.assetID })).toBeVisible();
  await expect(v.locator('.page-head')).toContainText('active');
  await expect(v.getByRole('table', { name: 'Items' }).getByRole('row', { name: /SKU Users/ })).toContainText('5');
  await expect(v.getByRole('table', { name: 'Items' }).getByRole('row', { name: /Recording minutes/ })).toBeVisible();
  await expect(v.getByRole('table', { name: 'Parameters' }).getByRole('row', { name: /Administrator email/ })).toContainText('admin@fabrikam.example');
  await expect(v.locator('#tiers').locator('..')).toContainText('Fabrikam Inc.');
  await expect(v.locator('#tiers').locator('..')).toContainText('Northwind Reseller');
  const chain = v.locator('#chain').locator('..');
  await expect(chain.getByRole('listitem')).toHaveCount(1);
  await expect(chain.getByRole('listitem')).toContainText('purchase');
  await expect(chain.getByRole('listitem')).toContainText('approved');
  await expect(v.locator('#act-' + state.assetID).locator('..')).toContainText('admin@fabrikam.example');
  await shot(v, '3-06-asset');
  await chain.getByRole('link', { name: state.requestID! }).click();
  await expect(v.getByRole('heading', { name: 'Request ' + state.requestID })).toBeVisible();

  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Subscriptions' }).click();
  const sub = p.getByRole('row', { name: new RegExp(state.assetID!) });
  await expect(sub).toContainText('active');
  await sub.getByRole('button', { name: 'Activation of ' + state.assetID }).click();
  await expect(p.locator('.preview')).toContainText('admin@fabrikam.example');
  await shot(p, '3-07-subscription-active');
});

test('4. a webhook registered in the portal, a delivery inspected attempt by attempt, then redelivered', async ({ browser }) => {
  let calls = 0;
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      const fail = calls === 1;
      res.writeHead(fail ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end(fail ? 'receiver down for maintenance' : 'thanks, got it');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const port = (receiver.address() as { port: number }).port;
  try {
    const v = await as(browser, tokens().vendor);
    await v.getByRole('link', { name: 'Webhooks' }).click();
    await v.getByLabel('Label').fill('ops receiver');
    await v.getByLabel('URL').fill(`http://127.0.0.1:${port}/hooks/mercato`);
    await v.getByLabel('Event types').fill('webhook.test');
    await v.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(v.getByRole('status')).toContainText('shown this once');
    await v.getByText('request.created').first().click();
    await shot(v, '4-01-webhooks');
    await v.getByRole('link', { name: 'ops receiver' }).click();
    await v.getByRole('button', { name: 'Send test event' }).click();
    await expect(v.getByRole('status')).toContainText('failed');
    const row = v.getByRole('row').filter({ hasText: 'webhook.test' });
    await row.getByRole('button', { name: /attempts of/ }).click();
    await expect(v.getByLabel('answer body of attempt 1')).toHaveText('receiver down for maintenance');
    await expect(v.locator('tr.attempts')).toContainText('HTTP 500');
    await shot(v, '4-02-delivery-attempts');
    await row.getByRole('button', { name: /^Redeliver/ }).click();
    await expect(v.locator('tr.attempts')).toContainText('HTTP 200', { timeout: 30_000 });
    await expect(v.getByLabel('answer body of attempt 2')).toHaveText('thanks, got it');
    await expect(row).toContainText('succeeded');
    await shot(v, '4-03-redelivered');
  } finally {
    receiver.close();
  }
});

test('5. a usage file with a bad row is refused with its error, then fixed and accepted', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  await v.getByRole('link', { name: 'Usage' }).click();
  await v.getByLabel('Name').fill('Recording minutes this month');
  const listing = v.getByLabel('Product on marketplace');
  await listing.selectOption((await listing.locator('option', { hasText: product }).getAttribute('value'))!);
  await v.getByRole('button', { name: 'Create usage file' }).click();
  const file = v.getByRole('row', { name: /Recording minutes this month/ });
  await expect(file).toContainText('draft');
  const rows = await usageRows(v, state.assetID!);
  const bad = rows([['rec-1', '12.5'], ['rec-2', 'lots']]);
  const good = rows([['rec-1', '12.5'], ['rec-2', '30']]);

  await v.getByLabel('Usage file (CSV or XLSX)').setInputFiles({ name: 'usage.csv', mimeType: 'text/csv', buffer: bad });
  await v.getByRole('button', { name: 'Upload' }).click();
  await expect(file).toContainText('invalid', { timeout: 30_000 });
  await expect(v.locator('.usage-file').getByRole('alert')).toContainText('row 3');
  await shot(v, '5-01-usage-row-error');
  await v.getByLabel('Usage file (CSV or XLSX)').setInputFiles({ name: 'usage.csv', mimeType: 'text/csv', buffer: good });
  await v.getByRole('button', { name: 'Upload' }).click();
  await expect(file).toContainText('ready', { timeout: 30_000 });
  await expect(v.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('value', '1');
  await v.getByRole('button', { name: 'Submit to the provider' }).click();
  await expect(file).toContainText('pending');
  await shot(v, '5-02-usage-submitted');

  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Usage' }).click();
  const pf = p.getByRole('row', { name: /Recording minutes this month/ });
  await pf.getByRole('button', { name: 'Recording minutes this month' }).click();
  await p.getByRole('button', { name: 'Accept' }).click();
  await expect(pf).toContainText('accepted');
  await shot(p, '5-03-usage-accepted');
});

test('6. the provider pages: catalog in Partner Center shapes, customers, invoices', async ({ browser }) => {
  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Catalog' }).click();
  await p.getByRole('button', { name: 'Skus of ' + product }).click();
  await expect(p.getByRole('row', { name: /^SKU Users/ })).toContainText('12.00 USD');
  await shot(p, '8-01-catalog');

  await p.getByRole('link', { name: 'Customers' }).click();
  await p.getByRole('button', { name: 'Create customer' }).click();
  await expect(p.getByRole('alert').first()).toBeVisible();
  await p.getByLabel('Company name').fill('Contoso Ltd.');
  await p.getByLabel('Billing email').fill('billing@contoso.example');
  await p.getByLabel('City').fill('Redmond');
  await p.getByLabel('Address').fill('1 Microsoft Way');
  await p.getByLabel('Postal code').fill('98052');
  await p.getByRole('button', { name: 'Create customer' }).click();
  await expect(p.getByRole('heading', { name: 'Contoso Ltd.' })).toBeVisible();
  const customer = /#\/customers\/([\w-]+)/.exec(p.url())![1];

  // An order placed through Partner Center's API, worked by the vendor through
  // the API: the customer's page shows its provisioning, activation link and
  // subscription, which the provider suspends from the portal.
  const api = p.request;
  const auth = (t: string) => ({ Authorization: 'ApiKey ' + t });
  const offer = `${state.productID}:0002:${process.env.E2E_MARKETPLACE}`;
  const order = await (await api.post(`${url()}/v1/customers/${customer}/orders`, { headers: auth(tokens().provider), data: { lineItems: [{ offerId: offer, quantity: 3, lineItemNumber: 0 }], billingCycle: 'monthly' } })).json();
  const sub = order.lineItems[0].subscriptionId as string;
  const req = (await (await api.get(`${url()}/public/v1/requests?asset.id=${sub}&status=pending`, { headers: auth(tokens().vendor) })).json())[0];
  await api.put(`${url()}/public/v1/requests/${req.id}`, { headers: auth(tokens().vendor), data: { asset: { params: [{ id: 'param_admin_email', value: 'admin@contoso.example' }] } } });
  const tpl = (await (await api.get(`${url()}/public/v1/products/${state.productID}/templates`, { headers: auth(tokens().vendor) })).json()).find((t: any) => t.type === 'fulfillment');
  expect((await api.post(`${url()}/public/v1/requests/${req.id}/approve`, { headers: auth(tokens().vendor), data: { template_id: tpl.id } })).status()).toBe(200);

  const orderRow = p.locator('#orders').locator('..').getByRole('row', { name: new RegExp(order.id) });
  await expect(orderRow).toContainText('completed', { timeout: 30_000 });
  await expect(orderRow.getByRole('link', { name: /Activation of line/ })).toBeVisible();
  const subCard = p.getByRole('region', { name: 'Subscription ' + sub });
  await expect(subCard).toContainText('active');
  // The product does not support suspend and resume: the API says so.
  await subCard.getByRole('button', { name: 'Suspend' }).click();
  await expect(subCard.getByRole('alert')).toContainText('does not support suspend and resume');
  await subCard.getByLabel('Quantity').fill('4');
  await subCard.getByRole('button', { name: 'Change quantity' }).click();
  await expect(subCard).toContainText('pending change');
  await shot(p, '8-02-customer');

  await p.getByRole('link', { name: 'Invoices' }).click();
  await expect(p.getByRole('img', { name: /Charges by month/ })).toBeVisible();
  await shot(p, '8-03-invoices');
});

test('13. the provider rejects a usage file with a note, which the vendor reads', async ({ browser }) => {
  const v = await as(browser, tokens().vendor);
  await v.getByRole('link', { name: 'Usage' }).click();
  await v.getByLabel('Name').fill('Recording minutes, late batch');
  const listing = v.getByLabel('Product on marketplace');
  await listing.selectOption((await listing.locator('option', { hasText: product }).getAttribute('value'))!);
  await v.getByRole('button', { name: 'Create usage file' }).click();
  const file = v.getByRole('row', { name: /Recording minutes, late batch/ });
  await expect(file).toContainText('draft');
  const rows = await usageRows(v, state.assetID!);
  await v.getByLabel('Usage file (CSV or XLSX)').setInputFiles({ name: 'late.csv', mimeType: 'text/csv', buffer: rows([['rec-3', '7']]) });
  await v.getByRole('button', { name: 'Upload' }).click();
  await expect(file).toContainText('ready', { timeout: 30_000 });
  await v.getByRole('button', { name: 'Submit to the provider' }).click();
  await expect(file).toContainText('pending');

  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Usage' }).click();
  const pf = p.getByRole('row', { name: /Recording minutes, late batch/ });
  await pf.getByRole('button', { name: 'Recording minutes, late batch' }).click();
  const panel = p.locator('.usage-file');
  // A rejection without a note is refused under the field; the file stays
  // pending.
  await panel.getByRole('button', { name: 'Reject' }).click();
  await expect(panel.locator('.field.invalid', { hasText: 'Note to the vendor' })).toContainText('note is required');
  await expect(pf).toContainText('pending');
  await panel.getByLabel('Note to the vendor').fill('These minutes were billed in the first batch');
  await panel.getByRole('button', { name: 'Reject' }).click();
  await expect(pf.locator('.status')).toHaveText('rejected');
  await expect(panel).toContainText('Rejected: These minutes were billed in the first batch');
  await expect(panel.getByRole('button')).toHaveCount(0);
  await shot(p, '13-01-usage-rejected');

  // The vendor's page, still open on the file, shows it on its next refresh.
  await expect(file.locator('.status')).toHaveText('rejected');
  await expect(v.locator('.usage-file')).toContainText('Rejected: These minutes were billed in the first batch');
  await expect(v.getByRole('button', { name: 'Submit to the provider' })).toHaveCount(0);
  await shot(v, '13-02-usage-rejected-vendor');
});

test('14. the provider reads an invoice\'s lines and downloads its reconciliation CSV', async ({ browser }) => {
  // The usage accepted in 5 started a billing run: this month's invoice
  // bills the journey's subscription and its two accepted records, and not
  // the record of the file rejected in 13.
  const p = await as(browser, tokens().provider);
  await p.getByRole('link', { name: 'Invoices' }).click();
  const row = p.getByRole('table', { name: 'Invoices' }).locator('tbody tr').first();
  const id = (await row.getByRole('cell').first().textContent())!.trim();
  expect(id).toMatch(/^IN-\d{6}-/);
  const total = /^([\d.]+) USD$/.exec((await row.getByRole('cell').nth(3).textContent())!.trim())![1];

  await row.getByRole('button', { name: 'Lines of ' + id }).click();
  const lines = p.getByRole('table', { name: 'Lines of ' + id }).locator('tbody tr');
  const ours = lines.filter({ hasText: state.assetID! });
  await expect(ours.filter({ hasText: 'usage' })).toHaveCount(2);
  await expect(ours.filter({ hasText: 'SKU Users' }).first()).toBeVisible();
  const shown = await lines.count();
  expect(shown).toBeGreaterThanOrEqual(3);
  await shot(p, '14-01-invoice-lines');

  const download = p.waitForEvent('download');
  await row.getByRole('link', { name: 'Reconciliation CSV' }).click();
  const csv = await download;
  expect(csv.suggestedFilename()).toBe(id + '-reconciliation.csv');
  const [header, ...rest] = readFileSync((await csv.path())!, 'utf8').trimEnd().split(/\r?\n/).map((l) => l.split(','));
  expect(header.slice(0, 5)).toEqual(['invoice_id', 'billing_provider', 'line_key', 'charge_type', 'subscription_id']);
  const col = (name: string) => header.indexOf(name);
  // One row a line shown, then the total row, which equals the invoice's.
  const body = rest.slice(0, -1);
  const last = rest[rest.length - 1];
  expect(body.length).toBe(shown);
  expect(body.every((r) => r.length === header.length && r[col('invoice_id')] === id)).toBe(true);
  expect(last[col('billing_provider')]).toBe('total');
  expect(last[col('amount')]).toBe(total);
  const cents = (a: string) => Math.round(Number(a) * 100);
  expect(body.reduce((n, r) => n + cents(r[col('amount')]), 0)).toBe(cents(total));
  const usage = body.filter((r) => r[col('subscription_id')] === state.assetID && r[col('charge_type')] === 'usage');
  expect(usage.map((r) => [r[col('quantity')], r[col('amount')]]).sort()).toEqual([['12.5', '0.50'], ['30', '1.20']]);
});
