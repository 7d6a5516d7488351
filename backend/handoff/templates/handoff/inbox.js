(function () {
  'use strict';
  var root = document.getElementById('inbox');
  var T = JSON.parse(document.getElementById('inbox-texts').textContent);
  var poll = parseInt(root.dataset.poll, 10) || 2000;
  var base = root.dataset.state.replace(/state\/$/, '');
  var seen = {}, drafts = {}, titled = document.title, lastTyping = 0, audio = null;
  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var field = document.querySelector('input[name=csrfmiddlewaretoken]');
    return match ? decodeURIComponent(match[1]) : field ? field.value : '';
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];  // text only: markup is shown as typed
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function post(id, name, body) {
    return fetch(base + id + '/' + name + '/', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (b) { if (!r.ok) alert(b.message || r.status); refresh(); }); });
  }
  function line(who, text, cls, extra) {
    return el('div', { class: 'line ' + cls }, [el('b', { text: who + ':' }), document.createTextNode(text)].concat(extra || []));
  }
  function chatNode(chat, mine) {
    var nodes = chat.transcript.map(function (m) {
      var out = [line(m.role === 'user' ? T.visitor : T.assistant, m.text, m.role)];
      if (m.sources.length) {
        out.push(el('div', { class: 'sources' }, [document.createTextNode(T.sources + ': ')].concat(m.sources.map(function (s) {
          return s.url ? el('a', { href: s.url, target: '_blank', rel: 'noopener', text: s.title + ' ' }) : el('span', { text: s.title + ' ' });
        }))));
      }
      return out;
    }).reduce(function (a, b) { return a.concat(b); }, []);
    chat.live.forEach(function (m) {
      var extra = m.entry_url ? [document.createTextNode(' '), el('a', { href: m.entry_url, target: '_blank', class: 'to-entry', text: T.toEntry })] : [];
      nodes.push(line(m.sender === 'visitor' ? T.visitor : m.author, m.text, 'live-' + m.sender, extra));
    });
    if (chat.typing) nodes.push(el('div', { class: 'typing', text: T.typing }));
    var buttons;
    if (mine) {
      var box = el('textarea', { rows: '2', 'aria-label': T.reply, oninput: function () {
        drafts[chat.id] = box.value;
        if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); post(chat.id, 'typing'); }
      } });
      box.value = drafts[chat.id] || '';
      var send = function () {
        var text = box.value.trim(); if (!text) return;
        drafts[chat.id] = ''; box.value = ''; post(chat.id, 'reply', { text: text });
      };
      box.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } });
      buttons = el('div', {}, [box, el('button', { type: 'button', class: 'reply', text: T.send, onclick: send }),
        el('button', { type: 'button', class: 'hand-back', text: T.handBack, onclick: function () { post(chat.id, 'hand_back'); } }),
        el('button', { type: 'button', class: 'end', text: T.end, onclick: function () { post(chat.id, 'end'); } })]);
    } else {
      buttons = el('div', {}, [el('button', { type: 'button', class: 'take', text: T.take, onclick: function () { post(chat.id, 'take'); } })]);
    }
    return el('div', { class: 'chat', 'data-id': String(chat.id) }, [el('h3', { text: '#' + chat.id + ' ' + chat.question })].concat(nodes, [buttons]));
  }
  function render(target, chats, mine, empty) {
    var focused = document.activeElement && target.contains(document.activeElement) ? document.activeElement.closest('.chat') : null;
    var focusId = focused && focused.dataset.id;
    target.textContent = '';
    if (!chats.length) target.appendChild(el('p', { text: empty }));
    chats.forEach(function (chat) { target.appendChild(chatNode(chat, mine)); });
    if (focusId) { var box = target.querySelector('.chat[data-id="' + focusId + '"] textarea'); if (box) box.focus(); }
  }
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.2);
    } catch (e) { /* no sound: the title still says it */ }
  }
  function notify(chats) {
    var fresh = chats.filter(function (c) { return !seen[c.id]; });
    chats.forEach(function (c) { seen[c.id] = true; });
    document.title = chats.length ? '(' + chats.length + ') ' + T.waiting + ' – ' + titled : titled;
    if (!fresh.length) return;
    beep();
    if (window.Notification && Notification.permission === 'granted') new Notification(T.newChat, { body: fresh[0].question });
  }
  var busy = false;
  function refresh() {
    if (busy) return; busy = true;
    fetch(root.dataset.state, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (s) {
      busy = false;
      notify(s.waiting);
      document.getElementById('inbox-online').textContent = T.online + ': ' + s.online;
      render(document.getElementById('inbox-waiting'), s.waiting, false, T.nobody);
      render(document.getElementById('inbox-mine'), s.mine, true, T.none);
    }, function () { busy = false; });
  }
  document.getElementById('inbox-notify').addEventListener('click', function () {
    beep();
    if (window.Notification) Notification.requestPermission();
  });
  refresh();
  setInterval(refresh, poll);
})();
