// The camera's CGI API, called exactly as any other client calls it.

/** A fault the camera answered: its status, the interface and the reason. */
export class Fault extends Error {
  constructor(status, value, reason) {
    super(reason);
    this.status = status;
    this.value = value;
    this.reason = reason;
  }
}

const session = { uid: sessionStorage.getItem('uid') || '', user: sessionStorage.getItem('user') || '', lost: () => {} };

export const uid = () => session.uid;
export const user = () => session.user;

/** Called once when the camera no longer knows the session (`uid error`). */
export function onSessionLost(handler) { session.lost = handler; }

export function forget() {
  session.uid = '';
  sessionStorage.removeItem('uid');
}

export function query(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export function url(path, params = {}, withUid = true) {
  const all = withUid ? { ...params, uid: session.uid } : params;
  const q = query(all);
  return q ? `${path}?${q}` : path;
}

/** Reads an answer: its root element, or a Fault. */
export function read(status, text, path) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (!root || root.nodeName === 'parsererror') throw new Fault(status, path, `unreadable answer (HTTP ${status})`);
  if (root.nodeName === 'fault') {
    const reason = root.querySelector('reason')?.textContent ?? 'error';
    if (reason === 'uid error' && session.uid) {
      forget();
      session.lost();
    }
    throw new Fault(status, root.querySelector('value')?.textContent ?? path, reason);
  }
  if (status !== 200) throw new Fault(status, path, `HTTP ${status}`);
  return root;
}

/** One CGI request; the answer's root element. */
export async function cgi(path, params = {}, withUid = true) {
  let res;
  try {
    res = await fetch(url(path, params, withUid), { cache: 'no-store' });
  } catch {
    throw new Fault(0, path, 'the camera does not answer');
  }
  return read(res.status, await res.text(), path);
}

/** The attributes of an element as an object. */
export function attrs(el) {
  return Object.fromEntries(Array.from(el.attributes, (a) => [a.name, a.value]));
}

export async function login(username, password) {
  const root = await cgi('/cgi-bin/getuid', { username, password }, false);
  const id = root.nodeName === 'uid' ? root.textContent : root.querySelector('uid')?.textContent;
  if (!id) throw new Fault(200, '/cgi-bin/getuid', 'no uid in the answer');
  session.uid = id.trim();
  session.user = username;
  sessionStorage.setItem('uid', session.uid);
  sessionStorage.setItem('user', username);
}

/** Keeps the session alive: the camera forgets a uid 60 s after its last request. */
export function heartbeat(every = 20000) {
  return setInterval(() => {
    if (session.uid) cgi('/cgi-bin/keep_alive').catch(() => {});
  }, every);
}

/**
 * Sends the newest value and never more than one request at a time: a slider
 * moved fast sends what the camera can take, and its last position always.
 */
export function latest(send) {
  let busy = false;
  let next = null;
  const pump = async () => {
    while (next) {
      const args = next;
      next = null;
      busy = true;
      try { await send(...args); } finally { busy = false; }
    }
  };
  return (...args) => {
    next = args;
    if (!busy) pump();
  };
}
