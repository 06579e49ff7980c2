/**
 * Issue 26: every page of the dashboard and the login page in Russian and Kazakh, in real Chromium against
 * the real service: `<html lang>` is the asked language, and no visible text is left in English. A visible
 * text node may hold data (meter, site and taxpayer names and ids, BINs, periods, dates, numbers, time zones,
 * language names, a few codes such as UTC or CSV); what remains after those are taken out must have no Latin
 * word. The check is shown to bite on the English page (same walk, many words found).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CATALOGUES } from '../../src/i18n/catalogues.js';
import {
  BACKFILL_INTERVAL_S,
  BACKFILL_METERS,
  type DashboardStack,
  type GuardedPage,
  recentBackfillScenario,
  startDashboardStack,
} from '../helpers/dashboard-stack.ts';

let stack: DashboardStack;
const pages: GuardedPage[] = [];

beforeAll(async () => {
  stack = await startDashboardStack({
    intervals: Object.fromEntries(BACKFILL_METERS.map((m) => [m, BACKFILL_INTERVAL_S])),
  });
  await stack.backfill(recentBackfillScenario(Date.now()));
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
});
afterEach(async () => {
  for (const g of pages.splice(0)) {
    await g.page.close();
    expect(g.errors, `browser errors on ${g.page.url()}`).toEqual([]);
    expect(g.external, `requests to other hosts from ${g.page.url()}`).toEqual([]);
  }
});

/** Every text node a person sees (rendered, not hidden), placeholders and the title. */
async function visibleTexts(page: Page): Promise<string[]> {
  // A string: this runs in the page (the test's TypeScript has no DOM types).
  return page.evaluate<string[]>(`(() => {
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim();
      if (!el || !text || ['SCRIPT', 'STYLE', 'TITLE'].includes(el.tagName)) continue;
      if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
      // translate="no": data as recorded (a rejected message's payload and the validator's words about it)
      if (el.closest('[translate="no"]')) continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('input[placeholder]')) out.push(el.getAttribute('placeholder'));
    return out;
  })()`);
}

/** Data and codes that are the same in every language: taken out before looking for English words. */
function dataWords(): string[] {
  const r = stack.registry;
  return [
    ...r.meters.map((m) => m.id),
    ...r.sites.flatMap((s) => [s.id, s.name, s.timeZone]),
    ...r.taxpayers.map((t) => t.name),
    ...Object.values(CATALOGUES.en.language.names),
    'kzmeter',
    'UTC',
    'CSV',
    'JSON',
    'API',
    'Asia/Almaty',
  ].sort((a, b) => b.length - a.length);
}

function untranslated(texts: readonly string[]): string[] {
  const data = dataWords();
  return texts.filter((t) => {
    let rest = t;
    for (const d of data) rest = rest.split(d).join(' ');
    // periods (2025-Q3), versions (v2), sha256 digests, numbers and dates are data
    rest = rest.replace(/\b\d{4}-Q[1-4]\b|\bv\d+\b|sha256:[0-9a-f]+|\b[0-9a-f]{64}\b/g, ' ');
    return /[A-Za-z]{2,}/.test(rest);
  });
}

async function open(path: string): Promise<Page> {
  const g = await stack.page();
  pages.push(g);
  await g.page.goto(stack.url(path), { waitUntil: 'load' });
  return g.page;
}

const PAGES = ['/', '/meters', `/meters/${BACKFILL_METERS[0]}`, '/periods'];

async function rendered(page: Page): Promise<void> {
  await page.waitForFunction(() => performance.getEntriesByName('kzm-rendered').length > 0, null, {
    timeout: 30_000,
  });
}

describe('the dashboard in Russian and Kazakh (issue 26)', () => {
  for (const lang of ['ru', 'kk'] as const) {
    const M = CATALOGUES[lang];
    it(`${lang}: every page speaks ${lang}, nothing visible is left in English`, async () => {
      for (const path of PAGES) {
        const page = await open(`${path}?lang=${lang}`);
        await rendered(page);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        const texts = await visibleTexts(page);
        expect(texts).toContain(M.nav.overview);
        expect(untranslated(texts), `${lang} ${path}`).toEqual([]);
        if (lang === 'ru' && path === '/') await stack.screenshot(page, 'overview-ru');
      }
    });

    it(`${lang}: the login page, and its answer to a wrong password`, async () => {
      const page = await open(`/login?lang=${lang}`);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      const texts = await visibleTexts(page);
      expect(texts).toContain(M.login.heading);
      expect(untranslated(texts)).toEqual([]);
      await page.fill('input[name=username]', 'nobody');
      await page.fill('input[name=password]', 'not the password');
      await page.click('button[type=submit]');
      await page.locator('#login-error:not([hidden])').waitFor();
      expect(await page.locator('#login-error').innerText()).toBe(M.login.wrong);
      // the browser logs the 401 it was answered: expected here
      const g = pages.at(-1)!;
      g.errors.splice(0, g.errors.length, ...g.errors.filter((e) => !/status of 401/.test(e)));
    });
  }

  it('the language sticks: a page opened after ?lang=kk without it is still in Kazakh; Accept-Language chooses otherwise', async () => {
    const page = await open('/meters?lang=kk');
    await rendered(page);
    await page.goto(stack.url('/periods'), { waitUntil: 'load' });
    await rendered(page);
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    const res = await fetch(stack.url('/'), { headers: { 'accept-language': 'ru-RU,ru;q=0.9' } });
    expect(await res.text()).toContain('<html lang="ru">');
  });

  it('the check bites: the English overview has many English words', async () => {
    const page = await open('/?lang=en');
    await rendered(page);
    expect(untranslated(await visibleTexts(page)).length).toBeGreaterThan(10);
  });
});
