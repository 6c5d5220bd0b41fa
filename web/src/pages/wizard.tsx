import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { Card, Field, FormErrors, Loading, Page, Status, useLoad } from '../ui';

// Wizard is the provider's "Create Asset" flow of the ordering walkthrough:
// product, marketplace, tiers, reseller, customer, items, attributes,
// ordering parameters, summary. It ends in a Connect purchase request
// (POST /public/v1/requests), the same asset and request an order makes.
const steps = ['Product', 'Marketplace', 'Tiers', 'Reseller', 'Customer', 'Items', 'Attributes', 'Ordering parameters', 'Summary'];

type Tier = { name: string; external_id: string; email: string; phone: string; line1: string; city: string; postal_code: string; country: string };
const emptyTier = (): Tier => ({ name: '', external_id: '', email: '', phone: '', line1: '', city: '', postal_code: '', country: 'US' });

export function Wizard() {
  const listings = useLoad(() => get<any[]>('/public/v1/listings?limit=500'), []);
  const [step, setStep] = useState(0);
  const [product, setProduct] = useState('');
  const [market, setMarket] = useState('');
  const [tiers, setTiers] = useState('1');
  const [t1, setT1] = useState<Tier>(emptyTier);
  const [customer, setCustomer] = useState<Tier>(emptyTier);
  const [qty, setQty] = useState<Record<string, string>>({});
  const [attrs, setAttrs] = useState({ external_id: '', external_uid: '' });
  const [params, setParams] = useState<Record<string, string>>({});
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<any>(null);
  const details = useLoad(
    // A provider reads what was published: the latest version's items and parameters.
    () => (product ? get<any[]>(`/public/v1/products/${product}/versions`).then((vs) => { const v = vs[vs.length - 1]; return [v?.items ?? [], v?.parameters ?? []]; }) : Promise.resolve(null)),
    [product],
  );
  if (!listings.data) return <Loading err={listings.err} />;
  const listed = listings.data.filter((l) => l.status === 'listed' || !l.status);
  const products = [...new Map(listed.map((l) => [l.product.id, l.product])).values()];
  const markets = listed.filter((l) => l.product.id === product).map((l) => l.marketplace);
  const [items, prm] = details.data ?? [[], []];
  const ordering = (prm as any[]).filter((p) => p.phase === 'ordering');

  async function create() {
    setBusy(true);
    setErr(null);
    const tierBody = (t: Tier) => ({ name: t.name, external_id: t.external_id || undefined, contact_info: { email: t.email || undefined, phone: t.phone || undefined, address: { address_line1: t.line1 || undefined, city: t.city || undefined, postal_code: t.postal_code || undefined, country: t.country || undefined } } });
    const body = {
      type: 'purchase',
      asset: {
        external_id: attrs.external_id || undefined,
        external_uid: attrs.external_uid || undefined,
        product: { id: product },
        marketplace: { id: market },
        tiers: { customer: tierBody(customer), ...(tiers === '1' ? { tier1: tierBody(t1) } : {}) },
        items: (items as any[]).filter((it) => qty[it.id] && qty[it.id] !== '0').map((it) => ({ id: it.id, quantity: qty[it.id] })),
        params: ordering.map((p) => ({ id: p.name, value: params[p.name] ?? '' })),
      },
    };
    try {
      setCreated(await post('/public/v1/requests', body));
    } catch (e) {
      setErr(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  const canNext = [!!product, !!market, true, tiers === '0' || !!t1.name, !!customer.name, Object.values(qty).some((q) => q && q !== '0'), true, true, true][step];
  const tierForm = (t: Tier, set: (t: Tier) => void, prefix: string) => (
    <div class="grid">
      {(['name', 'external_id', 'email', 'phone', 'line1', 'city', 'postal_code', 'country'] as (keyof Tier)[]).map((k) => (
        <Field label={{ name: 'Name', external_id: 'External id', email: 'Email', phone: 'Phone', line1: 'Address', city: 'City', postal_code: 'Postal code', country: 'Country' }[k]}
          name={`${prefix}.${k}`} value={t[k]} err={err} onInput={(v) => set({ ...t, [k]: v })} />
      ))}
    </div>
  );

  if (created) {
    return (
      <Page title="Asset created">
        <Card title="Summary" id="summary">
          <dl>
            {tiers === '1' && <><dt>T1 account</dt><dd>{created.asset.tiers?.tier1?.name} {created.asset.tiers?.tier1?.id}</dd></>}
            <dt>Customer account</dt><dd>{created.asset.tiers?.customer?.name} {created.asset.tiers?.customer?.id}</dd>
            <dt>Asset</dt><dd>{created.asset.id} <Status s={created.asset.status} /></dd>
            <dt>Fulfillment request</dt><dd><a href={'#/requests/' + created.id}>{created.id}</a> <Status s={created.status} /></dd>
          </dl>
          <p>The vendor now works the request in its fulfillment queue. <a href="#/subscriptions">Follow it in Subscriptions</a>.</p>
        </Card>
      </Page>
    );
  }

  return (
    <Page title="Create asset">
      <div class="wizard">
        <ol class="steps" aria-label="Steps">
          {steps.map((s, i) => <li aria-current={i === step ? 'step' : undefined} class={i < step ? 'done' : ''}>{s}</li>)}
        </ol>
        <form class="step" onSubmit={(e) => { e.preventDefault(); if (step < steps.length - 1) setStep(step + 1); else create(); }}>
          <h2>{step + 1}. {steps[step]}</h2>
          {step === 0 && (products.length ? (
            <fieldset>
              <legend>Products listed on your marketplaces</legend>
              {products.map((p: any) => (
                <label class="radio"><input type="radio" name="product" value={p.id} checked={product === p.id} onChange={() => { setProduct(p.id); setMarket(''); setQty({}); }} /> {p.name} <small>{p.id}</small></label>
              ))}
            </fieldset>
          ) : <p>No product is listed on your marketplaces yet: approve a listing request first.</p>)}
          {step === 1 && (
            <fieldset>
              <legend>Marketplaces where it is listed</legend>
              {markets.map((m: any) => (
                <label class="radio"><input type="radio" name="marketplace" value={m.id} checked={market === m.id} onChange={() => setMarket(m.id)} /> {m.name ?? m.id} <small>{m.id}</small></label>
              ))}
            </fieldset>
          )}
          {step === 2 && <Field label="Reseller tiers in the sales chain" name="tiers" value={tiers} onInput={setTiers} choices={[['0', 'None: the customer buys directly'], ['1', 'T1: one reseller']]} />}
          {step === 3 && (tiers === '1' ? tierForm(t1, setT1, 'tiers.tier1') : <p>No reseller tier: go on.</p>)}
          {step === 4 && tierForm(customer, setCustomer, 'tiers.customer')}
          {step === 5 && (!details.data ? <Loading err={details.err} /> : (
            <div class="grid">
              {(items as any[]).map((it) => (
                <Field label={`${it.name} (${it.type === 'ppu' ? 'pay per use, ' + it.unit : it.unit + ', ' + it.period})`} name={'item ' + it.id} type="number"
                  value={qty[it.id] ?? ''} err={err} onInput={(v) => setQty({ ...qty, [it.id]: v })} hint={it.type === 'ppu' ? 'enter 1 to subscribe' : `${it.min_quantity ?? 0}–${it.max_quantity ?? '∞'}`} />
              ))}
            </div>
          ))}
          {step === 6 && (
            <div class="grid">
              <Field label="External id" name="external_id" value={attrs.external_id} err={err} onInput={(v) => setAttrs({ ...attrs, external_id: v })} hint="your commerce system's subscription or tenant id" />
              <Field label="External UUID" name="external_uid" value={attrs.external_uid} err={err} onInput={(v) => setAttrs({ ...attrs, external_uid: v })} />
            </div>
          )}
          {step === 7 && (ordering.length ? ordering.map((p) => (
            <Field label={p.title || p.name} name={p.name} value={params[p.name] ?? ''} err={err} onInput={(v) => setParams({ ...params, [p.name]: v })}
              required={p.constraints?.required} hint={p.description}
              choices={p.constraints?.choices?.length ? [['', '—'], ...p.constraints.choices.map((c: any): [string, string] => [c.value, c.label || c.value])] : undefined} />
          )) : <p>This product asks no ordering parameters.</p>)}
          {step === 8 && (
            <dl>
              <dt>Product</dt><dd>{product}</dd>
              <dt>Marketplace</dt><dd>{market}</dd>
              {tiers === '1' && <><dt>T1 account</dt><dd>{t1.name}</dd></>}
              <dt>Customer</dt><dd>{customer.name}</dd>
              <dt>Items</dt><dd>{(items as any[]).filter((it) => qty[it.id]).map((it) => `${it.name} × ${qty[it.id]}`).join(', ')}</dd>
              <dt>External id</dt><dd>{attrs.external_id || '—'}</dd>
              {ordering.map((p) => <><dt>{p.title || p.name}</dt><dd>{params[p.name] || '—'}</dd></>)}
            </dl>
          )}
          {/* The fields live on other steps: every message is listed here too. */}
          <FormErrors err={err} fields={[]} />
          <div class="nav-buttons">
            <button type="button" disabled={step === 0} onClick={() => setStep(step - 1)}>Back</button>
            <button type="submit" class="primary" disabled={!canNext || busy}>{step === steps.length - 1 ? 'Create' : 'Next'}</button>
          </div>
        </form>
      </div>
    </Page>
  );
}
