import { useEffect } from 'preact/hooks';
import { signIn, type Session } from '../api';
import { Field, FormErrors, useForm } from '../ui';

export function SignIn(props: { notice: string; link: string; onSignedIn: (s: Session) => void }) {
  const f = useForm({ token: '' });
  useEffect(() => {
    document.title = 'Sign in · Mercato';
    if (props.link) f.submit(() => signIn({ link: props.link }).then(props.onSignedIn));
  }, [props.link]);
  return (
    <main class="signin" id="main">
      <h1>Sign in to Mercato</h1>
      {props.notice && <p class="notice" role="status">{props.notice}</p>}
      <p>
        Paste an API token once. The portal keeps it only on the server, in a session that ends when you sign out or
        after a working day; your browser holds an HttpOnly cookie, never the token.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          f.submit((v) => signIn({ token: v.token }).then(props.onSignedIn));
        }}
      >
        <Field label="API token" type="password" {...f.bind('token')} hint="SU-123-456-789:… from make run, or from API tokens" required />
        <FormErrors err={f.err} fields={['token']} />
        <button type="submit" disabled={f.busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
