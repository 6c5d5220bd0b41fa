import { useState } from 'preact/hooks';
import { call, get } from '../api';
import { renderMarkdown } from '../markdown';
import { Card, Loading, Page, Status, useLoad, when } from '../ui';

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
                  <td>{a.id}</td>
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
