/**
 * The dashboard's entry: header and navigation, then the page for the path (/, /meters, /meters/:id,
 * /periods). Pages are ES modules loaded on demand, so the overview never loads the chart library.
 */
import { LANG, S } from './strings.js';
import { fill, h, notice } from './lib/dom.js';
import { demoBanner } from './lib/demo-banner.js';

const PAGES = [
  { re: /^\/$/, nav: 'overview', load: () => import('./pages/overview.js') },
  { re: /^\/meters\/?$/, nav: 'meters', load: () => import('./pages/meters.js') },
  { re: /^\/meters\/([^/]+)$/, nav: 'meters', load: () => import('./pages/meter-detail.js') },
  { re: /^\/periods\/?$/, nav: 'periods', load: () => import('./pages/periods.js') },
];

function header(active) {
  document.title = S.appTitle;
  fill(document.querySelector('.brand'), S.appTitle);
  const links = [
    ['overview', '/'],
    ['meters', '/meters'],
    ['periods', '/periods'],
  ].map(([key, href]) => h('a', { href, 'aria-current': key === active ? 'page' : undefined }, S.nav[key]));
  fill(document.getElementById('nav'), ...links, languageLinks());
}

/** Русский · Қазақша · English: this page again with ?lang= (the server remembers the choice). */
function languageLinks() {
  const here = new URLSearchParams(location.search);
  return h(
    'span',
    { class: 'langs', 'aria-label': S.language.label },
    Object.entries(S.language.names).map(([code, name]) => {
      here.set('lang', code);
      return h(
        'a',
        { href: `${location.pathname}?${here}`, lang: code, 'aria-current': code === LANG ? 'true' : undefined },
        name,
      );
    }),
  );
}

async function main() {
  const path = location.pathname;
  const page = PAGES.find((p) => p.re.test(path)) ?? PAGES[0];
  header(page.nav);
  void demoBanner(document.querySelector('header.top'));
  const root = document.getElementById('main');
  fill(root, notice(S.common.loading));
  const params = (path.match(page.re) ?? []).slice(1).map(decodeURIComponent);
  const mod = await page.load();
  await mod.render(root, { params, query: new URLSearchParams(location.search) });
  // When the page shows its data (its first fetch done): what a load-time measurement wants.
  performance.mark('kzm-rendered');
}

main().catch((err) => fill(document.getElementById('main'), notice(S.common.error(err.message), 'error')));
