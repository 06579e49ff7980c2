/** JSON from the service and its event stream. Errors carry the server's sentence. */

async function answer(res) {
  // Not logged in (or the session ended): the login page brings the user back here.
  if (res.status === 401) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: text };
  }
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

export async function getJson(url) {
  return answer(await fetch(url, { headers: { accept: 'application/json' } }));
}

export async function postJson(url, body) {
  return answer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

/**
 * Server-sent events of /api/dashboard/events for the given topics. `handlers` maps event names to
 * functions of the parsed data; `onState(true|false)` tells whether the stream is up. Returns close().
 */
export function openEvents(topics, handlers, onState = () => {}) {
  const es = new EventSource(`/api/dashboard/events?topics=${topics.join(',')}`);
  for (const [event, fn] of Object.entries(handlers)) es.addEventListener(event, (e) => fn(JSON.parse(e.data)));
  es.addEventListener('open', () => onState(true));
  es.addEventListener('error', () => onState(false));
  const close = () => es.close();
  window.addEventListener('pagehide', close, { once: true });
  return close;
}
