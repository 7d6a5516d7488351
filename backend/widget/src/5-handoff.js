  // widget.js part 5 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
  // ---- hand-off to a person: the offer, the contact form, sending it ----------------------
  // Offered by the header's person button at any time, under "I don't know" and after a
  // thumbs-down, and when the server recognises "talk to a human" (a `handoff` event). With a
  // supporter online within opening hours the server says live: true and the visitor waits for
  // a supporter in this panel (the live chat below); otherwise they get the form.
  var handoffOptions = null; // GET api/v1/chat/handoff/options/: enabled, live, consent_text

  function loadHandoffOptions() {
    return fetch(API + 'api/v1/chat/handoff/options/?language=' + lang, { credentials: 'omit' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (value) {
        if (value && typeof value === 'object') handoffOptions = value;
        personButton.hidden = !handoffEnabled();
        return handoffOptions;
      })
      .catch(function () { return handoffOptions; });
  }
  function handoffEnabled() {
    return !options.unavailable && !(handoffOptions && handoffOptions.enabled === false);
  }

  function offerButton(reason) {
    if (!handoffEnabled()) return null;
    return el('button', {
      type: 'button', class: 'offer', text: T.offer, onclick: function () { askForPerson(reason); }
    });
  }

  function askForPerson(reason, offered) {
    if (offered && typeof offered === 'object') handoffOptions = offered;
    if (panel.hidden) open(false);
    // who is online changes: ask again, unless the chat's handoff event just said it
    (offered ? Promise.resolve(handoffOptions) : loadHandoffOptions()).then(function (now) {
      if (now && now.live && !liveOpen()) startLive(reason || 'asked');
      else if (!liveOpen()) showForm(reason);
    });
  }

  function showForm(reason) {
    var current = state.messages.filter(function (m) { return m.handoff === 'form'; })[0];
    if (!current) {
      current = { role: 'assistant', text: '', handoff: 'form', reason: reason || 'asked' };
      append(current);
    }
    var node = nodes.get(current);
    var first = node && node.querySelector('input');
    if (first) first.focus();
  }

  function formField(name, label, tag, attrs) {
    var id = 'lotse-h-' + name;
    var input = el(tag, Object.assign({ id: id, name: name }, attrs));
    return { input: input, row: el('div', { class: 'row' }, [el('label', { for: id, text: label }), input]) };
  }

  function handoffNode(message) {
    if (message.handoff === 'sent') {
      return el('div', { class: 'msg bot' }, [el('p', { class: 'thanks', text: T.formSent })]);
    }
    var name = formField('name', T.nameLabel, 'input', { type: 'text', maxlength: '200', autocomplete: 'name' });
    var email = formField('email', T.emailLabel, 'input', { type: 'email', maxlength: '254', autocomplete: 'email' });
    var phone = formField('phone', T.phoneLabel, 'input', { type: 'tel', maxlength: '40', autocomplete: 'tel' });
    var text = formField('message', T.messageLabel, 'textarea', { maxlength: '2000', rows: '3' });
    var consent = el('input', { type: 'checkbox', id: 'lotse-h-consent', name: 'consent' });
    var consentText = (handoffOptions && typeof handoffOptions.consent_text === 'string' &&
      handoffOptions.consent_text) || T.consent;
    var problem = el('p', { class: 'error', role: 'alert', hidden: true });
    var submitButton = el('button', { type: 'submit', class: 'primary', text: T.formSend });
    var form = el('form', {
      class: 'handoff', 'aria-labelledby': 'lotse-h-title',
      onsubmit: function (event) {
        event.preventDefault();
        sendForm(message, {
          name: name.input.value.trim(), email: email.input.value.trim(), phone: phone.input.value.trim(),
          message: text.input.value.trim(), consent: consent.checked
        }, problem, submitButton);
      }
    }, [
      el('h3', { id: 'lotse-h-title', text: T.formTitle }),
      el('p', { text: T.formIntro }),
      name.row, email.row, phone.row, el('p', { class: 'hint', text: T.contactHint }), text.row,
      el('div', { class: 'consent' }, [consent, el('label', { for: 'lotse-h-consent', text: consentText })]),
      problem,
      el('div', { class: 'buttons' }, [submitButton, el('button', {
        type: 'button', text: T.formCancel, onclick: function () { dropForm(message); }
      })])
    ]);
    return el('div', { class: 'msg bot form' }, [form]);
  }

  function dropForm(message) {
    var index = state.messages.indexOf(message);
    if (index >= 0) state.messages.splice(index, 1);
    var node = nodes.get(message);
    if (node && node.parentNode === log) log.removeChild(node);
    save();
    input.focus();
  }

  function showProblem(node, text) {
    node.textContent = text;
    node.hidden = false;
    announce(text);
  }

  async function sendForm(message, values, problem, button, again) {
    var missing = !values.email && !values.phone ? T.needContact : !values.message ? T.needMessage :
      !values.consent ? T.needConsent : '';
    if (missing) return showProblem(problem, missing);
    button.disabled = true;
    var payload = Object.assign({
      conversation_id: state.conversationId, language: lang, reason: message.reason || 'asked'
    }, values);
    try {
      var response = await fetch(API + 'api/v1/chat/handoff/', {
        method: 'POST', mode: 'cors', credentials: 'omit',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload)
      });
      var body = null;
      try { body = await response.json(); } catch (e) { /* not JSON: a proxy's error page */ }
      button.disabled = false;
      if (response.ok) {
        if (body && body.conversation_id) state.conversationId = String(body.conversation_id);
        message.handoff = 'sent';
        update(message);
        save();
        return announce(T.formSent);
      }
      if (response.status === 404 && body && body.code === 'unknown_conversation' && !again) {
        state.conversationId = null; // expired on the server: the request opens a new one
        return sendForm(message, values, problem, button, true);
      }
      var reasons = body && body.errors && typeof body.errors === 'object' ? Object.keys(body.errors).map(function (key) {
        return [].concat(body.errors[key]).map(String).join(' ');
      }) : [];
      var retryAfter = parseInt(response.headers.get('Retry-After') || (body && body.retry_after), 10);
      showProblem(problem, reasons.length ? reasons.join(' ') : errorText(response.status, body, retryAfter));
    } catch (e) {
      button.disabled = false;
      showProblem(problem, navigator.onLine === false ? T.offline : T.formFailed);
    }
  }


  // ---- live chat with a supporter: polled over plain HTTP (docs/operators.md, "Live chat") --
  // state.live = { id, after, status, supporter }: kept with the conversation, so a page change
  // goes on polling. Messages are text: a supporter's reply becomes a text node, never HTML.
  var livePoll = null, liveTyping = null, lastTypingSent = 0;
  var LIVE_URL = API + 'api/v1/chat/handoff/live/';

  function liveOpen() { return !!(state.live && (state.live.status === 'waiting' || state.live.status === 'active')); }

  function liveNode(message) {
    if (message.live === 'status') return el('div', { class: 'msg bot live-status' }, [el('p', { class: 'hint', text: message.text })]);
    return el('div', { class: 'msg bot live' }, [
      el('span', { class: 'sr', text: (message.author || T.supporter) + ': ' }),
      el('p', { class: 'hint', text: message.author || T.supporter }), el('p', { text: message.text })
    ]);
  }

  function liveStatus(text) {
    append({ role: 'assistant', text: text, live: 'status' });
    announce(text);
  }

  function liveCall(method, body) {
    var id = state.live.id, query = '?conversation_id=' + encodeURIComponent(state.conversationId || '') + '&after=' + (state.live.after || 0);
    return fetch(LIVE_URL + (id ? id + '/' : '') + (method === 'GET' ? query : ''), method === 'GET' ? { credentials: 'omit' } : {
      method: 'POST', mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(Object.assign({ conversation_id: state.conversationId, after: state.live.after || 0 }, body))
    }).then(function (response) {
      return response.json().then(function (value) { return { ok: response.ok, status: response.status, body: value }; },
        function () { return { ok: false, status: response.status, body: null }; });
    });
  }

  function applyLive(value) {
    if (!value || !state.live) return;
    var live = state.live, before = live.status, who = live.supporter;
    if (value.conversation_id) state.conversationId = String(value.conversation_id);
    live.id = value.id;
    showTyping(false); // below the newest line, when still typing
    (value.messages || []).forEach(function (m) {
      if (m.id <= (live.after || 0)) return;
      live.after = m.id;
      append({ role: 'assistant', text: String(m.text), live: 'supporter', author: String(m.author || '') });
      announce(String(m.text));
    });
    live.status = value.status;
    live.supporter = value.supporter || '';
    if (value.status === 'waiting' && before !== 'waiting') liveStatus(T.liveWaiting);
    else if (value.status === 'active' && (before !== 'active' || who !== live.supporter)) {
      liveStatus(T.liveActive.replace('%s', live.supporter || T.supporter));
    } else if (value.status === 'ended' && before !== 'ended') {
      liveStatus(value.ended_by === 'assistant' ? T.liveHandedBack : value.ended_by === 'visitor' ? T.liveLeft : T.liveEnded);
    }
    showTyping(!!value.typing);
    save();
    schedulePoll(value.poll_s);
  }

  function showTyping(on) {
    if (on && !liveTyping) {
      liveTyping = el('div', { class: 'msg bot typing', 'aria-live': 'polite' }, [el('p', { class: 'thinking', text: T.liveTyping })]);
      log.appendChild(liveTyping);
      scrollDown();
    } else if (!on && liveTyping) {
      if (liveTyping.parentNode) liveTyping.parentNode.removeChild(liveTyping);
      liveTyping = null;
    }
  }

  function schedulePoll(seconds) {
    clearTimeout(livePoll);
    if (!liveOpen()) return showTyping(false);
    livePoll = setTimeout(function () {
      liveCall('GET').then(function (result) { return result.ok ? applyLive(result.body) : liveGone(result); },
        function () { schedulePoll(5); });
    }, Math.max(500, (seconds || 2) * 1000));
  }

  function liveGone(result) {
    if (result.status === 404) { state.live.status = 'ended'; save(); return liveStatus(T.liveEnded); }
    schedulePoll(5);
  }

  function startLive(reason, again) {
    if (liveOpen()) return;
    state.live = { id: 0, after: 0, status: '', supporter: '' };
    liveCall('POST', { language: lang, reason: reason }).then(function (result) {
      if (result.ok) return applyLive(result.body);
      state.live = null;
      if (result.status === 404 && !again) { // expired on the server: a new conversation
        state.conversationId = null;
        return startLive(reason, true);
      }
      if (result.body && result.body.code === 'no_supporter') return showForm(reason); // gone meanwhile
      liveStatus(errorText(result.status, result.body, 0));
    }, function () { state.live = null; liveStatus(T.offline); });
  }

  function sendLive(text) {
    append({ role: 'user', text: text });
    liveCall('POST', { text: text }).then(function (result) {
      if (result.ok) return applyLive(result.body);
      liveStatus(errorText(result.status, result.body, parseInt(result.body && result.body.retry_after, 10)));
    }, function () { liveStatus(T.offline); });
  }

  function endLive() {
    clearTimeout(livePoll);
    liveCall('POST', { end: true }).catch(function () { /* gone: the supporter sees it end by timeout */ });
  }

  input.addEventListener('input', function () {
    if (!state.live || state.live.status !== 'active' || Date.now() - lastTypingSent < 3000) return;
    lastTypingSent = Date.now();
    liveCall('POST', { typing: true }).catch(function () { /* only a hint */ });
  });
