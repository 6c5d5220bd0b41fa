// Peer-client run: CloudBlue Connect's own JavaScript SDK works a vendor's
// fulfillment queue on Mercato's /public/v1 with nothing changed but the base
// URL and the token, and the standardwebhooks library verifies every
// delivery Mercato sends meanwhile. `make sdk` starts a stack and runs it;
// it reads MERCATO_API_URL, MERCATO_VENDOR_TOKEN, MERCATO_PROVIDER_TOKEN and
// MERCATO_MARKETPLACE_ID (the local stack's env file), and exits non-zero at
// the first step that deviates.
import http from 'node:http';
import assert from 'node:assert/strict';
import sdk from '@cloudblueconnect/connect-javascript-sdk';
import { Webhook } from 'standardwebhooks';

const { ConnectClient, Fulfillment } = sdk;

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const api = env('MERCATO_API_URL');
const vendorKey = `ApiKey ${env('MERCATO_VENDOR_TOKEN')}`;
const providerKey = `ApiKey ${env('MERCATO_PROVIDER_TOKEN')}`;
const marketplace = env('MERCATO_MARKETPLACE_ID');

let step = 0;
const ok = (what) => console.log(`✓ ${++step}. ${what}`);

// call is plain HTTP for the setup the SDK has no operation for (Mercato's
// publish and listing approval) and for the provider's purchase.
async function call(method, path, key, body, want) {
  const res = await fetch(`${api}/public/v1${path}`, {
    method,
    headers: { Authorization: key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== want) throw new Error(`${method} ${path} = ${res.status}, want ${want}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// The webhook receiver: every delivery is verified with the secret shown
// once at registration.
const received = [];
let verifier;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    try {
      received.push(verifier.verify(body, req.headers));
      res.writeHead(204).end();
    } catch (err) {
      received.push(err);
      res.writeHead(400).end();
    }
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookURL = `http://127.0.0.1:${receiver.address().port}/hooks`;

try {
  // The vendor's catalog, as the Connect lab builds it.
  const prd = await call('POST', '/products', vendorKey, { name: `SDK run ${Date.now()}` }, 201);
  const base = `/products/${prd.id}`;
  for (const it of await call('GET', `${base}/items`, vendorKey, undefined, 200)) {
    await call('DELETE', `${base}/items/${it.id}`, vendorKey, undefined, 204);
  }
  for (const p of await call('GET', `${base}/parameters`, vendorKey, undefined, 200)) {
    await call('DELETE', `${base}/parameters/${p.id}`, vendorKey, undefined, 204);
  }
  const item = await call('POST', `${base}/items`, vendorKey, {
    name: 'SKU Users', mpn: 'MPN-SDK-USERS', description: 'Users', type: 'Reservation', period: 'Monthly',
    unit: { id: 'users' }, product_version: 1,
  }, 201);
  await call('POST', `${base}/parameters`, vendorKey, {
    name: 'param_admin_email', title: 'Administrator email', description: 'Who administers the account',
    type: 'email', scope: 'asset', phase: 'fulfillment', constraints: { required: true },
  }, 201);
  await call('POST', `${base}/parameters`, vendorKey, {
    name: 'param_tenant', title: 'Tenant', description: 'The tenant subdomain',
    type: 'subdomain', scope: 'asset', phase: 'ordering', constraints: { required: true },
  }, 201);
  const activation = await call('POST', `${base}/templates`, vendorKey, {
    name: 'Activation', body: 'Welcome! Your administrator is {{ param_admin_email }}.', scope: 'asset', type: 'fulfillment',
  }, 201);
  const inquiry = await call('POST', `${base}/templates`, vendorKey, {
    name: 'Need details', body: 'Please tell us who administers the account.', scope: 'asset', type: 'inquire',
  }, 201);
  await call('POST', `${base}/publish`, vendorKey, undefined, 201);
  const lr = await call('POST', '/listing-requests', vendorKey, {
    type: 'new', product_id: prd.id, marketplace, prices: [{ item: item.id, price: '10' }],
  }, 201);
  await call('POST', `/listing-requests/${lr.id}/approve`, providerKey, undefined, 200);
  ok(`catalog: ${prd.id} listed on ${marketplace}`);

  const hook = await call('POST', '/webhooks', vendorKey, { label: 'SDK run', url: hookURL }, 201);
  verifier = new Webhook(hook.secret);
  ok(`webhook ${hook.id} → ${hookURL}`);

  // The provider buys, as Connect's clients send a purchase.
  const purchase = await call('POST', '/requests', providerKey, {
    type: 'purchase',
    asset: {
      external_id: `sdk-${Date.now()}`,
      product: { id: prd.id },
      marketplace: { id: marketplace },
      items: [{ id: item.id, quantity: 3 }],
      params: [{ id: 'param_tenant', value: 'contoso' }],
      tiers: { customer: { name: 'Contoso Ltd', contact_info: { address_line1: '1 Main St', city: 'Redmond', postal_code: '98052', country: 'US',
        contact: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@contoso.example', phone_number: { phone_number: '5550100' } } } } },
    },
  }, 201);
  ok(`purchase ${purchase.id}`);

  // From here on, only the SDK, as a vendor's processor runs it.
  const client = new ConnectClient(`${api}/public/v1`, vendorKey);
  const ff = new Fulfillment(client);

  const byFilter = await ff.searchRequests({ status: 'pending', 'asset.product.id': prd.id });
  assert.deepEqual(byFilter.map((r) => r.id), [purchase.id], 'search with plain filters');
  const byRQL = await ff.searchRequests({ status: { $in: ['pending', 'inquiring'] }, $ordering: ['-created'] });
  assert.ok(byRQL.some((r) => r.id === purchase.id), 'search with RQL in() and ordering()');
  ok(`searched the queue: ${byFilter.length} by filters, ${byRQL.length} by RQL`);

  let req = await ff.getRequest(purchase.id);
  const tenant = req.asset.params.find((p) => p.id === 'param_tenant');
  assert.equal(tenant?.value, 'contoso', 'params are looked up by the vendor\'s id');
  ok(`got ${req.id}: param_tenant = ${tenant.value}`);

  req = await ff.inquireRequestWithTemplate(purchase.id, inquiry.id,
    [{ id: 'param_admin_email', value_error: 'Who administers the account?' }], 'need the admin');
  assert.equal(req.status, 'inquiring');
  ok(`inquired with ${inquiry.id}`);

  req = await ff.updateRequestParameters(purchase.id, [{ id: 'param_admin_email', value: 'admin@contoso.example', value_error: '' }]);
  assert.equal(req.asset.params.find((p) => p.id === 'param_admin_email')?.value, 'admin@contoso.example');
  await ff.pendingRequest(purchase.id);
  ok('updated param_admin_email and pended');

  req = await ff.approveRequestWithTemplate(purchase.id, activation.id);
  assert.equal(req.status, 'approved');
  ok(`approved with ${activation.id}`);

  const assets = await client.assets.search({ id: req.asset.id });
  assert.equal(assets.length, 1);
  const asset = await client.assets.get(req.asset.id);
  assert.equal(asset.status, 'active');
  assert.equal(asset.params.find((p) => p.id === 'param_admin_email')?.value, 'admin@contoso.example');
  assert.equal(asset.items.find((i) => i.id === item.id)?.quantity, 3);
  ok(`asset ${asset.id} is active with 3 users`);

  // Deliveries arrive through the outbox, the relay and the dispatcher.
  const deadline = Date.now() + 30_000;
  const wanted = ['request.created', 'request.updated'];
  const types = () => received.filter((d) => !(d instanceof Error)).map((d) => d.type);
  while (!wanted.every((t) => types().includes(t)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const failed = received.filter((d) => d instanceof Error);
  assert.equal(failed.length, 0, `deliveries that did not verify: ${failed.join('; ')}`);
  for (const t of wanted) assert.ok(types().includes(t), `no verified ${t} delivery (got ${types().join(', ')})`);
  ok(`${received.length} webhook deliveries verified with standardwebhooks`);
  console.log(`sdk run passed: ${step} steps`);
} finally {
  receiver.close();
}
