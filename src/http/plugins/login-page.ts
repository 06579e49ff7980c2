/**
 * The login page in each language: dashboards/web/login.html's {{placeholders}} filled from the catalogue once
 * at start (src/i18n/<lang>.js, the `login` messages), so the page shows no English before a script runs.
 */
import { CATALOGUES } from '../../i18n/catalogues.js';
import { type Lang, LANGS } from '../../i18n/lang.js';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function loginPagesByLang(template: string): Record<Lang, string> {
  return Object.fromEntries(
    LANGS.map((lang) => {
      const m = CATALOGUES[lang].login;
      const values: Record<string, string> = {
        lang,
        title: m.title,
        heading: m.heading,
        user: m.user,
        password: m.password,
        submit: m.submit,
      };
      const page = template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
        if (values[k] === undefined) throw new Error(`login.html: no message for {{${k}}}`);
        return esc(values[k]);
      });
      return [lang, page];
    }),
  ) as Record<Lang, string>;
}
