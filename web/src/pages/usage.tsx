import { useState } from 'preact/hooks';
import { ApiError, get, post, upload, type Session } from '../api';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

// Usage: the vendor creates a usage file, downloads its template, uploads
// it with a progress bar, reads the row errors, and submits; the provider
// accepts or rejects it with a note (a rejection needs one), which both
// sides read on the file.
export function Usage({ session }: { session: Session }) {
  const vendor = session.account.type === 'vendor';
  const files = useLoad(() => get<any[]>('/public/v1/usage/files?limit=200'), [], 3000);
  const [open, setOpen] = useState('');
  return (
    <Page title="Usage">
      {vendor && <CreateFile onCreated={(id) => { files.reload(); setOpen(id); }} />}
      <p class="muted">Refreshes every 3 seconds.</p>
      {!files.data ? <Loading err={files.err} /> : (
        <table>
          <caption>Usage files</caption>
          <thead><tr><th>File</th><th>Product</th><th>Period</th><th>Status</th><th>Records</th></tr></thead>
          <tbody>
            {files.data.map((f) => (
              <>
                <tr>
                  <td><button type="button" class="link" aria-expanded={open === f.id} onClick={() => setOpen(open === f.id ? '' : f.id)}>{f.name}</button> <small>{f.id}</small></td>
                  <td>{f.product?.name ?? f.product?.id}</td>
                  <td>{f.period?.from?.slice(0, 10)} – {f.period?.to?.slice(0, 10)}</td>
                  <td><Status s={f.status} /></td>
                  <td>{f.stats?.records ?? 0}</td>
                </tr>
                {open === f.id && <tr><td colSpan={5}><FilePanel f={f} vendor={vendor} onChange={files.reload} /></td></tr>}
              </>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

function CreateFile({ onCreated }: { onCreated: (id: string) => void }) {
  const opts = useLoad(() => get<any[]>('/public/v1/listings?limit=500'), []);
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  const f = useForm({ name: '', listing: '', from: first, to: next });
  if (!opts.data) return <Loading err={opts.err} />;
  const listing = f.values.listing || opts.data[0]?.id || '';
  return (
    <Card title="New usage file" id="new-usage">
      <form class="grid" onSubmit={(e) => { e.preventDefault(); f.submit(async (v) => {
        const l = opts.data!.find((x) => x.id === listing);
        const uf = await post('/public/v1/usage/files', { name: v.name, product: l?.product?.id ?? '', marketplace: l?.marketplace?.id ?? '', period: { from: v.from, to: v.to } });
        onCreated(uf.id);
      }); }}>
        <Field label="Name" {...f.bind('name')} />
        <Field label="Product on marketplace" name="product" value={listing} err={f.err} onInput={(v) => f.setValues((o) => ({ ...o, listing: v }))}
          choices={opts.data.map((l) => [l.id, `${l.product?.name} on ${l.marketplace?.name ?? l.marketplace?.id}`])} />
        <Field label="From" type="date" {...f.bind('from')} name="period.from" />
        <Field label="To" type="date" {...f.bind('to')} name="period.to" />
        <FormErrors err={f.err} fields={['name', 'product', 'marketplace', 'period']} />
        <button type="submit" disabled={f.busy}>Create usage file</button>
      </form>
    </Card>
  );
}

function FilePanel({ f, vendor, onChange }: { f: any; vendor: boolean; onChange: () => void }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const base = '/public/v1/usage/files/' + f.id;
  const act = (path: string) => post(base + path).then(onChange, (e) => setErr(e));
  const decision = useForm({ note: '' });
  const decide = (path: string) => decision.submit(async (v) => { await post(base + path, v.note ? { note: v.note } : undefined); onChange(); });
  const canUpload = ['draft', 'processing', 'ready', 'invalid'].includes(f.status);
  return (
    <div class="usage-file">
      <p>Status <Status s={f.status} /> · updated {when(f.updated)} · {f.records?.valid ?? 0} valid rows, {f.records?.invalid ?? 0} invalid</p>
      {f.rejection_note && <p>Rejected: {f.rejection_note}</p>}
      {f.acceptance_note && <p>Accepted: {f.acceptance_note}</p>}
      {f.error_detail && (
        <div class="alert" role="alert">
          <p>The last upload has errors:</p>
          <pre>{f.error_detail}</pre>
        </div>
      )}
      {vendor && (
        <>
          <p>
            Template: <a href={base + '/template?format=csv'} download>CSV</a> · <a href={base + '/template?format=xlsx'} download>XLSX</a>
          </p>
          {canUpload && (
            <form onSubmit={(e) => { e.preventDefault(); if (!file) return; const form = new FormData(); form.append('file', file); setErr(null); setProgress(0);
              upload(base + '/upload', form, setProgress).then(onChange, (e) => setErr(e)); }}>
              <label for={'up-' + f.id}>Usage file (CSV or XLSX)</label>
              <input id={'up-' + f.id} type="file" accept=".csv,.xlsx" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
              <button type="submit" disabled={!file}>Upload</button>
              {progress !== null && <progress max={1} value={progress} aria-label="Upload progress">{Math.round(progress * 100)}%</progress>}
            </form>
          )}
          {f.status === 'ready' && <button type="button" class="primary" onClick={() => act('/submit')}>Submit to the provider</button>}
        </>
      )}
      {!vendor && f.status === 'pending' && (
        <form onSubmit={(e) => e.preventDefault()}>
          <Field label="Note to the vendor" {...decision.bind('note')} hint="required to reject" />
          <FormErrors err={decision.err} fields={['note']} />
          <div class="actions">
            <button type="button" class="primary" disabled={decision.busy} onClick={() => decide('/accept')}>Accept</button>
            <button type="button" class="danger" disabled={decision.busy} onClick={() => decide('/reject')}>Reject</button>
          </div>
        </form>
      )}
      <FormErrors err={err} fields={[]} />
    </div>
  );
}
