/** RFC 6901 JSON pointer lookup ("" = the document). `~1` is "/", `~0` is "~". Never throws. */
export function pointerGet(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  let i = 1;
  while (i <= pointer.length) {
    const j = pointer.indexOf('/', i);
    const end = j === -1 ? pointer.length : j;
    let token = pointer.slice(i, end);
    if (token.includes('~')) token = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, token)) return undefined;
      cur = (cur as Record<string, unknown>)[token];
    }
    i = end + 1;
  }
  return cur;
}

/** A pointer template with {channel} filled (escaped as a pointer token). */
export function pointerFor(template: string, channel: string | undefined): string {
  if (!template.includes('{channel}')) return template;
  return template.replaceAll('{channel}', (channel ?? '').replace(/~/g, '~0').replace(/\//g, '~1'));
}
