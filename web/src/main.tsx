import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { currentSession, onSessionEnd, signOut, type Session } from './api';
import { SignIn } from './pages/signin';
import { Products, ProductPage } from './pages/products';
import { Queue, RequestPage } from './pages/queue';
import { Listings } from './pages/listings';
import { Webhooks, WebhookPage } from './pages/webhooks';
import { Tokens } from './pages/tokens';
import { Usage } from './pages/usage';
import { Wizard } from './pages/wizard';
import { AssetPage, Subscriptions } from './pages/subscriptions';
import { Catalog, CustomerPage, Customers, Invoices } from './pages/partner';

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.slice(1);
}

const vendorNav: [string, string][] = [
  ['/queue', 'Fulfillment queue'],
  ['/products', 'Products'],
  ['/listings', 'Listings'],
  ['/assets', 'Assets'],
  ['/usage', 'Usage'],
  ['/webhooks', 'Webhooks'],
  ['/tokens', 'API tokens'],
];
const providerNav: [string, string][] = [
  ['/order', 'New order'],
  ['/subscriptions', 'Subscriptions'],
  ['/customers', 'Customers'],
  ['/catalog', 'Catalog'],
  ['/invoices', 'Invoices'],
  ['/listings', 'Listing approvals'],
  ['/usage', 'Usage'],
  ['/webhooks', 'Webhooks'],
  ['/tokens', 'API tokens'],
];

function route(path: string, s: Session) {
  const [, a, b] = path.split('/');
  const vendor = s.account.type === 'vendor';
  switch (a) {
    case 'products':
      return b ? <ProductPage id={b} /> : <Products />;
    case 'queue':
      return <Queue />;
    case 'requests':
      return <RequestPage id={b} session={s} />;
    case 'listings':
      return <Listings session={s} />;
    case 'webhooks':
      return b ? <WebhookPage id={b} /> : <Webhooks />;
    case 'tokens':
      return <Tokens />;
    case 'usage':
      return <Usage session={s} />;
    case 'order':
      return <Wizard />;
    case 'subscriptions':
      return <Subscriptions />;
    case 'assets':
      return b ? <AssetPage id={b} /> : <Subscriptions title="Assets" />;
    case 'customers':
      return b ? <CustomerPage id={b} /> : <Customers />;
    case 'catalog':
      return <Catalog />;
    case 'invoices':
      return <Invoices />;
    default:
      return vendor ? <Queue /> : <Wizard />;
  }
}

function App() {
  const path = useHash();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState('');
  useEffect(() => {
    onSessionEnd((why) => {
      setSession(null);
      setNotice(why);
    });
    if (path.startsWith('/sign-in/')) {
      setSession(null);
      return;
    }
    currentSession().then(({ session, why }) => {
      setNotice(why);
      setSession(session);
    });
  }, []);
  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (!session) {
    return (
      <SignIn
        notice={notice}
        link={path.startsWith('/sign-in/') ? path.slice('/sign-in/'.length) : ''}
        onSignedIn={(s) => {
          setNotice('');
          setSession(s);
          location.hash = '#/';
        }}
      />
    );
  }
  const nav = session.account.type === 'vendor' ? vendorNav : providerNav;
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">Mercato</strong>
        <span class="who">
          {session.account.name} · {session.account.type} {session.account.id}
        </span>
        <button
          type="button"
          onClick={async () => {
            await signOut();
            setNotice('You are signed out.');
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <nav aria-label="Main">
        <ul>
          {nav.map(([href, label]) => (
            <li>
              <a href={'#' + href} aria-current={path.startsWith(href) ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {route(path, session)}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
