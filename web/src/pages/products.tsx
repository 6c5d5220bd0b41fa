import { useState } from 'preact/hooks';
import { del, get, post, put } from '../api';
import { fill, renderMarkdown } from '../markdown';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

export function Products() {
  const list = useLoad(() => get<any[]>('/public/v1/products?limit=200'), []);
  const f = useForm({ name: '', short_description: '', category: '' });
  return (
    <Page title="Products">
      <Card title="Create a product" id="create-product">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            f.submit(async (v) => {
              const p = await post('/public/v1/products', v);
              location.hash = '#/products/' + p.id;
            });
          }}
        >
          <Field label="Name" {...f.bind('name')} required />
          <Field label="Short description" {...f.bind('short_description')} />
          <Field label="Category" {...f.bind('category')} />
          <FormErrors err={f.err} fields={['name', 'short_description', 'category']} />
          <button type="submit" disabled={f.busy}>
            Create product
          </button>
        </form>
      </Card>
      {!list.data ? (
        <Loading err={list.err} />
      ) : (
        <table>
          <caption>Your products</caption>
          <thead>
            <tr><th>Product</th><th>Status</th><th>Version</th><th>Updated</th></tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr>
                <td><a href={'#/products/' + p.id}>{p.name}</a> <small>{p.id}</small></td>
                <td><Status s={p.status} /></td>
                <td>{p.version || '—'}</td>
                <td>{when(p.updated)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

type Tab = 'profile' | 'items' | 'parameters' | 'templates' | 'publish';

export function ProductPage({ id }: { id: string }) {
  const base = '/public/v1/products/' + id;
  const product = useLoad(() => get(base), [id]);
  const [tab, setTab] = useState<Tab>('items');
  if (!product.data) return <Loading err={product.err} />;
  const p = product.data;
  const tabs: [Tab, string][] = [
    ['profile', 'Profile'],
    ['items', 'Items'],
    ['parameters', 'Parameters'],
    ['templates', 'Templates'],
    ['publish', 'Publish and list'],
  ];
  return (
    <Page title={p.name} actions={<span>{p.id} <Status s={p.status} /> v{p.version || 0}</span>}>
      <div role="tablist" aria-label="Product sections" class="tabs">
        {tabs.map(([t, label]) => (
          <button type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'profile' && <Profile base={base} p={p} onSaved={product.reload} />}
        {tab === 'items' && <Items base={base} />}
        {tab === 'parameters' && <Parameters base={base} />}
        {tab === 'templates' && <Templates base={base} />}
        {tab === 'publish' && <Publish base={base} p={p} onPublished={product.reload} />}
      </div>
    </Page>
  );
}

function Profile({ base, p, onSaved }: { base: string; p: any; onSaved: () => void }) {
  const f = useForm({ name: p.name, short_description: p.short_description, detailed_description: p.detailed_description, category: p.category });
  const [saved, setSaved] = useState(false);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        f.submit(async (v) => {
          await put(base, v);
          setSaved(true);
          onSaved();
        });
      }}
    >
      <Field label="Name" {...f.bind('name')} />
      <Field label="Short description" {...f.bind('short_description')} />
      <Field label="Detailed description (Markdown)" multiline {...f.bind('detailed_description')} />
      <Field label="Category" {...f.bind('category')} />
      <FormErrors err={f.err} fields={['name', 'short_description', 'detailed_description', 'category']} />
      <button type="submit" disabled={f.busy}>Save profile</button>
      {saved && <span role="status"> Saved.</span>}
    </form>
  );
}

function Items({ base }: { base: string }) {
  const items = useLoad(() => get<any[]>(base + '/items'), [base]);
  const f = useForm({ name: '', mpn: '', type: 'reservation', period: 'monthly', unit: 'users', precision: '', min_quantity: '', max_quantity: '' });
  const [delErr, setDelErr] = useState<Error | null>(null);
  const fields = Object.keys(f.values);
  return (
    <>
      {!items.data ? <Loading err={items.err} /> : (
        <table>
          <caption>Items</caption>
          <thead><tr><th>Name</th><th>MPN</th><th>Type</th><th>Period</th><th>Unit</th><th><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            {items.data.map((it) => (
              <tr>
                <td>{it.name} <small>{it.id}</small></td>
                <td>{it.mpn}</td>
                <td>{it.type}</td>
                <td>{it.period}</td>
                <td>{it.unit}</td>
                <td>
                  <button type="button" class="danger" aria-label={'Delete item ' + it.name}
                    onClick={() => del(base + '/items/' + it.id).then(items.reload, setDelErr)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {delErr && <div class="alert" role="alert">{delErr.message}</div>}
      <Card title="Add an item" id="add-item">
        <form
          class="grid"
          onSubmit={(e) => {
            e.preventDefault();
            f.submit(async (v) => {
              const body: any = { name: v.name, mpn: v.mpn, type: v.type, unit: v.unit };
              if (v.type === 'reservation') body.period = v.period;
              if (v.precision) body.precision = v.precision;
              if (v.min_quantity) body.min_quantity = Number(v.min_quantity);
              if (v.max_quantity) body.max_quantity = Number(v.max_quantity);
              await post(base + '/items', body);
              f.setValues((o) => ({ ...o, name: '', mpn: '' }));
              items.reload();
            });
          }}
        >
          <Field label="Name" {...f.bind('name')} />
          <Field label="MPN" {...f.bind('mpn')} />
          <Field label="Type" choices={[['reservation', 'Reservation'], ['ppu', 'Pay per use']]} {...f.bind('type')} />
          {f.values.type === 'reservation' && (
            <Field label="Period" choices={[['monthly', 'Monthly'], ['yearly', 'Yearly'], ['onetime', 'One time']]} {...f.bind('period')} />
          )}
          <Field label="Unit" {...f.bind('unit')} />
          <Field label="Precision" choices={[['', 'default'], ['integer', 'integer'], ['decimal(1)', 'decimal(1)'], ['decimal(2)', 'decimal(2)'], ['decimal(4)', 'decimal(4)'], ['decimal(8)', 'decimal(8)']]} {...f.bind('precision')} />
          <Field label="Minimum quantity" type="number" {...f.bind('min_quantity')} />
          <Field label="Maximum quantity" type="number" {...f.bind('max_quantity')} hint="empty: unlimited" />
          <FormErrors err={f.err} fields={fields} />
          <button type="submit" disabled={f.busy}>Add item</button>
        </form>
      </Card>
    </>
  );
}

function Parameters({ base }: { base: string }) {
  const params = useLoad(() => get<any[]>(base + '/parameters'), [base]);
  const f = useForm({ name: '', title: '', description: '', type: 'text', scope: 'asset', phase: 'fulfillment', required: 'false', hidden: 'false', readonly: 'false', unique: 'false', choices: '' });
  const [delErr, setDelErr] = useState<Error | null>(null);
  const yesNo: [string, string][] = [['false', 'No'], ['true', 'Yes']];
  return (
    <>
      {!params.data ? <Loading err={params.err} /> : (
        <table>
          <caption>Parameters</caption>
          <thead><tr><th>Name</th><th>Title</th><th>Type</th><th>Scope</th><th>Phase</th><th>Constraints</th><th><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            {params.data.map((p) => (
              <tr>
                <td><code>{p.name}</code></td>
                <td>{p.title}</td>
                <td>{p.type}</td>
                <td>{p.scope}</td>
                <td>{p.phase}</td>
                <td>{['required', 'hidden', 'readonly', 'unique'].filter((c) => p.constraints?.[c]).join(', ')}
                  {p.constraints?.choices?.length ? ' · choices: ' + p.constraints.choices.map((c: any) => c.value).join(', ') : ''}</td>
                <td>
                  <button type="button" class="danger" aria-label={'Delete parameter ' + p.name}
                    onClick={() => del(base + '/parameters/' + p.id).then(params.reload, setDelErr)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {delErr && <div class="alert" role="alert">{delErr.message}</div>}
      <Card title="Add a parameter" id="add-param">
        <form
          class="grid"
          onSubmit={(e) => {
            e.preventDefault();
            f.submit(async (v) => {
              const constraints: any = { required: v.required === 'true', hidden: v.hidden === 'true', readonly: v.readonly === 'true', unique: v.unique === 'true' };
              const choices = v.choices.split('\n').map((l) => l.trim()).filter(Boolean);
              if (choices.length) constraints.choices = choices.map((l) => { const [value, label] = l.split('|'); return { value: value.trim(), label: (label ?? value).trim() }; });
              await post(base + '/parameters', { name: v.name, title: v.title, description: v.description, type: v.type, scope: v.scope, phase: v.phase, constraints });
              f.setValues((o) => ({ ...o, name: '', title: '', description: '', choices: '' }));
              params.reload();
            });
          }}
        >
          <Field label="Name" {...f.bind('name')} hint="used as {{ name }} in templates" />
          <Field label="Title" {...f.bind('title')} />
          <Field label="Description" {...f.bind('description')} />
          <Field label="Type" choices={['text', 'email', 'dropdown', 'checkbox', 'phone', 'url', 'domain', 'subdomain', 'password', 'object'].map((t) => [t, t])} {...f.bind('type')} />
          <Field label="Scope" choices={[['asset', 'Asset'], ['tier1', 'Tier 1'], ['tier2', 'Tier 2']]} {...f.bind('scope')} />
          <Field label="Phase" choices={[['ordering', 'Ordering (the provider fills it)'], ['fulfillment', 'Fulfillment (the vendor fills it)']]} {...f.bind('phase')} />
          <Field label="Required" choices={yesNo} {...f.bind('required')} />
          <Field label="Hidden" choices={yesNo} {...f.bind('hidden')} />
          <Field label="Read-only" choices={yesNo} {...f.bind('readonly')} />
          <Field label="Unique" choices={yesNo} {...f.bind('unique')} />
          {(f.values.type === 'dropdown' || f.values.type === 'checkbox') && (
            <Field label="Choices" name="constraints.choices" multiline rows={3} value={f.values.choices} err={f.err}
              onInput={(v) => f.setValues((o) => ({ ...o, choices: v }))} hint="one per line: value|label" />
          )}
          <FormErrors err={f.err} fields={['name', 'title', 'description', 'type', 'scope', 'phase', 'constraints']} />
          <button type="submit" disabled={f.busy}>Add parameter</button>
        </form>
      </Card>
    </>
  );
}

// Templates: the editor's preview fills {{ placeholders }} with the
// parameters' titles, as the server's preview does, while the vendor types.
function Templates({ base }: { base: string }) {
  const data = useLoad(() => Promise.all([get<any[]>(base + '/templates'), get<any[]>(base + '/parameters')]), [base]);
  const [editing, setEditing] = useState<any | null>(null);
  if (!data.data) return <Loading err={data.err} />;
  const [templates, params] = data.data;
  return (
    <>
      <table>
        <caption>Templates</caption>
        <thead><tr><th>Title</th><th>Type</th><th>Scope</th><th><span class="sr">Actions</span></th></tr></thead>
        <tbody>
          {templates.map((t) => (
            <tr>
              <td>{t.title} <small>{t.name && t.name !== t.title ? t.name + ' · ' : ''}{t.id}</small></td>
              <td>{t.type}</td>
              <td>{t.scope}</td>
              <td><button type="button" onClick={() => setEditing(t)} aria-label={'Edit template ' + t.title}>Edit</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => setEditing({ id: '', name: '', title: '', type: 'fulfillment', scope: 'asset', body: '' })}>New template</button>
      {editing && <TemplateEditor key={editing.id || 'new'} base={base} t={editing} params={params} onSaved={() => { setEditing(null); data.reload(); }} />}
    </>
  );
}

const samples: Record<string, string> = {
  'asset.id': 'AS-0000-0000-0000', 'asset.external_id': '12345', 'request.id': 'PR-0000-0000-0000-001',
  'product.id': 'PRD-000-000-000', 'product.name': 'Sample product', 'marketplace.id': 'MP-00000', 'customer.name': 'Sample customer',
};

function TemplateEditor({ base, t, params, onSaved }: { base: string; t: any; params: any[]; onSaved: () => void }) {
  const f = useForm({ name: t.name ?? '', title: t.title, type: t.type, scope: t.scope, body: t.body });
  const titles = Object.fromEntries(params.map((p) => [p.name, p.title || p.name]));
  const html = renderMarkdown(fill(f.values.body, (n) => samples[n] ?? `<${titles[n] ?? n}>`));
  return (
    <Card title={t.id ? 'Edit ' + t.title : 'New template'} id="template-editor">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          f.submit(async (v) => {
            // Left empty, the name stays as it was (or, on a new template,
            // takes the title), as the API does with a name left out.
            const body = { ...v, name: v.name.trim() || undefined };
            if (t.id) await put(base + '/templates/' + t.id, body);
            else await post(base + '/templates', body);
            onSaved();
          });
        }}
      >
        <div class="grid">
          <Field label="Title" {...f.bind('title')} />
          <Field label="Template name" {...f.bind('name')} />
          <Field label="Type" choices={[['fulfillment', 'Fulfillment (activation)'], ['inquire', 'Inquire']]} {...f.bind('type')} />
          <Field label="Scope" choices={[['asset', 'Asset'], ['tier1', 'Tier 1'], ['tier2', 'Tier 2']]} {...f.bind('scope')} />
        </div>
        <div class="split">
          <Field label="Body (Markdown)" multiline rows={12} {...f.bind('body')}
            hint={'placeholders: ' + [...params.map((p) => p.name), ...Object.keys(samples)].map((n) => `{{ ${n} }}`).join(' ')} />
          <div>
            <h3 id="preview-h">Preview</h3>
            <div class="preview" aria-labelledby="preview-h" aria-live="polite" dangerouslySetInnerHTML={{ __html: html }} />
          </div>
        </div>
        <FormErrors err={f.err} fields={['title', 'name', 'type', 'scope', 'body']} />
        <button type="submit" disabled={f.busy}>Save template</button>
      </form>
    </Card>
  );
}

function Publish({ base, p, onPublished }: { base: string; p: any; onPublished: () => void }) {
  const versions = useLoad(() => get<any[]>(base + '/versions'), [base]);
  const f = useForm({ notes: '' });
  return (
    <>
      <Card title="Publish a version" id="publish">
        <p>Publishing freezes what you have now as version {(p.version || 0) + 1}. After it:</p>
        <ul>
          <li>items, parameters and templates published in a version can no longer be deleted, and an item's type, period and unit, and a parameter's name, type and phase, are fixed;</li>
          <li>requests are always worked against the version their asset was bought at;</li>
          <li>you can still add new items and parameters and publish them in a later version.</li>
        </ul>
        <form onSubmit={(e) => { e.preventDefault(); f.submit(async (v) => { await post(base + '/publish', v.notes ? { notes: v.notes } : undefined); versions.reload(); onPublished(); }); }}>
          <Field label="Release notes" {...f.bind('notes')} />
          <FormErrors err={f.err} fields={['notes']} />
          <button type="submit" disabled={f.busy}>Publish version {(p.version || 0) + 1}</button>
        </form>
      </Card>
      {versions.data && versions.data.length > 0 && (
        <table>
          <caption>Versions</caption>
          <thead><tr><th>Version</th><th>Published</th><th>Items</th><th>Parameters</th><th>Notes</th></tr></thead>
          <tbody>
            {versions.data.map((v) => (
              <tr><td>{v.version}</td><td>{when(v.published_at)}</td><td>{v.items?.length ?? ''}</td><td>{v.parameters?.length ?? ''}</td><td>{v.notes}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {p.version > 0 && <ListOnMarketplace base={base} productID={p.id} />}
    </>
  );
}

function ListOnMarketplace({ base, productID }: { base: string; productID: string }) {
  const data = useLoad(() => Promise.all([get<any[]>('/public/v1/marketplaces'), get<any[]>(base + '/items')]), [base]);
  const [mp, setMp] = useState('');
  const [prices, setPrices] = useState<Record<string, string>>({});
  const f = useForm({});
  const [done, setDone] = useState('');
  if (!data.data) return <Loading err={data.err} />;
  const [mps, items] = data.data;
  const market = mp || mps[0]?.id || '';
  return (
    <Card title="List on a marketplace" id="list">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          f.submit(async () => {
            const body = { product: productID, marketplace: market, prices: items.map((it) => ({ item: it.id, price: prices[it.id] ?? '', ...(it.period && it.type === 'reservation' ? { terms: [it.period === 'yearly' ? 'P1Y' : 'P1M'] } : {}) })) };
            const lr = await post('/public/v1/listing-requests', body);
            setDone(`Listing request ${lr.id} is ${lr.status}: the marketplace's provider approves it.`);
          });
        }}
      >
        <Field label="Marketplace" name="marketplace" value={market} err={f.err} onInput={setMp}
          choices={mps.map((m) => [m.id, `${m.name} (${m.id}, ${m.currency})`])} />
        {items.map((it) => (
          <Field label={`Price of ${it.name} (${it.type === 'ppu' ? 'per ' + it.unit : it.period})`} name={'price ' + it.id}
            value={prices[it.id] ?? ''} err={f.err} onInput={(v) => setPrices((o) => ({ ...o, [it.id]: v }))} />
        ))}
        <FormErrors err={f.err} fields={['marketplace', ...items.map((it) => 'price ' + it.id)]} />
        <button type="submit" disabled={f.busy}>Request listing</button>
        {done && <p role="status">{done}</p>}
      </form>
    </Card>
  );
}
