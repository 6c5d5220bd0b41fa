import { useEffect, useState } from 'preact/hooks';
import { get, patch, post } from '../api';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

// The provider's Partner Center face: catalog, customers with their orders
// and subscriptions, and invoices. Collections come in PC's envelope.
type Coll<T = any> = { totalCount: number; items: T[] };

export function Catalog() {
  const [country, setCountry] = useState('US');
  const products = useLoad(() => get<Coll>(`/v1/products?country=${encodeURIComponent(country)}`), [country]);
  const [open, setOpen] = useState('');
  return (
    <Page title="Catalog">
      <Field label="Country" name="country" value={country} onInput={setCountry} />
      {!products.data ? <Loading err={products.err} /> : (
        <table>
          <caption>Products</caption>
          <thead><tr><th>Product</th><th>Id</th><th><span class="sr">Skus</span></th></tr></thead>
          <tbody>
            {products.data.items.map((p) => (
              <>
                <tr>
                  <td>{p.title}</td><td><small>{p.id}</small></td>
                  <td><button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? '' : p.id)}>Skus of {p.title}</button></td>
                </tr>
                {open === p.id && <tr><td colSpan={3}><Skus product={p.id} country={country} /></td></tr>}
              </>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

function Skus({ product, country }: { product: string; country: string }) {
  const skus = useLoad(async () => {
    const s = await get<Coll>(`/v1/products/${product}/skus?country=${country}`);
    return Promise.all(s.items.map(async (sku) => ({ sku, av: await get<Coll>(`/v1/products/${product}/skus/${sku.id}/availabilities?country=${country}`) })));
  }, [product, country]);
  if (!skus.data) return <Loading err={skus.err} />;
  return (
    <table>
      <thead><tr><th>Sku</th><th>Availability (offer id)</th><th>Price</th><th>Terms</th></tr></thead>
      <tbody>
        {skus.data.flatMap(({ sku, av }) => av.items.map((a) => (
          <tr>
            <td>{sku.title} <small>{sku.id}</small></td>
            <td><code>{a.catalogItemId ?? a.id}</code></td>
            <td>{a.price?.amount} {a.price?.currencyCode}{a.price?.unit ? ' per ' + a.price.unit : ''}</td>
            <td>{(a.terms ?? []).map((t: any) => t.duration ?? t).join(', ')}</td>
          </tr>
        )))}
      </tbody>
    </table>
  );
}

export function Customers() {
  const list = useLoad(() => get<Coll>('/v1/customers'), []);
  const f = useForm({ companyName: '', email: '', country: 'US', city: '', addressLine1: '', postalCode: '' });
  // Fields carry the API's property paths, so its messages land under them.
  const paths: Record<string, string> = {
    companyName: 'companyProfile.companyName', email: 'billingProfile.email', country: 'billingProfile.defaultAddress.country',
    city: 'billingProfile.defaultAddress.city', addressLine1: 'billingProfile.defaultAddress.addressLine1', postalCode: 'billingProfile.defaultAddress.postalCode',
  };
  const bind = (k: keyof typeof paths & keyof typeof f.values) => ({ ...f.bind(k), name: paths[k] });
  return (
    <Page title="Customers">
      <Card title="New customer" id="new-customer">
        <form class="grid" onSubmit={(e) => { e.preventDefault(); f.submit(async (v) => {
          const c = await post('/v1/customers', { companyProfile: { companyName: v.companyName }, billingProfile: { email: v.email, defaultAddress: { country: v.country, city: v.city, addressLine1: v.addressLine1, postalCode: v.postalCode } } });
          location.hash = '#/customers/' + c.id;
        }); }}>
          <Field label="Company name" {...bind('companyName')} />
          <Field label="Billing email" {...bind('email')} />
          <Field label="Country" {...bind('country')} />
          <Field label="City" {...bind('city')} />
          <Field label="Address" {...bind('addressLine1')} />
          <Field label="Postal code" {...bind('postalCode')} />
          <FormErrors err={f.err} fields={Object.values(paths)} />
          <button type="submit" disabled={f.busy}>Create customer</button>
        </form>
      </Card>
      {!list.data ? <Loading err={list.err} /> : (
        <table>
          <caption>Customers</caption>
          <thead><tr><th>Company</th><th>Email</th><th>Country</th><th>Created</th></tr></thead>
          <tbody>
            {list.data.items.map((c) => (
              <tr>
                <td><a href={'#/customers/' + c.id}>{c.companyProfile?.companyName}</a></td>
                <td>{c.billingProfile?.email}</td>
                <td>{c.billingProfile?.defaultAddress?.country}</td>
                <td>{when(c.creationDate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function CustomerPage({ id }: { id: string }) {
  const base = '/v1/customers/' + id;
  const c = useLoad(() => get(base), [id]);
  const orders = useLoad(() => get<Coll>(base + '/orders'), [id], 5000);
  const subs = useLoad(() => get<Coll>(base + '/subscriptions'), [id], 5000);
  if (!c.data) return <Loading err={c.err} />;
  return (
    <Page title={c.data.companyProfile?.companyName ?? id}>
      <Card title="Orders" id="orders">
        {!orders.data ? <Loading err={orders.err} /> : (
          <table>
            <thead><tr><th>Order</th><th>Status</th><th>Lines</th><th>Created</th><th>Provisioning and activation</th></tr></thead>
            <tbody>
              {orders.data.items.map((o) => (
                <tr>
                  <td>{o.id}</td><td><Status s={o.status} /></td>
                  <td>{o.lineItems?.map((l: any) => `${l.friendlyName ?? l.offerId} × ${l.quantity}`).join(', ')}</td>
                  <td>{when(o.creationDate)}</td>
                  <td><OrderDetail base={`${base}/orders/${o.id}`} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Subscriptions" id="subs">
        <p class="muted">
          Rules: quantity changes, suspend, resume and cancel become requests the vendor approves; suspend and resume only
          when the product supports them; cancel only until the cancellation date shown; auto-renew changes at once (not while suspended) and renews at the end of the term.
        </p>
        {!subs.data ? <Loading err={subs.err} /> : subs.data.items.map((s) => <Subscription base={base} s={s} onChange={subs.reload} />)}
      </Card>
    </Page>
  );
}

function OrderDetail({ base }: { base: string }) {
  const d = useLoad(() => Promise.all([get<Coll>(base + '/provisioningstatus'), get<Coll>(base + '/activationlinks')]), [base], 5000);
  if (!d.data) return <Loading err={d.err} />;
  const [prov, links] = d.data;
  return (
    <ul>
      {prov.items.map((p: any) => <li>{p.lineItemNumber}: {p.status}</li>)}
      {links.items.map((l: any) => <li><a href={l.link?.uri} rel="noopener">Activation of line {l.lineItemNumber}</a></li>)}
    </ul>
  );
}

function Subscription({ base, s, onChange }: { base: string; s: any; onChange: () => void }) {
  const f = useForm({ quantity: String(s.quantity ?? '') });
  // The checkbox shows the value being saved until the answer, then the
  // server's: a refused change springs back, next to the reason.
  const [renew, setRenew] = useState<boolean | null>(null);
  useEffect(() => { if (renew === !!s.autoRenewEnabled) setRenew(null); }, [renew, s.autoRenewEnabled]);
  const path = `${base}/subscriptions/${s.id}`;
  const change = (body: any) => f.submit(async () => { await patch(path, body); onChange(); });
  return (
    <section class="card" aria-label={'Subscription ' + s.id}>
      <p>
        <strong>{s.offerName ?? s.friendlyName}</strong> {s.id} <Status s={s.status} /> · {s.billingCycle} {s.termDuration}
        {s.cancellationAllowedUntilDate && <> · cancel until {when(s.cancellationAllowedUntilDate)}</>}
        {s.termDuration && <> · auto-renew {s.autoRenewEnabled ? 'on' : 'off'}</>}
        {s.pendingChange && <> · pending {s.pendingChange.type} ({s.pendingChange.requestId})</>}
      </p>
      {s.status !== 'deleted' && <form class="actions" onSubmit={(e) => { e.preventDefault(); change({ quantity: Number(f.values.quantity) }); }}>
        <Field label="Quantity" type="number" {...f.bind('quantity')} />
        <button type="submit" disabled={f.busy}>Change quantity</button>
        {s.status === 'active' && <button type="button" onClick={() => change({ status: 'suspended' })}>Suspend</button>}
        {s.status === 'suspended' && <button type="button" onClick={() => change({ status: 'active' })}>Resume</button>}
        <button type="button" class="danger" onClick={() => change({ status: 'deleted' })}>Cancel</button>
        <label class="radio"><input type="checkbox" checked={renew ?? !!s.autoRenewEnabled} disabled={f.busy} onChange={(e) => {
          const on = (e.target as HTMLInputElement).checked;
          setRenew(on);
          change({ autoRenewEnabled: on }).then((ok) => { if (!ok) setRenew(null); });
        }} /> Auto-renew</label>
      </form>}
      <FormErrors err={f.err} fields={['quantity']} />
    </section>
  );
}

export function Invoices() {
  const list = useLoad(() => get<Coll>('/v1/invoices'), []);
  const [open, setOpen] = useState('');
  if (!list.data) return <Page title="Invoices"><Loading err={list.err} /></Page>;
  const byMonth = new Map<string, number>();
  for (const inv of list.data.items) {
    const m = (inv.billingPeriodStartDate ?? inv.invoiceDate ?? '').slice(0, 7);
    byMonth.set(m, (byMonth.get(m) ?? 0) + Number(inv.totalCharges ?? 0));
  }
  const months = [...byMonth.entries()].sort();
  const max = Math.max(1, ...months.map(([, v]) => v));
  return (
    <Page title="Invoices">
      <Card title="Charges by month" id="chart">
        <svg role="img" aria-label={'Charges by month: ' + months.map(([m, v]) => `${m} ${v.toFixed(2)}`).join(', ')} viewBox={`0 0 ${Math.max(1, months.length) * 60} 140`} class="chart">
          {months.map(([m, v], i) => {
            const h = Math.round((v / max) * 100);
            return (
              <g>
                <rect x={i * 60 + 10} y={110 - h} width={40} height={h} class="bar" />
                <text x={i * 60 + 30} y={125} text-anchor="middle">{m}</text>
                <text x={i * 60 + 30} y={105 - h} text-anchor="middle">{v.toFixed(2)}</text>
              </g>
            );
          })}
        </svg>
      </Card>
      <table>
        <caption>Invoices</caption>
        <thead><tr><th>Invoice</th><th>Period</th><th>Status</th><th>Total</th><th><span class="sr">Actions</span></th></tr></thead>
        <tbody>
          {list.data.items.map((inv) => (
            <>
              <tr>
                <td>{inv.id}</td>
                <td>{inv.billingPeriodStartDate?.slice(0, 10)} – {inv.billingPeriodEndDate?.slice(0, 10)}</td>
                <td><Status s={inv.status} /></td>
                <td>{inv.totalCharges} {inv.currencyCode}</td>
                <td>
                  <button type="button" aria-expanded={open === inv.id} onClick={() => setOpen(open === inv.id ? '' : inv.id)}>Lines of {inv.id}</button>{' '}
                  <a href={`/v1/invoices/${inv.id}/reconciliation.csv`} download>Reconciliation CSV</a>
                </td>
              </tr>
              {open === inv.id && <tr><td colSpan={5}><InvoiceLines id={inv.id} /></td></tr>}
            </>
          ))}
        </tbody>
      </table>
    </Page>
  );
}

function InvoiceLines({ id }: { id: string }) {
  const lines = useLoad(() => Promise.all(['onetime', 'usage'].map((p) => get<Coll>(`/v1/invoices/${id}/lineitems?provider=${p}&invoicelineitemtype=billinglineitems`))), [id]);
  if (!lines.data) return <Loading err={lines.err} />;
  const items = lines.data.flatMap((c) => c.items);
  return (
    <table aria-label={'Lines of ' + id}>
      <thead><tr><th>Customer</th><th>Subscription</th><th>Product</th><th>Charge</th><th>Quantity</th><th>Amount</th></tr></thead>
      <tbody>
        {items.map((l: any) => (
          <tr><td>{l.customerName}</td><td>{l.subscriptionId}</td><td>{l.productName} {l.skuName}</td><td>{l.chargeType}</td><td>{l.quantity}</td><td>{l.totalForCustomer ?? l.amount ?? l.subtotal}</td></tr>
        ))}
      </tbody>
    </table>
  );
}
