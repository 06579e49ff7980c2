/** The login page: posts the form as JSON, then goes back to the page that asked (same origin only). */
const form = document.getElementById('login');
const error = document.getElementById('login-error');

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  // only a path on this server: never //host or a scheme
  return /^\/(?!\/)/.test(next) ? next : '/';
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const data = { username: form.elements.username.value, password: form.elements.password.value };
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username: data.username, password: data.password }),
  });
  if (res.ok) {
    location.assign(nextPath());
    return;
  }
  const body = await res.json().catch(() => ({}));
  // The page's language for what a person can fix; the server's sentence otherwise. Loaded here, not at the top:
  // the submit handler must be in place before the catalogue arrives (a click right after load posts the form).
  const { S } = await import('./strings.js');
  const wait = Number(res.headers.get('retry-after'));
  error.textContent =
    res.status === 401
      ? S.login.wrong
      : res.status === 429 && wait > 0
        ? S.login.tooMany(wait)
        : (body.error ?? S.login.httpError(res.status));
  error.hidden = false;
});
