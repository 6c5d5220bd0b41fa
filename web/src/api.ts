// The portal talks only to /public/v1 and /v1, authenticated by the
// HttpOnly session cookie; writes carry the session's CSRF token, which
// lives in memory only (never in localStorage).

export type Account = { id: string; type: 'vendor' | 'provider' | 'admin'; name: string };
export type Session = { account: Account; csrf_token: string; expires: string };

let csrf = '';
let onSignedOut: (why: string) => void = () => {};

export function setSession(s: Session | null) {
  csrf = s ? s.csrf_token : '';
}

export function onSessionEnd(fn: (why: string) => void) {
  onSignedOut = fn;
}

// ApiError carries the API's error list: Connect's {error_code, errors} or
// Partner Center's {code, description, data}.
export class ApiError extends Error {
  constructor(public status: number, public code: string, public messages: string[]) {
    super(messages.join('; ') || `HTTP ${status}`);
  }
  // forField returns the messages that name field (they start with it).
  forField(field: string): string[] {
    return this.messages.filter((m) => startsWithField(m, field));
  }
}

function startsWithField(m: string, field: string): boolean {
  const f = field.toLowerCase();
  const s = m.toLowerCase();
  return s.startsWith(f + ' ') || s.startsWith(f + ':') || s.startsWith(f + ',') || s.startsWith(f + '.') || s.includes(`"${f}"`) || s.startsWith(`${f} (`);
}

// unclaimed returns the messages that name none of fields, to show at the
// top of a form.
export function unclaimed(err: ApiError | null, fields: string[]): string[] {
  if (!err) return [];
  return err.messages.filter((m) => !fields.some((f) => startsWithField(m, f)));
}

type Opts = { body?: unknown; raw?: BodyInit; headers?: Record<string, string>; accept?: string };

export async function call<T = any>(method: string, path: string, opts: Opts = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...opts.headers };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  if (!res.ok) {
    let code = String(res.status);
    let messages: string[] = [];
    if (type.includes('json')) {
      const e = await res.json();
      code = e.error_code ?? String(e.code ?? res.status);
      // Partner Center errors may carry their sentence in description alone.
      const list: string[] = e.errors ?? e.data ?? [];
      messages = list.length ? list : [e.description ?? `HTTP ${res.status}`];
    } else {
      messages = [await res.text()];
    }
    if (res.status === 401 && !path.endsWith('/auth/sessions')) {
      onSignedOut(messages[0] ?? 'signed out');
    }
    throw new ApiError(res.status, code, messages);
  }
  if (type.includes('json')) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
}

export const get = <T = any>(p: string) => call<T>('GET', p);
export const post = <T = any>(p: string, body?: unknown) => call<T>('POST', p, { body });
export const put = <T = any>(p: string, body?: unknown) => call<T>('PUT', p, { body });
export const patch = <T = any>(p: string, body?: unknown) => call<T>('PATCH', p, { body });
export const del = (p: string) => call('DELETE', p);

export async function signIn(body: { token?: string; link?: string }): Promise<Session> {
  const s = await call<Session>('POST', '/public/v1/auth/sessions', { body });
  setSession(s);
  return s;
}

// currentSession resumes the cookie's session after a reload. When there
// is none it answers why, if the server named a session that ended.
export async function currentSession(): Promise<{ session: Session | null; why: string }> {
  const res = await fetch('/public/v1/auth/sessions/current', { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    const e = await res.json().catch(() => ({}));
    const why: string = e.errors?.[0] ?? '';
    return { session: null, why: why.includes('session') ? why : '' };
  }
  const s = (await res.json()) as Session;
  setSession(s);
  return { session: s, why: '' };
}

export async function signOut() {
  await call('DELETE', '/public/v1/auth/sessions/current');
  setSession(null);
}

// upload sends a multipart form with XMLHttpRequest, whose upload events
// drive a progress bar (fetch has none).
export function upload<T = any>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network', ['the upload did not reach the server']));
    xhr.onload = () => {
      let body: any = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      reject(new ApiError(xhr.status, body?.error_code ?? String(xhr.status), body?.errors ?? [xhr.responseText]));
    };
    xhr.send(form);
  });
}
