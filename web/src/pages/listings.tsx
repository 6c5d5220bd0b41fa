import { useState } from 'preact/hooks';
import { get, post, type Session } from '../api';
import { Card, Field, FormErrors, Loading, Page, Status, useForm, useLoad, when } from '../ui';

// Listings: the vendor's listing requests and listings; for a provider, the
// requests to approve on its marketplaces.
export function Listings({ session }: { session: Session }) {
  const provider = session.account.type === 'provider';
  const reqs = useLoad(() => get<any[]>('/public/v1/listing-requests?limit=200'), [], 5000);
  const listings = useLoad(() => get<any[]>('/public/v1/listings?limit=200'), []);
  const [err, setErr] = useState<Error | null>(null);
  // A rejection carries the provider's reason, which the vendor reads in
  // its own list; the form opens under the request being rejected.
  const [rejecting, setRejecting] = useState('');
  const reject = useForm({ reason: '' });
  const done = () => { reqs.reload(); listings.reload(); };
  const approve = (id: string) => post(`/public/v1/listing-requests/${id}/approve`).then(done, setErr);
  const openReject = (id: string) => { setRejecting(rejecting === id ? '' : id); reject.setValues({ reason: '' }); reject.setErr(null); };
  return (
    <Page title={provider ? 'Listing approvals' : 'Listings'}>
      {err && <div class="alert" role="alert">{err.message}</div>}
      <Card title="Listing requests" id="lr">
        {!reqs.data ? <Loading err={reqs.err} /> : (
          <table>
            <thead><tr><th>Request</th><th>Product</th><th>Marketplace</th><th>Status</th><th>Prices</th><th>Created</th>{provider && <th><span class="sr">Actions</span></th>}</tr></thead>
            <tbody>
              {reqs.data.map((r) => (
                <>
                  <tr>
                    <td>{r.id}</td>
                    <td>{r.product?.name} <small>{r.product?.id} v{r.version}</small></td>
                    <td>{r.marketplace?.name ?? r.marketplace?.id}</td>
                    <td><Status s={r.status} />{r.reason && <small> Reason: {r.reason}</small>}</td>
                    <td>{r.prices?.map((p: any) => `${p.item?.name ?? p.item?.id}: ${p.price} ${r.currency}`).join(' · ')}</td>
                    <td>{when(r.created)}</td>
                    {provider && (
                      <td>{r.status === 'pending' && (<>
                        <button type="button" aria-label={'Approve ' + r.id} onClick={() => approve(r.id)}>Approve</button>{' '}
                        <button type="button" class="danger" aria-label={'Reject ' + r.id} aria-expanded={rejecting === r.id} onClick={() => openReject(r.id)}>Reject</button>
                      </>)}</td>
                    )}
                  </tr>
                  {provider && rejecting === r.id && r.status === 'pending' && (
                    <tr>
                      <td colSpan={7}>
                        <form aria-label={'Rejection of ' + r.id} onSubmit={(e) => { e.preventDefault(); reject.submit(async (v) => {
                          await post(`/public/v1/listing-requests/${r.id}/reject`, { reason: v.reason });
                          setRejecting('');
                          done();
                        }); }}>
                          <Field label="Reason for rejecting" {...reject.bind('reason')} hint="the vendor reads it" />
                          <FormErrors err={reject.err} fields={['reason']} />
                          <button type="submit" class="danger" disabled={reject.busy}>Send rejection</button>
                        </form>
                      </td>
                    </tr>
                  )}
                </>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Listings" id="listings">
        {!listings.data ? <Loading err={listings.err} /> : (
          <table>
            <thead><tr><th>Listing</th><th>Product</th><th>Marketplace</th><th>Status</th><th>Countries</th></tr></thead>
            <tbody>
              {listings.data.map((l) => (
                <tr><td>{l.id}</td><td>{l.product?.name} <small>{l.product?.id}</small></td><td>{l.marketplace?.name ?? l.marketplace?.id}</td><td><Status s={l.status} /></td><td>{l.countries?.join(', ')}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </Page>
  );
}
