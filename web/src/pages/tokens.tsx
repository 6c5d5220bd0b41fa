import { useState } from 'preact/hooks';
import { del, get, post } from '../api';
import { Card, Field, FormErrors, Loading, Page, useForm, useLoad, when } from '../ui';

export function Tokens() {
  const list = useLoad(() => get<any[]>('/public/v1/auth/tokens'), []);
  const f = useForm({ name: '' });
  const [shown, setShown] = useState('');
  const [err, setErr] = useState<Error | null>(null);
  return (
    <Page title="API tokens">
      <Card title="Create a token" id="create-token">
        <form onSubmit={(e) => { e.preventDefault(); f.submit(async (v) => { const t = await post('/public/v1/auth/tokens', v); setShown(t.token); f.setValues({ name: '' }); list.reload(); }); }}>
          <Field label="Name" {...f.bind('name')} />
          <FormErrors err={f.err} fields={['name']} />
          <button type="submit" disabled={f.busy}>Create token</button>
        </form>
        {shown && <p class="notice" role="status">Copy it now; it is not shown again: <code class="secret">{shown}</code></p>}
      </Card>
      {err && <div class="alert" role="alert">{err.message}</div>}
      {!list.data ? <Loading err={list.err} /> : (
        <table>
          <caption>Tokens</caption>
          <thead><tr><th>Name</th><th>Id</th><th>Ends with</th><th>Created</th><th><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            {list.data.map((t) => (
              <tr>
                <td>{t.name}</td><td>{t.id}</td><td>{t.hint}</td><td>{when(t.created)}</td>
                <td><button type="button" class="danger" aria-label={'Revoke ' + t.name} onClick={() => del('/public/v1/auth/tokens/' + t.id).then(list.reload, setErr)}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
