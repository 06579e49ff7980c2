/**
 * Every string the dashboard shows comes from the catalogue of the page's language (src/i18n/<lang>.js,
 * served at /assets/i18n/). The server chose the language (?lang=, the user's profile, Accept-Language, the
 * configured default) and wrote it into <html lang>; here it is only read.
 */
const wanted = document.documentElement.lang;
export const LANG = ['ru', 'kk', 'en'].includes(wanted) ? wanted : 'en';
export const S = (await import(`./i18n/${LANG}.js`)).default;
