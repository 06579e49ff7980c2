// @ts-check
/** Every catalogue by language: what the server and the browser look messages up in. */
import en from './en.js';
import kk from './kk.js';
import ru from './ru.js';

export const CATALOGUES = { en, ru, kk };

/** @param {import('./lang.js').Lang} lang */
export const messagesFor = (lang) => CATALOGUES[lang];
