/**
 * The one redaction of secrets in URLs (issue 21 F7): every answer, log line and error message that may carry a
 * configured URL goes through here. A URL's credentials (`user:password@`, or a lone token as user) become
 * `***@`, and query parameters that carry credentials (InfluxDB 1.x's `u`/`p`, `password`, `token`, ...) get
 * the value `***`. Host and port stay: an operator must still tell which server is meant.
 */

/** scheme://userinfo@ : the userinfo ends at the first "@" before any "/", "?" or "#" (RFC 3986 authority). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]*@/gi;
/** ?p=... or &password=... in a URL's query (case-insensitive names). */
const SECRET_PARAM =
  /([?&](?:p|u|password|passwd|pass|pwd|token|access_token|auth|secret|api_key|apikey|key)=)[^&#\s"'<>\\]*/gi;

/** Every URL in `text` with its credentials replaced by ***; other text untouched. */
export function redactSecrets(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(USERINFO, '$1***@').replace(SECRET_PARAM, (_m, name: string) => `${name}***`);
}

/** A URL fit to show: its credentials replaced by *** (the same rule as redactSecrets). */
export const redactUrl = (url: string): string => redactSecrets(url);

/** A URL without its userinfo, and the credentials it held (moved into a header by the caller). */
export function splitUrlCredentials(url: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (!u.username && !u.password) return { url };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  // URL.toString() adds a "/" to an empty path: keep the caller's form (no trailing slash).
  const bare = u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  return { url: bare, ...(username && { username }), ...(password && { password }) };
}
