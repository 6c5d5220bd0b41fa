import { useState } from 'preact/hooks';
import { del, get, post, put } from '../api';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

// Webhooks is the App Portal: endpoints, the event catalog with example
// payloads, and per endpoint the delivery log.
export function Webhooks() {
  const list = useLoad(() => get<any[]>('/public/v1/webhooks'), []);
  const types = useLoad(() => get<any[]>('/public/v1/webhooks/event-types?limit=1000'), []);
  const f = useForm({ label: '', url: '', description: '', events: '' });
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  return (
    <Page title="Webhooks">
      <Card title="Add an endpoint" id="add-endpoint">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            f.submit(async (v) => {
              const events = v.events.split(/[\s,]+/).filter(Boolean);
              const wh = await post('/public/v1/webhooks', { label: v.label, url: v.url, description: v.description, events });
              setSecret({ id: wh.id, secret: wh.secret });
              f.setValues({ label: '', url: '', description: '', events: '' });
              list.reload();
            });
          }}
        >
          <Field label="Label" {...f.bind('label')} />
          <Field label="URL" type="url" {...f.bind('url')} hint="https, on a public address" />
          <Field label="Description" {...f.bind('description')} />
          <Field label="Event types" {...f.bind('events')} hint="space separated; empty: every event" />
          <FormErrors err={f.err} fields={['label', 'url', 'description', 'events']} />
          <button type="submit" disabled={f.busy}>Add endpoint</button>
        </form>
        {secret && <SecretShown {...secret} />}
      </Card>
      {!list.data ? <Loading err={list.err} /> : (
        <table>
          <caption>Endpoints</caption>
          <thead><tr><th>Endpoint</th><th>URL</th><th>Active</th><th>Deliveries</th></tr></thead>
          <tbody>
            {list.data.map((w) => (
              <tr>
                <td><a href={'#/webhooks/' + w.id}>{w.label}</a> <small>{w.id}</small></td>
                <td><code>{w.url}</code></td>
                <td>{w.active ? 'yes' : w.disabled_reason ? `no: ${w.disabled_reason}` : 'no'}</td>
                <td>{w.stats?.deliveries ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Card title="Event catalog" id="catalog">
        {!types.data ? <Loading err={types.err} /> : types.data.map((t) => (
          <details>
            <summary><code>{t.type}</code> {t.description}</summary>
            <pre>{JSON.stringify(t.example, null, 2)}</pre>
          </details>
        ))}
      </Card>
    </Page>
  );
}

function SecretShown({ id, secret }: { id: string; secret: string }) {
  return (
    <div class="notice" role="status">
      <p>The signing secret of {id}, shown this once: <code class="secret">{secret}</code></p>
    </div>
  );
}

export function WebhookPage({ id }: { id: string }) {
  const base = '/public/v1/webhooks/' + id;
  const wh = useLoad(() => get(base), [id]);
  const [status, setStatus] = useState('');
  const deliveries = useLoad(() => get<any[]>(base + '/deliveries?limit=50' + (status ? '&status=' + status : '')), [id, status], 4000);
  const act = useForm({ since: '' });
  const [secret, setSecret] = useState('');
  const [msg, setMsg] = useState('');
  const [open, setOpen] = useState<string>('');
  if (!wh.data) return <Loading err={wh.err} />;
  const w = wh.data;
  const run = (fn: () => Promise<string>) => act.submit(async () => { setMsg(await fn()); deliveries.reload(); wh.reload(); });
  return (
    <Page title={w.label} actions={<span>{w.id} {w.active ? 'active' : 'disabled'}</span>}>
      <Card title="Endpoint" id="endpoint">
        <dl>
          <dt>URL</dt><dd><code>{w.url}</code></dd>
          <dt>Events</dt><dd>{w.events?.length ? w.events.join(', ') : 'all'}</dd>
          {w.disabled_reason && <><dt>Disabled</dt><dd>{w.disabled_reason}</dd></>}
        </dl>
        <div class="actions">
          <button type="button" onClick={() => run(async () => { const d = await post(base + '/test'); return `Test event sent: ${d.status}, answered ${d.attempts?.[0]?.status_code ?? d.attempts?.[0]?.error ?? ''}`; })}>Send test event</button>
          <button type="button" onClick={() => run(async () => { const r = await post(base + '/rotate-secret'); setSecret(r.secret); return 'Secret rotated; the old one signs for 24 hours more.'; })}>Rotate secret</button>
          <button type="button" onClick={() => run(async () => { await put(base, { active: !w.active }); return w.active ? 'Disabled.' : 'Enabled.'; })}>{w.active ? 'Disable' : 'Enable'}</button>
          <button type="button" class="danger" onClick={() => run(async () => { await del(base); location.hash = '#/webhooks'; return 'Deleted.'; })}>Delete</button>
        </div>
        <form class="actions" onSubmit={(e) => { e.preventDefault(); run(async () => { await post(base + '/recover', { since: act.values.since && new Date(act.values.since).toISOString() }); return 'Recovery queued: every delivery that failed since then is sent once more.'; }); }}>
          <Field label="Recover failed deliveries since" type="datetime-local" {...act.bind('since')} />
          <button type="submit">Recover</button>
        </form>
        <FormErrors err={act.err} fields={['since']} />
        {msg && <p role="status">{msg}</p>}
        {secret && <SecretShown id={w.id} secret={secret} />}
      </Card>
      <Card title="Delivery log" id="log">
        <Field label="Status" name="status" value={status} onInput={setStatus} choices={[['', 'Any'], ['pending', 'Pending'], ['succeeded', 'Succeeded'], ['failed', 'Failed']]} />
        <p class="muted">Refreshes every 4 seconds.</p>
        {!deliveries.data ? <Loading err={deliveries.err} /> : (
          <table>
            <thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th>Updated</th><th><span class="sr">Actions</span></th></tr></thead>
            <tbody>
              {deliveries.data.map((d) => (
                <>
                  <tr>
                    <td><code>{d.event?.type}</code> <small>{d.id}</small></td>
                    <td><Status s={d.status} /></td>
                    <td>
                      <button type="button" aria-expanded={open === d.id} aria-label={`${d.attempt_count} attempts of ${d.id}`} onClick={() => setOpen(open === d.id ? '' : d.id)}>
                        {d.attempt_count} attempts
                      </button>
                    </td>
                    <td>{when(d.updated)}</td>
                    <td><button type="button" aria-label={'Redeliver ' + d.id} onClick={() => run(async () => { await post(`${base}/deliveries/${d.id}/redeliver`); return `Redelivery of ${d.id} queued.`; })}>Redeliver</button></td>
                  </tr>
                  {open === d.id && (
                    <tr class="attempts">
                      <td colSpan={5}>
                        <ol>
                          {d.attempts.map((a: any) => (
                            <li>
                              #{a.number} {when(a.at)} · {a.trigger} · {a.status_code ? 'HTTP ' + a.status_code : a.error} · {a.duration_ms} ms
                              {a.response && <pre aria-label={`answer body of attempt ${a.number}`}>{a.response}</pre>}
                            </li>
                          ))}
                        </ol>
                      </td>
                    </tr>
                  )}
                </>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </Page>
  );
}
