import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { ApiError, unclaimed } from './api';

let seq = 0;
const nextId = () => `f${++seq}`;

// Field is a labelled control with the API's messages about it under it.
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  err?: ApiError | null;
  type?: string;
  choices?: [string, string][];
  multiline?: boolean;
  rows?: number;
  required?: boolean;
  hint?: string;
}) {
  const id = useRef(nextId()).current;
  const msgs = props.err ? props.err.forField(props.name) : [];
  const errId = msgs.length ? id + '-err' : undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    'aria-invalid': msgs.length ? true : undefined,
    'aria-describedby': errId,
    required: props.required,
  };
  let control;
  if (props.choices) {
    control = (
      <select {...common} onChange={(e) => props.onInput((e.target as HTMLSelectElement).value)}>
        {props.choices.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
    );
  } else if (props.multiline) {
    control = <textarea {...common} rows={props.rows ?? 6} onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)} />;
  } else {
    control = <input {...common} type={(props.type ?? 'text') as any} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />;
  }
  return (
    <div class={'field' + (msgs.length ? ' invalid' : '')}>
      <label for={id}>{props.label}</label>
      {control}
      {props.hint && <small>{props.hint}</small>}
      {errId && (
        <ul class="errors" id={errId} role="alert">
          {msgs.map((m) => (
            <li>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

// FormErrors lists what the API said that names none of the form's fields.
export function FormErrors({ err, fields }: { err: ApiError | Error | null; fields: string[] }) {
  if (!err) return null;
  const msgs = err instanceof ApiError ? unclaimed(err, fields) : [err.message];
  if (!msgs.length) return null;
  return (
    <div class="alert" role="alert">
      {msgs.map((m) => (
        <p>{m}</p>
      ))}
    </div>
  );
}

// useForm keeps a form's values, its last error and a busy flag. A failed
// submit keeps every value the user typed.
export function useForm<T extends Record<string, string>>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const bind = (name: keyof T & string) => ({
    name,
    value: values[name],
    err,
    onInput: (v: string) => setValues((o) => ({ ...o, [name]: v })),
  });
  async function submit(fn: (v: T) => Promise<unknown>) {
    setBusy(true);
    setErr(null);
    try {
      await fn(values);
      return true;
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'client', [String(e)]));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { values, setValues, err, setErr, busy, bind, submit };
}

// useLoad fetches on mount and when deps change, and every pollMs when set,
// so that queues and delivery logs refresh without a reload.
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], pollMs = 0) {
  const [data, setData] = useState<T | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  // A poll and an action's reload can be in flight together, and answer in
  // either order: only an answer newer than the one shown replaces it, so an
  // older read never undoes what the user just saw happen.
  const sent = useRef(0);
  const shown = useRef(0);
  const reload = useCallback(() => {
    const n = ++sent.current;
    const fresh = () => {
      if (n < shown.current) return false;
      shown.current = n;
      return true;
    };
    fn().then(
      (d) => {
        if (!fresh()) return;
        setData(d);
        setErr(null);
      },
      (e) => fresh() && setErr(e),
    );
  }, deps);
  useEffect(() => {
    reload();
    if (!pollMs) return;
    const t = setInterval(reload, pollMs);
    return () => clearInterval(t);
  }, [reload, pollMs]);
  return { data, err, reload };
}

export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = props.title + ' · Mercato';
  }, [props.title]);
  return (
    <section>
      <header class="page-head">
        <h1>{props.title}</h1>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

export function Loading({ err }: { err?: Error | null }) {
  if (err) return <div class="alert" role="alert">{err.message}</div>;
  return <p aria-busy="true">Loading…</p>;
}

export function Status({ s }: { s: string }) {
  return <span class={'status s-' + s}>{s}</span>;
}

export function Card(props: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export const when = (t?: string) => (t ? new Date(t).toLocaleString() : '');
