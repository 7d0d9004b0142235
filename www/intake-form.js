/* intake-form.js: sends form[data-intake-submit] with fetch and answers in
 * place (errors at their fields, or the receipt), with DOM calls only (no eval,
 * no HTML parsing, no inline styles). Optional: without it the same form posts
 * as a page (POST/Redirect/GET). IntakeForm.enhance(form) opts a form in. */
(function () {
  'use strict';

  // Errors use form.c's markup, so they look and read as the server's do:
  // a summary (role=alert) above the form linking to each field, and
  // p.intake-error#f-NAME-error after the field's label and help.

  const enhanced = new WeakSet();
  // The page's words, in its language: formpage.c puts them on the form as
  // data-w-* from the catalog (lib/form/lang.c); English for a form without.
  // %s stands for the request ID and/or the reference, in that order.
  const KEEP = ' Keep it to ask about your request.';
  const ENGLISH = {
    error: 'Error: ', another: 'Send another request', correct: 'Please correct the following',
    invalid: 'This value is not valid.', sent: 'Request sent', received: 'Request received',
    'sent-id-text': 'Thank you. Your request was sent to the service desk as request %s. Your reference is %s.' + KEEP,
    'sent-text': 'Thank you. Your request was sent to the service desk. Your reference is %s.' + KEEP,
    'queued-text': 'Thank you. Your request was received and will be sent to the service desk shortly. ' +
      'Your reference is %s.' + KEEP,
    'held-text': 'Thank you. Your request was received, and a member of staff will pass it on. ' +
      'Your reference is %s.' + KEEP,
    unreachable: 'Could not reach the server; your answers are kept, please try again.',
    'not-sent': 'Your request could not be sent (HTTP %s). Your answers are kept; please try again.',
    'send-again': 'You can send again in %s seconds.',
  };
  const word = (form, k, ...args) => {
    let i = 0;
    return (form.getAttribute('data-w-' + k) || ENGLISH[k]).replace(/%s/g, () => String(args[i++]));
  };
  // The receipt's words by the answer's status, as form.c's receipt page says
  // them: [heading, sentence with the request ID, sentence without].
  const RECEIPT = new Map([
    ['started', ['sent', 'sent-id-text', 'sent-text']],
    ['queued', ['received', null, 'queued-text']],
    ['held', ['received', null, 'held-text']],
  ]);

  // The page's title without our "Error: ", and with it when on is true.
  const titled = (form, on) => {
    const error = word(form, 'error');
    const base = document.title.startsWith(error) ? document.title.slice(error.length) : document.title;
    document.title = on ? error + base : base;
    return base;
  };

  const make = (tag, cls, text) => {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  };

  // The summary, server-rendered (a sibling of the form) or ours.
  const summaries = form => Array.from(form.parentNode.children)
    .filter(n => n.classList.contains('intake-error-summary'));

  const grouped = ctl => ctl.type === 'checkbox' || ctl.type === 'radio';

  // Take away every error shown, by the server or by us.
  function clearErrors(form) {
    titled(form, false);
    summaries(form).forEach(n => n.remove());
    form.querySelectorAll('p.intake-error').forEach(p => {
      form.querySelectorAll('[aria-describedby]').forEach(el => {
        const ids = el.getAttribute('aria-describedby').split(/\s+/).filter(x => x && x !== p.id);
        if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
        else el.removeAttribute('aria-describedby');
      });
      p.remove();
    });
    form.querySelectorAll('[aria-invalid]').forEach(el => el.removeAttribute('aria-invalid'));
  }

  // Show one field's error as form.c does; returns the control to link to, or null.
  function fieldError(form, e) {
    let ctl = typeof e.field === 'string' && e.field ? form.elements.namedItem(e.field) : null;
    if (ctl && !ctl.tagName) ctl = ctl[0];              // a group of checkboxes or radios
    if (!ctl || !ctl.id || ctl.type === 'hidden') return null;
    const box = grouped(ctl) ? ctl.closest('fieldset') || ctl : ctl;
    const id = (box === ctl ? ctl.id : 'f-' + e.field) + '-error';
    if (document.getElementById(id)) return ctl;         // the first error of a field only
    const ids = (box.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    // After the help (described already), else the label or legend.
    const help = ids.map(x => document.getElementById(x)).find(Boolean);
    const after = help || (box === ctl ? ctl.labels && ctl.labels[0] : box.querySelector('legend'));
    const p = make('p', 'intake-error', String(e.message || word(form, 'invalid')));
    p.id = id;
    if (after) after.after(p); else box.before(p);
    box.setAttribute('aria-describedby', [id].concat(ids).join(' '));
    if (box === ctl) ctl.setAttribute('aria-invalid', 'true');
    else if (ctl.type === 'radio') box.querySelectorAll('input').forEach(r => r.setAttribute('aria-invalid', 'true'));
    return ctl;
  }

  // The text of a control's label or legend, without the required marker.
  function labelOf(ctl) {
    const box = grouped(ctl) && ctl.closest('fieldset');
    const l = box ? box.querySelector('legend') : ctl.labels && ctl.labels[0];
    if (!l) return ctl.name;
    const c = l.cloneNode(true);
    c.querySelectorAll('[aria-hidden="true"]').forEach(n => n.remove());
    return c.textContent.trim();
  }

  // The summary above the form: a message (text) and/or the field errors; focused.
  function summary(form, text, errors) {
    const s = make('div', 'intake-error-summary');
    s.setAttribute('role', 'alert');
    s.tabIndex = -1;
    if (text) s.appendChild(make('p', null, text));
    if (errors && errors.length) {
      s.appendChild(make('h2', null, word(form, 'correct')));
      const ul = s.appendChild(make('ul'));
      errors.forEach(e => {
        const li = ul.appendChild(make('li')), ctl = fieldError(form, e);
        const msg = String(e.message || word(form, 'invalid'));
        if (!ctl) {
          li.textContent = msg;                         // not a field of this form
          return;
        }
        const a = li.appendChild(make('a', null, labelOf(ctl) + ': ' + msg));
        a.href = '#' + ctl.id;
      });
    }
    form.before(s);
    titled(form, true);
    s.focus();
  }

  // The form gives way to the receipt, as form.c's receipt page shows it: the
  // heading, the sentence (focused, calm) and a link to send another request.
  function receipt(form, d) {
    const [h, withId, plain] = RECEIPT.get(d.status) || RECEIPT.get('queued');
    const heading = word(form, h);
    const text = d.request_id && withId ? word(form, withId, d.request_id, d.reference) :
      word(form, plain, d.reference);
    const p = make('p', 'intake-receipt', text);
    p.setAttribute('role', 'status');
    p.tabIndex = -1;
    const back = make('p');
    const a = back.appendChild(make('a', null, word(form, 'another')));
    a.href = new URL(form.getAttribute('action') || '', document.baseURI).pathname;
    const h1 = document.querySelector('main h1, h1');
    if (h1) h1.textContent = heading;
    document.title = titled(form, false) + ': ' + heading;
    summaries(form).forEach(n => n.remove());
    form.parentNode.querySelectorAll('.intake-description, .intake-legend').forEach(n => n.remove());
    form.replaceWith(p, back);
    p.focus();
  }

  function busy(form, on) {
    if (on) form.setAttribute('aria-busy', 'true');
    else form.removeAttribute('aria-busy');
    form.querySelectorAll('button, input[type=submit]').forEach(b => { b.disabled = on; });
  }

  async function send(form) {
    const body = new FormData(form);                    // files, _token and website too
    clearErrors(form);
    busy(form, true);
    let r, d = null;
    try {
      r = await fetch(new URL(form.getAttribute('action') || '', document.baseURI), {
        method: 'POST', body, headers: { Accept: 'application/json' }, credentials: 'same-origin',
      });
    } catch (e) {
      busy(form, false);
      return summary(form, word(form, 'unreachable'));
    }
    try { d = await r.json(); } catch (e) { d = null; } // nginx's own pages are HTML
    if (r.ok && d && d.status && d.reference) return receipt(form, d);
    busy(form, false);
    if (r.status === 422 && d && Array.isArray(d.errors)) return summary(form, null, d.errors);
    let msg = d && d.error && d.error.message || word(form, 'not-sent', r.status);
    const wait = r.headers.get('Retry-After');
    if (r.status === 429 && /^\d+$/.test(wait || '')) msg += ' ' + word(form, 'send-again', wait);
    summary(form, msg);
  }

  // A child select (data-intake-parent: the parent's id) follows its parent:
  // its options become those the parent's value offers, from the server
  // (?parent=), or the whole list the page came with while the parent is
  // empty. data-intake-params tells intake-combobox.js to search the same.
  function follow(sel) {
    const parent = document.getElementById(sel.dataset.intakeParent);
    if (!parent || !sel.dataset.intakeSource) return;
    const api = new URL(sel.dataset.intakeApi || '/api/choices/', document.baseURI);
    const whole = Array.from(sel.children, n => n.cloneNode(true));
    let ctl = null;
    async function sync() {
      if (ctl) ctl.abort();
      const pv = parent.value;
      let opts = whole.map(n => n.cloneNode(true));
      sel.dataset.intakeParams = pv ? new URLSearchParams({ parent: pv }).toString() : '';
      if (pv) {
        const u = new URL(encodeURIComponent(sel.dataset.intakeSource), api), c = ctl = new AbortController();
        u.searchParams.set('parent', pv);
        u.searchParams.set('per_page', '1000');
        let d = null;
        try {
          const r = await fetch(u, { headers: { Accept: 'application/json' }, signal: c.signal });
          d = r.ok && await r.json();
        } catch (e) {
          if (e.name === 'AbortError') return;
        }
        // Without an answer the whole list stays: the server checks the pair anyway.
        if (d && Array.isArray(d.items))
          opts = [opts[0]].concat(d.items.map(it => new Option(String(it.label), String(it.value))));
      }
      const keep = sel.value;                           // as it is now, after the wait
      sel.replaceChildren(...opts);
      sel.value = keep;
      if (sel.value !== keep) sel.value = '';
      sel.dispatchEvent(new Event('change', { bubbles: true }));
    }
    parent.addEventListener('change', sync);
    if (parent.value) sync();
  }

  // Opt a form in (done for every form[data-intake-submit] on load); once only.
  function enhance(form) {
    if (enhanced.has(form)) return;
    enhanced.add(form);
    form.querySelectorAll('select[data-intake-parent]').forEach(follow);
    form.addEventListener('submit', ev => {
      ev.preventDefault();
      if (form.hasAttribute('aria-busy')) return;      // no double submission
      send(form).catch(() => busy(form, false));      // a bug of ours: let the person retry
    });
  }

  window.IntakeForm = { enhance };
  const all = () => document.querySelectorAll('form[data-intake-submit]').forEach(enhance);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all);
  else all();
}());
