// A small fetch wrapper for the REST API (docs/api.md): JSON in and out, same-origin
// cookies, the session's CSRF token on state-changing requests, and errors thrown as
// ApiError {status, code, message}.

const CSRF_KEY = 'mixmeet.csrf';

let csrfToken = null;
try {
  csrfToken = sessionStorage.getItem(CSRF_KEY);
} catch {
  // storage disabled: keep the token in memory only
}

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' && token ? token : null;
  try {
    if (csrfToken) sessionStorage.setItem(CSRF_KEY, csrfToken);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    // not fatal
  }
}

export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'http-error';
    this.body = body;
  }
}

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'network', `Cannot reach the server (${err.message}).`);
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data.error === 'object' && data.error ? data.error : {};
    const err = new ApiError(
      response.status,
      error.code || `http-${response.status}`,
      error.message || `The server answered ${response.status} ${response.statusText}.`,
      data,
    );
    if (data && typeof data.retryAfterMs === 'number') err.retryAfterMs = data.retryAfterMs;
    else if (typeof error.retryAfterMs === 'number') err.retryAfterMs = error.retryAfterMs;
    throw err;
  }
  if (data && typeof data.csrfToken === 'string') setCsrfToken(data.csrfToken);
  return data ?? {};
}

// One request; a `csrf` refusal (stale token, e.g. after signing in in another tab) is
// retried once with a fresh token from GET /api/me.
export async function request(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'csrf' || !UNSAFE.has(method)) throw err;
    try {
      await send('GET', '/api/me');
    } catch {
      throw err;
    }
    return send(method, path, body);
  }
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body = {}) => request('POST', path, body),
  patch: (path, body = {}) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
};

// The signed-in user, or null when there is no session (401).
export async function currentUser() {
  try {
    const data = await api.get('/api/me');
    return data.user || null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw err;
  }
}

// The signed-in user; without a session the browser goes to the login page and this
// promise never settles.
export async function requireUser() {
  const user = await currentUser();
  if (user) return user;
  const next = `${location.pathname}${location.search}`;
  location.replace(`/login.html?${new URLSearchParams({ next })}`);
  return new Promise(() => {});
}

export async function logout() {
  try {
    await api.post('/api/logout');
  } finally {
    setCsrfToken(null);
  }
}

// A same-origin path to go to after signing in: `?next=` if it names a page of this origin,
// else `/`. Parsed with URL exactly as location.assign() will parse it (browsers drop tabs and
// newlines and read "\" as "/", so "/<tab>/evil.example" is "//evil.example"), then compared by
// origin; the result is the parsed path, never the raw text.
export function nextPath(search = location.search, origin = location.origin) {
  const raw = new URLSearchParams(search).get('next') || '/';
  let url;
  try {
    url = new URL(raw, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "//host" would be read as another origin when assigned as a relative URL.
  return path.startsWith('//') ? '/' : path;
}
