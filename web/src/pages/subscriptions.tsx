import { useState } from 'preact/hooks';
import { call, get } from '../api';
import { renderMarkdown } from '../markdown';
import { Card, Loading, Page, Status, useLoad, when } from '../ui';
import { Chain, Items, ParamsView, Tiers } from './queue';

// Subscriptions are the caller's assets (a provider's subscriptions, a
// vendor's assets), their pending requests and, once active, the activation
// text the vendor approved them with.
export function Subscriptions({ title = 'Subscriptions' }: { title?: string }) {
  const assets = useLoad(() => get<any[]>('/public/v1/assets?limit=200'), [], 5000);
  const [open, setOpen] = useState('');
  return (
    <Page title={title}>
      <p class="muted">Refreshes every 5 seconds.</p>
      {!assets.data ? <Loading err={assets.err} /> : (
        <table>
          <thead><tr><th>Subscription</th><th>Product</th><th>Customer</th><th>Status</th><th>Items</th><th>Activated</th><th>Request</th></tr></thead>
          <tbody>
            {assets.data.map((a) => (
              <>
                <tr>
                  <td><a href={'#/assets/' + a.id}>{a.id}</a></td>
                  <td>{a.product?.name ?? a.product?.id}</td>
                  <td>{a.tiers?.customer?.name}</td>
                  <td><Status s={a.status} /></td>
                  <td>{a.items?.map((it: any) => `${it.name} × ${it.quantity}`).join(', ')}</td>
                  <td>{a.activated_at ? (
                    <button type="button" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? '' : a.id)}>Activation of {a.id}</button>
                  ) : '—'} {when(a.activated_at)}</td>
                  <td>{a.pending_request ? <a href={'#/requests/' + a.pending_request.id}>{a.pending_request.id}</a> : ''}</td>
                </tr>
                {open === a.id && <tr><td colSpan={7}><ActivationText id={a.id} /></td></tr>}
              </>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

function ActivationText({ id }: { id: string }) {
  const text = useLoad(() => call<string>('GET', `/public/v1/assets/${id}/render`, { accept: 'text/markdown' }), [id]);
  if (!text.data) return <Loading err={text.err} />;
  return <Card title="Activation" id={'act-' + id}><div class="preview" dangerouslySetInnerHTML={{ __html: renderMarkdown(text.data) }} /></Card>;
}

// AssetPage is one asset: its items, parameters, tiers and the chain of
// requests that made it what it is; it polls, as the list does.
export function AssetPage({ id }: { id: string }) {
  const asset = useLoad(() => get('/public/v1/assets/' + id), [id], 5000);
  if (!asset.data) return <Loading err={asset.err} />;
  const a = asset.data;
  const pending = a.pending_request?.id ?? '';
  return (
    <Page title={'Asset ' + a.id} actions={<Status s={a.status} />}>
      <div class="cols">
        <Card title="Asset" id="asset">
          <dl>
            <dt>Product</dt><dd>{a.product?.name} <small>{a.product?.id}</small> v{a.version}</dd>
            <dt>Marketplace</dt><dd>{a.marketplace?.name} <small>{a.marketplace?.id}</small></dd>
            {a.external_id && <><dt>External id</dt><dd>{a.external_id}</dd></>}
            <dt>Created</dt><dd>{when(a.created)}</dd>
            {a.activated_at && <><dt>Activated</dt><dd>{when(a.activated_at)}</dd></>}
            {pending && <><dt>Pending request</dt><dd><a href={'#/requests/' + pending}>{pending}</a> {a.pending_request?.name}</dd></>}
          </dl>
        </Card>
        <Tiers a={a} />
      </div>
      <Items a={a} />
      <ParamsView params={a.params ?? []} />
      <Chain assetID={a.id} current={pending} />
      {a.activated_at && <ActivationText id={a.id} />}
    </Page>
  );
}
