import { useState } from 'preact/hooks';
import { call, get, post, put, type Session } from '../api';
import { renderMarkdown } from '../markdown';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

const statuses: [string, string][] = [['pending', 'Pending'], ['inquiring', 'Inquiring'], ['approved', 'Approved'], ['failed', 'Failed'], ['', 'Any status']];
const types: [string, string][] = [['', 'Any type'], ['purchase', 'Purchase'], ['change', 'Change'], ['suspend', 'Suspend'], ['resume', 'Resume'], ['cancel', 'Cancel']];

// Queue is the vendor's fulfillment queue; it polls every 5 s.
export function Queue() {
  const [status, setStatus] = useState('pending');
  const [type, setType] = useState('');
  const [product, setProduct] = useState('');
  const q = new URLSearchParams({ limit: '200' });
  if (status) q.set('status', status);
  if (type) q.set('type', type);
  if (product) q.set('asset.product.id', product);
  const list = useLoad(() => get<any[]>('/public/v1/requests?' + q), [status, type, product], 5000);
  const [actionErr, setActionErr] = useState<Error | null>(null);
  return (
    <Page title="Fulfillment queue">
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status" name="status" value={status} onInput={setStatus} choices={statuses} />
        <Field label="Type" name="type" value={type} onInput={setType} choices={types} />
        <Field label="Product id" name="product" value={product} onInput={setProduct} />
      </form>
      <p class="muted" aria-live="polite">Refreshes every 5 seconds{list.data ? ` · ${list.data.length} requests` : ''}</p>
      {actionErr && <div class="alert" role="alert">{actionErr.message}</div>}
      {!list.data ? <Loading err={list.err} /> : (
        <table>
          <caption class="sr">Requests</caption>
          <thead><tr><th>Request</th><th>Type</th><th>Status</th><th>Product</th><th>Customer</th><th>Assignee</th><th>Created</th></tr></thead>
          <tbody>
            {list.data.map((r) => (
              <tr>
                <td><a href={'#/requests/' + r.id}>{r.id}</a></td>
                <td>{r.type}</td>
                <td><Status s={r.status} /></td>
                <td>{r.asset?.product?.name ?? r.asset?.product?.id}</td>
                <td>{r.asset?.tiers?.customer?.name}</td>
                <td>
                  {r.assignee ? r.assignee.name || r.assignee.id : (
                    <button type="button" aria-label={'Assign ' + r.id + ' to me'} onClick={() => post(`/public/v1/requests/${r.id}/assign`).then(list.reload, setActionErr)}>Assign to me</button>
                  )}
                </td>
                <td>{when(r.created)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function RequestPage({ id, session }: { id: string; session: Session }) {
  const req = useLoad(() => get('/public/v1/requests/' + id), [id], 5000);
  if (!req.data) return <Loading err={req.err} />;
  const r = req.data;
  const a = r.asset;
  const vendor = session.account.type === 'vendor';
  return (
    <Page title={'Request ' + r.id} actions={<span>{r.type} <Status s={r.status} /></span>}>
      <div class="cols">
        <Card title="Asset" id="asset">
          <dl>
            <dt>Asset</dt><dd>{a.id} <Status s={a.status} /></dd>
            <dt>Product</dt><dd>{a.product?.name} <small>{a.product?.id}</small> v{a.version}</dd>
            <dt>Marketplace</dt><dd>{r.marketplace?.name ?? a.marketplace?.name} <small>{r.marketplace?.id}</small></dd>
            <dt>Created</dt><dd>{when(r.created)}</dd>
            {r.note && <><dt>Note</dt><dd>{r.note}</dd></>}
            {r.reason && <><dt>Reason</dt><dd>{r.reason}</dd></>}
          </dl>
        </Card>
        <Tiers a={a} />
      </div>
      <Items a={a} />
      <Chain assetID={a.id} current={r.id} />
      {vendor ? <Work r={r} onChange={req.reload} /> : <ParamsView params={a.params} />}
      {r.template && (r.status === 'approved' || r.status === 'inquiring') && <Rendered id={r.id} inquiry={r.status === 'inquiring'} vendor={vendor} />}
    </Page>
  );
}

// Tiers, Items, ParamsView and Chain show an asset, on its request's page
// and on its own.
export function Tiers({ a }: { a: any }) {
  const tiers = [['Customer', a.tiers?.customer], ['Tier 1 (reseller)', a.tiers?.tier1], ['Tier 2', a.tiers?.tier2]].filter(([, t]) => t) as [string, any][];
  return (
    <Card title="Tiers" id="tiers">
      <dl>
        {tiers.map(([label, t]) => (
          <><dt>{label}</dt><dd>{t.name} {t.id && <small>{t.id}</small>} {t.contact_info?.contact?.email}</dd></>
        ))}
      </dl>
    </Card>
  );
}

export function Items({ a }: { a: any }) {
  return (
    <table>
      <caption>Items</caption>
      <thead><tr><th>Item</th><th>MPN</th><th>Type</th><th>Quantity</th><th>Price</th></tr></thead>
      <tbody>
        {a.items.map((it: any) => (
          <tr><td>{it.name}</td><td>{it.mpn}</td><td>{it.type} {it.period}</td><td>{it.quantity}{it.old_quantity ? ` (was ${it.old_quantity})` : ''}</td><td>{it.price}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function ParamsView({ params }: { params: any[] }) {
  return (
    <table>
      <caption>Parameters</caption>
      <thead><tr><th>Parameter</th><th>Phase</th><th>Value</th><th>Error</th></tr></thead>
      <tbody>{params.map((p) => <tr><td>{p.title || p.name}</td><td>{p.phase}</td><td>{p.value}</td><td>{p.value_error}</td></tr>)}</tbody>
    </table>
  );
}

export function Chain({ assetID, current }: { assetID: string; current: string }) {
  const chain = useLoad(() => get<any[]>(`/public/v1/assets/${assetID}/requests`), [assetID, current]);
  if (!chain.data) return <Loading err={chain.err} />;
  return (
    <Card title="Request chain" id="chain">
      <ol class="chain">
        {chain.data.map((c) => (
          <li aria-current={c.id === current ? 'step' : undefined}>
            {c.id === current ? <strong>{c.id}</strong> : <a href={'#/requests/' + c.id}>{c.id}</a>} {c.type} <Status s={c.status} /> {when(c.created)}
          </li>
        ))}
      </ol>
    </Card>
  );
}

// Work holds the vendor's actions on a request: fill parameters, inquire,
// pend, approve with the activation template's preview, fail with a reason.
function Work({ r, onChange }: { r: any; onChange: () => void }) {
  const a = r.asset;
  const templates = useLoad(() => get<any[]>(`/public/v1/products/${a.product.id}/templates`), [a.product.id]);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(a.params.map((p: any) => [p.id, p.value ?? ''])));
  const [errors, setErrors] = useState<Record<string, string>>(() => Object.fromEntries(a.params.map((p: any) => [p.id, p.value_error ?? ''])));
  const [tpl, setTpl] = useState('');
  const [inqTpl, setInqTpl] = useState('');
  const [preview, setPreview] = useState('');
  const save = useForm({});
  const act = useForm({ reason: '' });
  const open = r.status === 'pending' || r.status === 'inquiring' || r.status === 'draft' || r.status === 'tiers_setup';
  const fulfillment = (templates.data ?? []).filter((t) => t.type === 'fulfillment');
  const inquire = (templates.data ?? []).filter((t) => t.type === 'inquire');
  const chosen = tpl || fulfillment[0]?.id || '';
  const paramBody = () => ({ asset: { params: a.params.map((p: any) => ({ id: p.id, value: values[p.id] ?? '', value_error: errors[p.id] ?? '' })) } });
  const run = (fn: () => Promise<unknown>) => act.submit(async () => { await fn(); onChange(); });
  // A transition waits for the parameters being saved: it acts on them.
  const busy = act.busy || save.busy;
  return (
    <>
      <Card title="Parameters" id="params">
        <form onSubmit={(e) => { e.preventDefault(); save.submit(async () => { await put('/public/v1/requests/' + r.id, paramBody()); onChange(); }); }}>
          {a.params.map((p: any) => (
            <div class="param">
              <Field label={`${p.title || p.name}${p.required ? ' (required)' : ''} · ${p.phase}`} name={p.name} value={values[p.id] ?? ''} err={save.err}
                onInput={(v) => setValues((o) => ({ ...o, [p.id]: v }))} type={p.type === 'email' ? 'email' : 'text'} />
              <Field label={`Message to the provider about ${p.title || p.name}`} name={p.name + ' error'} value={errors[p.id] ?? ''}
                onInput={(v) => setErrors((o) => ({ ...o, [p.id]: v }))} hint="sent with an inquiry; clear it once the value is right" />
            </div>
          ))}
          <FormErrors err={save.err} fields={a.params.map((p: any) => p.name)} />
          <button type="submit" disabled={save.busy || !open}>Save parameters</button>
        </form>
      </Card>
      {open && (
        <Card title="Actions" id="actions">
          <FormErrors err={act.err} fields={['reason']} />
          <div class="actions">
            <Field label="Inquire template" name="inquire_template" value={inqTpl} onInput={setInqTpl}
              choices={[['', 'none'], ...inquire.map((t): [string, string] => [t.id, t.title])]} />
            <button type="button" disabled={busy || r.status === 'inquiring'} onClick={() => run(() => post(`/public/v1/requests/${r.id}/inquire`, inqTpl ? { template_id: inqTpl } : undefined))}>Inquire</button>
            <button type="button" disabled={busy || r.status === 'pending'} onClick={() => run(() => post(`/public/v1/requests/${r.id}/pend`))}>Switch to pending</button>
          </div>
          <div class="approve">
            <Field label="Activation template" name="template_id" value={chosen} err={act.err} onInput={(v) => { setTpl(v); setPreview(''); }}
              choices={fulfillment.map((t): [string, string] => [t.id, t.title])} />
            <button type="button" disabled={!chosen} onClick={async () => {
              const vals = Object.fromEntries(a.params.map((p: any) => [p.name, values[p.id] ?? '']));
              Object.assign(vals, { 'asset.id': a.id, 'request.id': r.id, 'product.id': a.product.id, 'product.name': a.product.name ?? '', 'customer.name': a.tiers?.customer?.name ?? '' });
              const pv = await post(`/public/v1/products/${a.product.id}/templates/${chosen}/preview`, { values: vals });
              setPreview(pv.body);
            }}>Preview activation</button>
            {preview && <div class="preview" aria-label="Activation preview" dangerouslySetInnerHTML={{ __html: renderMarkdown(preview) }} />}
            <button type="button" class="primary" disabled={busy || r.status !== 'pending'} onClick={() => run(() => post(`/public/v1/requests/${r.id}/approve`, { template_id: chosen }))}>Approve</button>
          </div>
          <form class="fail" onSubmit={(e) => { e.preventDefault(); act.submit(async (v) => { await post(`/public/v1/requests/${r.id}/fail`, { reason: v.reason }); onChange(); }); }}>
            <Field label="Reason for failing" {...act.bind('reason')} />
            <button type="submit" class="danger" disabled={busy}>Fail request</button>
          </form>
        </Card>
      )}
    </>
  );
}

// Rendered is the request's template as the provider reads it: the
// activation text once approved, the inquiry while inquiring with one.
function Rendered({ id, inquiry, vendor }: { id: string; inquiry: boolean; vendor: boolean }) {
  const html = useLoad(() => call<string>('GET', `/public/v1/requests/${id}/render`, { accept: 'text/markdown' }), [id, inquiry]);
  if (!html.data) return <Loading err={html.err} />;
  return (
    <Card title={`${inquiry ? 'Inquiry' : 'Activation'} ${vendor ? 'sent to the provider' : 'from the vendor'}`} id={inquiry ? 'inquiry' : 'activation'}>
      <div class="preview" dangerouslySetInnerHTML={{ __html: renderMarkdown(html.data) }} />
    </Card>
  );
}
