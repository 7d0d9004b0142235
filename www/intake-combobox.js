/* intake-combobox.js: turns select[data-intake-combobox] into a type-ahead
 * combobox (WAI-ARIA Authoring Practices: an editable combobox with list
 * autocomplete and a listbox popup) that searches and pages on the server,
 * GET {data-intake-api}{data-intake-source}?q=&page=&per_page=. The select
 * stays in the form, hidden, and carries the value, so the form posts as
 * before; without this script it is a plain native select. DOM calls only:
 * no eval, no HTML parsing, no inline styles. IntakeCombobox.enhance(select)
 * opts in a select added later. */
(function () {
  'use strict';

  const PER_PAGE = 20;
  const done = new WeakSet();
  let serial = 0;

  // The fold of search text, as intake's server folds it (lib/util/fold.c).
  const fold = s => s.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();

  const make = (tag, cls, attrs) => {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    for (const k in attrs || {}) n.setAttribute(k, attrs[k]);
    return n;
  };

  function enhance(sel) {
    if (done.has(sel) || !sel.dataset.intakeSource) return;
    done.add(sel);
    const id = sel.id || 'intake-cb-' + ++serial;
    const api = new URL(sel.dataset.intakeApi || '/api/choices/', document.baseURI);
    // The page's words (data-w-* on the select or its form, formpage.c); English elsewhere.
    const word = (k, en) => sel.getAttribute('data-w-' + k) ||
      sel.form && sel.form.getAttribute('data-w-' + k) || en;
    const input = make('input', 'intake-combobox-input', {
      type: 'text', id: id + '-combobox', role: 'combobox', autocomplete: 'off',
      'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': id + '-listbox',
    });
    const list = make('ul', 'intake-listbox', { id: id + '-listbox', role: 'listbox' });
    const live = make('p', 'intake-visually-hidden', { role: 'status' });
    const wrap = make('div', 'intake-combobox');
    list.hidden = true;
    for (const a of ['aria-describedby', 'aria-invalid', 'aria-required', 'required'])
      if (sel.hasAttribute(a)) input.setAttribute(a, sel.getAttribute(a));
    const label = sel.id && document.querySelector('label[for="' + CSS.escape(sel.id) + '"]');
    if (label) {
      label.htmlFor = input.id;
      list.setAttribute('aria-label', label.textContent.replace(/\s*\*\s*$/, ''));
    }
    sel.parentNode.insertBefore(wrap, sel);
    wrap.append(input, list, live, sel);
    sel.hidden = true;
    sel.tabIndex = -1;
    const chosen = () => sel.selectedIndex >= 0 && sel.value !== '' ? sel.options[sel.selectedIndex].text : '';
    input.value = chosen();

    // What the list shows: the server's matches for term, pages 1..page.
    const st = { items: [], term: null, page: 0, more: false, active: -1, ctl: null, timer: 0, busy: false };

    async function load(term, page) {
      if (st.ctl) st.ctl.abort();
      const ctl = st.ctl = new AbortController();
      const u = new URL(encodeURIComponent(sel.dataset.intakeSource), api);
      new URLSearchParams(sel.dataset.intakeParams || '').forEach((v, k) => u.searchParams.set(k, v));
      u.searchParams.set('q', term);
      u.searchParams.set('page', page);
      u.searchParams.set('per_page', PER_PAGE);
      st.busy = true;
      let d;
      try {
        const r = await fetch(u, { credentials: 'omit', headers: { Accept: 'application/json' }, signal: ctl.signal });
        d = r.ok && await r.json();
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
      st.busy = false;
      if (!d || !Array.isArray(d.items)) {
        live.textContent = 'Could not load the list. Try again later.';
        return;
      }
      st.items = page === 1 ? d.items : st.items.concat(d.items);
      st.term = term;
      st.page = page;
      st.more = !!d.more;
      render(page === 1 ? -1 : st.active);
    }

    function render(active) {
      list.replaceChildren();
      st.items.forEach((it, i) => {
        const li = list.appendChild(make('li', 'intake-option', {
          id: id + '-opt-' + i, role: 'option', 'aria-selected': String(String(it.value) === sel.value),
        }));
        li.textContent = String(it.label);
        li.addEventListener('mousedown', e => e.preventDefault());
        li.addEventListener('click', () => pick(i));
      });
      const none = word('no-matches', 'No matches');
      if (!st.items.length) list.appendChild(make('li', 'intake-listbox-empty')).textContent = none;
      live.textContent = st.items.length ?
        word('results', '%s results').replace('%s', st.items.length + (st.more ? '+' : '')) : none;
      open(true);
      setActive(active);
    }

    function open(on) {
      list.hidden = !on;
      input.setAttribute('aria-expanded', String(on));
      if (!on) setActive(-1);
    }

    function setActive(i) {
      const old = list.querySelector('.intake-active');
      if (old) old.classList.remove('intake-active');
      st.active = i;
      const li = i >= 0 && document.getElementById(id + '-opt-' + i);
      if (!li) {
        input.removeAttribute('aria-activedescendant');
        return;
      }
      li.classList.add('intake-active');
      input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
      if (i >= st.items.length - 3 && st.more && !st.busy) load(st.term, st.page + 1);
    }

    function pick(i) {
      const it = st.items[i];
      const value = String(it.value);
      let o = Array.from(sel.options).find(x => x.value === value);
      if (!o) o = sel.appendChild(new Option(String(it.label), value));
      sel.value = value;
      input.value = String(it.label);
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      open(false);
    }

    const search = () => load(input.value, 1);

    // Changed from outside (a parent narrowed the list, or a reset): show
    // the select's value, and ask the server again on the next search.
    sel.addEventListener('change', () => {
      input.value = chosen();
      st.items = [];
      st.term = null;
    });

    input.addEventListener('input', () => {
      clearTimeout(st.timer);
      st.timer = setTimeout(search, 200);
    });
    input.addEventListener('keydown', e => {
      const n = st.items.length, shown = !list.hidden;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (!shown) {
          if (st.term === input.value && n) render(e.altKey ? -1 : 0);
          else load(input.value, 1);
        } else if (n && !e.altKey)
          setActive(e.key === 'ArrowDown' ? Math.min(st.active + 1, n - 1) : Math.max(st.active - 1, 0));
      } else if (e.key === 'Enter' && shown) {
        e.preventDefault();
        const same = st.items.findIndex(it => fold(String(it.label)) === fold(input.value));
        if (st.active >= 0) pick(st.active);
        else if (same >= 0) pick(same);
      } else if (e.key === 'Escape') {
        if (shown) open(false);
        else {
          input.value = '';
          sel.value = '';
          sel.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
    });
    input.addEventListener('blur', () => {
      open(false);
      if (input.value !== chosen()) input.value = chosen();
    });
    list.addEventListener('scroll', () => {
      if (st.more && !st.busy && list.scrollTop + list.clientHeight >= list.scrollHeight - 8)
        load(st.term, st.page + 1);
    });
  }

  const all = () => document.querySelectorAll('select[data-intake-combobox]').forEach(enhance);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all);
  else all();
  window.IntakeCombobox = { enhance };
})();
