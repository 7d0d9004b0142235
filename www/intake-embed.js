/* intake-embed.js: fills select[data-intake-source] and [data-intake-report]
 * from intake, with DOM calls only (no eval, no inline styles). */
(function () {
  'use strict';
  const me = document.currentScript;
  const base = (me && (me.getAttribute('data-intake-base') || me.src)) || location.href;
  const attr = (el, n) => el.getAttribute('data-intake-' + n);
  const S = new WeakMap(), watched = new WeakSet();
  let uid = 0;

  function state(el) {
    let s = S.get(el);
    if (s) return s;
    const live = document.createElement('span');
    live.className = 'intake-status';
    live.setAttribute('role', 'status');
    live.id = (el.id || 'intake-' + ++uid) + '-status';
    el.after(live);
    s = { live, seq: 0, ctl: null, pv: null, want: null };
    if (el.tagName === 'SELECT') {
      // Keep a selection already there (chosen or selected), else data-intake-value.
      const o = el.options[el.selectedIndex];
      s.want = o && o.value && (o.defaultSelected || el.selectedIndex) ? o.value : attr(el, 'value');
      el.addEventListener('change', () => { s.want = el.value; });
    }
    S.set(el, s);
    return s;
  }

  function done(el, s, err) {
    el.removeAttribute('aria-busy');
    el.classList.toggle('intake-error', !!err);
    s.live.textContent = err ? attr(el, 'error') || 'Could not load the list. Try again later.' : '';
    const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(x => x && x !== s.live.id);
    if (err) ids.push(s.live.id);
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
    s.ctl = null;
  }

  // get fetches, put shows; a newer load cancels this one (a late answer is dropped).
  async function run(el, get, put) {
    const s = state(el);
    if (s.ctl) s.ctl.abort();
    const ctl = s.ctl = window.AbortController ? new AbortController() : null;
    const seq = ++s.seq;
    el.setAttribute('aria-busy', 'true');
    s.live.textContent = attr(el, 'loading') || 'Loading…';
    let d, err = null;
    try { d = await get(ctl && ctl.signal); } catch (e) { err = e; }
    if (seq !== s.seq) return false;
    if (!err) try { put(d); } catch (e) { err = e; }
    done(el, s, err);
    return !err;
  }

  // A 503 (a cold list while Integrify is busy) is asked again after Retry-After.
  async function getJSON(kind, el, name, params, signal, ok) {
    const u = new URL('api/' + kind + '/' + encodeURIComponent(name), base);
    new URLSearchParams(attr(el, 'params') || '').forEach((v, k) => u.searchParams.set(k, v));
    for (const k in params) u.searchParams.set(k, params[k]);
    for (let i = 0; ; i++) {
      const r = await fetch(u, { credentials: 'omit', headers: { Accept: 'application/json' }, signal });
      if (r.status == 503 && i < 3) {
        await new Promise(f => setTimeout(f, 1e3 * Math.min(+r.headers.get('Retry-After') || 1, 9)));
        continue;
      }
      const d = r.ok && await r.json();
      if (!d || !ok(d)) throw new Error('HTTP ' + r.status);
      return d;
    }
  }

  function fill(el, items) {
    const ph = attr(el, 'placeholder'), f = document.createDocumentFragment();
    (ph === null ? items : [{ value: '', label: ph }].concat(items)).forEach(it => {
      const o = f.appendChild(document.createElement('option'));
      o.value = String(it.value);
      o.textContent = String(it.label);
    });
    el.textContent = '';
    el.appendChild(f);
  }

  async function load(el, s, pv) {
    const p = { format: 'json', per_page: '1000' };
    if (pv !== null) p.parent = pv;
    if (await run(el, async signal => {
      let items = [];
      for (let page = 1; page <= 100; page++) {
        p.page = String(page);
        const d = await getJSON('choices', el, attr(el, 'source'), p, signal, x => Array.isArray(x.items));
        items = items.concat(d.items);
        if (!d.more) break;
      }
      return items;
    }, items => {
      fill(el, items);
      if (items.some(it => String(it.value) === s.want)) el.value = s.want;
    })) children(el);
  }

  // Reload el when its parent's value changed; disabled while it has none.
  function sync(el, force) {
    const s = state(el), pid = attr(el, 'parent');
    const parent = pid && document.getElementById(pid);
    if (pid && !parent) return done(el, s, true);
    const pv = parent ? parent.value : null;
    if (!force && s.seq && s.pv === pv) return;
    s.pv = pv;
    if (parent) {
      if (!watched.has(parent)) {
        watched.add(parent);
        parent.addEventListener('change', () => children(parent));
      }
      if (s.seq || !pv) fill(el, []);
      if (!pv) {
        if (s.ctl) s.ctl.abort();
        s.seq++;
        done(el, s, null);
        el.disabled = s.off = true;
        return children(el);
      }
      if (s.off) el.disabled = s.off = false;
    }
    load(el, s, pv);
  }

  function children(parent) {
    document.querySelectorAll('select[data-intake-source][data-intake-parent]').forEach(c => {
      if (parent.id && attr(c, 'parent') === parent.id) sync(c);
    });
  }

  // A report table from the JSON format, every cell set as text.
  function table(el) {
    const add = (p, tag, text) => {
      const n = p.appendChild(document.createElement(tag));
      if (text !== undefined) n.textContent = text == null ? '' : text;
      return n;
    };
    run(el, signal => getJSON('reports', el, attr(el, 'report'), { format: 'json' }, signal,
      x => Array.isArray(x.columns) && Array.isArray(x.rows)), d => {
      const t = document.createElement('table');
      t.className = 'intake-report';
      if (d.title) add(t, 'caption', d.title);
      const hr = add(add(t, 'thead'), 'tr'), body = add(t, 'tbody');
      d.columns.forEach(c => add(hr, 'th', c).setAttribute('scope', 'col'));
      d.rows.forEach(r => { const tr = add(body, 'tr'); r.forEach(c => add(tr, 'td', c)); });
      el.textContent = '';
      el.appendChild(t);
    });
  }

  function refresh() {
    const sels = document.querySelectorAll('select[data-intake-source]');
    sels.forEach(state);
    sels.forEach(el => sync(el, true));
    document.querySelectorAll('[data-intake-report]').forEach(table);
  }

  window.IntakeEmbed = { refresh };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', refresh);
  else refresh();
}());
