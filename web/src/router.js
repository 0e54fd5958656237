// Hash routes (#/atlas, #/tutorial/step-3): one URL per page that survives a
// reload from any static host, with no server rewrites and a relative base.
// Pages are mounted on first visit and kept (hidden) afterwards, so a run
// started on one page goes on while another is open.
import { h } from './lib/dom.js';

export function parseHash(hash) {
  const [path = '', anchor = ''] = hash.replace(/^#\/?/, '').split('/');
  return { path, anchor };
}

export function startRouter({ pages, main, nav, app, fallback }) {
  const mounted = new Map();
  const links = new Map();
  for (const p of pages) {
    const a = h('a', { href: `#/${p.path}` }, p.title);
    links.set(p.path, a);
    nav.append(h('li', {}, a));
  }

  async function show() {
    let { path, anchor } = parseHash(location.hash);
    if (!path) path = fallback;
    const page = pages.find((p) => p.path === path);
    for (const [k, a] of links) {
      if (k === path) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    for (const [k, m] of mounted) m.root.hidden = k !== path;
    if (!page) {
      notFound(path);
      return;
    }
    main.querySelector('.not-found')?.remove();
    let m = mounted.get(path);
    if (!m) {
      const root = h('section', { class: 'page', dataset: { page: path, ready: 'false' }, 'aria-labelledby': `${path}-title` });
      main.append(root);
      m = { root };
      mounted.set(path, m);
      try {
        const mod = await page.load();
        await mod.mount(root, app);
        root.dataset.ready = 'true';
      } catch (e) {
        root.replaceChildren(h('p', { class: 'error-box', role: 'alert' }, `This page failed to load: ${e.message}`));
        root.dataset.ready = 'error';
      }
    }
    document.title = `${page.title} · quantlab`;
    const target = anchor ? document.getElementById(anchor) : null;
    if (target) target.scrollIntoView();
    else window.scrollTo(0, 0);
  }

  function notFound(path) {
    main.querySelector('.not-found')?.remove();
    main.append(h('section', { class: 'page not-found' },
      h('h1', {}, 'Page not found'),
      h('p', {}, `There is no page called “${path}”. Pick one from the navigation bar.`)));
  }

  window.addEventListener('hashchange', show);
  return show();
}
