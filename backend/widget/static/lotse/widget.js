/*
 * Lotse chat widget: one <script src="https://CHATBOT_HOST/widget/widget.js" data-…> tag.
 * Plain ES2019, no dependencies, no build step. Everything lives in a Shadow DOM so the host
 * page's CSS cannot reach it and its CSS cannot reach the host page. Text from the server (the
 * answer, source titles, snippets) only ever becomes DOM through textContent: nothing the model
 * or a crawled page writes is parsed as HTML. Options: see docs/widget.md.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  // One widget per page, even when the tag is pasted twice.
  if (!script || window.LotseWidget) return;
  window.LotseWidget = { version: 1 };

  var MAX_CHARS = 1000;
  var MAX_STORED = 40; // messages kept in localStorage
  var IDLE_TIMEOUT_MS = 60000; // a stream silent for this long counts as broken
  var DEFAULT_COLOR = '#1d4ed8';

  var TEXTS = {
    de: {
      title: 'Fragen? Fragen Sie uns',
      greeting: 'Hallo! Fragen Sie mich etwas zu unserer Website.',
      open: 'Chat öffnen',
      close: 'Chat schließen',
      dialog: 'Chat',
      newChat: 'Neues Gespräch',
      newChatDone: 'Neues Gespräch begonnen.',
      inputLabel: 'Ihre Frage',
      placeholder: 'Ihre Frage …',
      send: 'Senden',
      suggestions: 'Vorschläge',
      you: 'Sie',
      bot: 'Assistent',
      sources: 'Quellen',
      source: 'Quelle',
      page: 'S.',
      helpful: 'Hilfreich',
      notHelpful: 'Nicht hilfreich',
      thanks: 'Danke für Ihre Rückmeldung.',
      feedbackFailed: 'Die Rückmeldung konnte nicht gesendet werden.',
      retry: 'Erneut versuchen',
      thinking: 'Suche auf der Website …',
      answered: 'Antwort vollständig.',
      offline: 'Sie scheinen offline zu sein. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
      network: 'Der Chat-Server ist nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.',
      throttled: 'Zu viele Fragen in kurzer Zeit. Bitte warten Sie {s} Sekunden und versuchen Sie es dann erneut.',
      server: 'Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.',
      interrupted: 'Die Antwort wurde unterbrochen. Bitte versuchen Sie es erneut.',
      tooLong: 'Ihre Frage ist zu lang (höchstens 1000 Zeichen).',
      invalid: 'Diese Frage kann nicht gesendet werden. Bitte formulieren Sie sie anders.',
      config: 'Der Chat ist auf dieser Seite nicht richtig eingerichtet.',
      unavailable: 'Der Chat ist auf dieser Seite nicht verfügbar.',
      commentLabel: 'Was hat gefehlt oder war falsch? (freiwillig)',
      commentSend: 'Rückmeldung senden',
      commentThanks: 'Danke, wir sehen uns das an.'
    },
    en: {
      title: 'Questions? Ask us',
      greeting: 'Hello! Ask me anything about our website.',
      open: 'Open chat',
      close: 'Close chat',
      dialog: 'Chat',
      newChat: 'New conversation',
      newChatDone: 'New conversation started.',
      inputLabel: 'Your question',
      placeholder: 'Your question…',
      send: 'Send',
      suggestions: 'Suggestions',
      you: 'You',
      bot: 'Assistant',
      sources: 'Sources',
      source: 'Source',
      page: 'p.',
      helpful: 'Helpful',
      notHelpful: 'Not helpful',
      thanks: 'Thank you for your feedback.',
      feedbackFailed: 'Your feedback could not be sent.',
      retry: 'Try again',
      thinking: 'Searching the website…',
      answered: 'Answer complete.',
      offline: 'You seem to be offline. Check your connection and try again.',
      network: 'The chat server cannot be reached. Please try again in a moment.',
      throttled: 'Too many questions in a short time. Please wait {s} seconds, then try again.',
      server: 'Something went wrong on our side. Please try again.',
      interrupted: 'The answer was interrupted. Please try again.',
      tooLong: 'Your question is too long (at most 1000 characters).',
      invalid: 'This question cannot be sent. Please rephrase it.',
      config: 'The chat is not set up correctly on this page.',
      unavailable: 'The chat is not available on this page.',
      commentLabel: 'What was missing or wrong? (optional)',
      commentSend: 'Send feedback',
      commentThanks: 'Thank you, we will look into it.'
    }
  };

  // ---- options (data attributes of the script tag) ---------------------------------------
  var data = script.dataset;

  function languageOf(value) {
    var code = String(value || '').slice(0, 2).toLowerCase();
    return TEXTS[code] ? code : '';
  }

  var lang = languageOf(data.language) || languageOf(document.documentElement.lang) ||
    languageOf(navigator.language) || 'en';
  var T = TEXTS[lang];

  // The API lives where the script comes from: https://host/prefix/widget/widget.js -> https://host/prefix/
  function apiBaseOf(src) {
    if (data.api) return new URL(data.api, src).href.replace(/\/?$/, '/');
    var match = /^(.*?\/)(?:widget|static\/lotse)\/widget\.js(?:[?#].*)?$/.exec(src);
    return match ? match[1] : new URL('/', src).href;
  }
  var API = apiBaseOf(script.src);

  function hexColor(value, fallback) {
    return /^#[0-9a-f]{6}$/i.test(String(value || '').trim()) ? value.trim() : fallback;
  }

  var options = {
    title: data.title || T.title,
    greeting: data.greeting || T.greeting,
    color: hexColor(data.color, DEFAULT_COLOR),
    textColor: hexColor(data.colorText, ''),
    position: data.position === 'bottom-left' ? 'left' : 'right',
    sources: String(data.sources || '').split(',').map(function (s) {
      return parseInt(s, 10);
    }).filter(function (n) { return n > 0; }),
    suggestions: String(data.suggestions || '').split('|').map(function (s) {
      return s.trim();
    }).filter(Boolean).slice(0, 6)
  };

  // ---- colours: readable text on the brand colour (WCAG contrast) ------------------------
  function luminance(hex) {
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  var onAccent = options.textColor ||
    (contrast(options.color, '#ffffff') >= contrast(options.color, '#111111') ? '#ffffff' : '#111111');
  // Links and focus rings need 4.5:1 on the light grey of the answers (#f3f4f6); a light
  // brand colour falls back to a dark blue for them.
  var linkColor = contrast(options.color, '#f3f4f6') >= 4.5 ? options.color : DEFAULT_COLOR;

  var CSS = [
    // The wrapper resets every inherited property, so the page's fonts and sizes stop here.
    '.root{all:initial;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;',
    'font-size:15px;line-height:1.45;color:#1f2937;--accent:' + options.color + ';--on-accent:' + onAccent,
    ';--link:' + linkColor + '}',
    '.root *,.root *::before,.root *::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    'button,textarea{font:inherit;color:inherit;margin:0}',
    'button{cursor:pointer}',
    ':focus-visible{outline:3px solid var(--link);outline-offset:2px}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '.launcher{position:fixed;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;',
    'background:var(--accent);color:var(--on-accent);box-shadow:0 4px 14px rgba(0,0,0,.3);',
    'display:flex;align-items:center;justify-content:center;padding:0}',
    '.launcher svg{width:28px;height:28px;fill:currentColor}',
    '.right .launcher{right:20px}.left .launcher{left:20px}',
    '.panel{position:fixed;bottom:92px;width:380px;height:600px;max-height:calc(100vh - 112px);',
    'max-width:calc(100vw - 40px);background:#fff;border-radius:12px;display:flex;',
    'flex-direction:column;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;border:1px solid #d1d5db}',
    '.right .panel{right:20px}.left .panel{left:20px}',
    'header{display:flex;align-items:center;gap:4px;padding:10px 8px 10px 16px;',
    'background:var(--accent);color:var(--on-accent)}',
    'h2{flex:1;font-size:17px;font-weight:600;margin:0;line-height:1.3}',
    '.icon{background:transparent;border:0;color:inherit;width:40px;height:40px;border-radius:8px;',
    'display:flex;align-items:center;justify-content:center;padding:0}',
    '.icon svg{width:22px;height:22px;fill:currentColor}',
    '.icon:hover{background:rgba(127,127,127,.25)}',
    'header :focus-visible{outline-color:var(--on-accent)}',
    '.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:12px}',
    '.msg{max-width:88%;padding:10px 12px;border-radius:12px;overflow-wrap:anywhere}',
    '.user{align-self:flex-end;background:var(--accent);color:var(--on-accent);white-space:pre-wrap}',
    '.bot{align-self:flex-start;background:#f3f4f6;color:#111827}',
    '.msg p{margin:0 0 8px}.msg p:last-child{margin-bottom:0}',
    '.msg ul,.msg ol{margin:0 0 8px;padding-left:22px}',
    '.msg code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:#e5e7eb;',
    'padding:1px 4px;border-radius:4px}',
    '.bot a{color:var(--link);text-decoration:underline}',
    'a.cite{font-size:12px;font-weight:600;text-decoration:none;vertical-align:super;padding:0 1px}',
    '.srcs{margin-top:8px;padding-top:8px;border-top:1px solid #d1d5db;font-size:13px}',
    '.srcs h3{font-size:13px;margin:0 0 4px;font-weight:600}',
    '.srcs ol{margin:0;padding-left:20px}',
    '.tools{display:flex;gap:4px;margin-top:6px}',
    '.tools button{background:#fff;border:1px solid #9ca3af;border-radius:6px;width:34px;height:30px;',
    'display:flex;align-items:center;justify-content:center;padding:0;color:#374151}',
    '.tools svg{width:16px;height:16px;fill:currentColor}',
    '.tools button[aria-pressed=true]{background:var(--accent);color:var(--on-accent);border-color:var(--accent)}',
    '.body:empty{display:none}.body:not(:empty)~.error{margin-top:8px}',
    '.error{padding:8px 10px;border-radius:8px;background:#fef2f2;color:#7f1d1d;',
    'border:1px solid #fca5a5}',
    '.error button,.sugg button{background:#fff;border:1px solid var(--link);color:var(--link);',
    'border-radius:16px;padding:5px 12px;margin-top:6px;text-align:left}',
    '.sugg{display:flex;flex-direction:column;align-items:flex-start;gap:6px;margin:0;padding:0;list-style:none}',
    '.sugg button{margin:0}',
    '.thinking{color:#4b5563;font-style:italic}',
    '.comment{display:flex;flex-direction:column;gap:6px;margin-top:8px}.comment label{font-size:13px}',
    '.comment textarea{height:64px;max-height:none}.comment button{align-self:flex-start;',
    'background:#fff;border:1px solid var(--link);color:var(--link);border-radius:16px;padding:5px 12px}',
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #d1d5db;background:#fff;align-items:flex-end}',
    'textarea{flex:1;resize:none;border:1px solid #6b7280;border-radius:8px;padding:8px 10px;',
    'height:40px;max-height:120px;background:#fff;color:#111827;font-size:15px;line-height:1.4}',
    'textarea::placeholder{color:#6b7280}',
    '.send{background:var(--accent);color:var(--on-accent);border:0;border-radius:8px;height:40px;',
    'width:44px;display:flex;align-items:center;justify-content:center;padding:0}',
    '.send svg{width:20px;height:20px;fill:currentColor}',
    '.send:disabled{opacity:.55;cursor:default}',
    // Small screens: the panel takes the whole viewport and hides the launcher under it.
    '@media (max-width:479px){.panel{top:0;left:0!important;right:0!important;bottom:0;width:100%;',
    'height:100%;max-width:none;max-height:none;border-radius:0;border:0}',
    '.open .launcher{display:none}}',
    '@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}',
    '.launcher:hover{transform:scale(1.06)}}'
  ].join('');

  // ---- tiny DOM helpers --------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  var ICONS = {
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
    close: 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z',
    plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
    send: 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z',
    up: 'M2 10h4v11H2zm6 11h9.5a2 2 0 0 0 1.9-1.4l2.4-7A2 2 0 0 0 19.9 10H14l1-4.6A2 2 0 0 0 13 3l-5 6z',
    down: 'M22 14h-4V3h4zM16 3H6.5a2 2 0 0 0-1.9 1.4l-2.4 7A2 2 0 0 0 4.1 14H10l-1 4.6A2 2 0 0 0 11 21l5-6z'
  };
  function icon(name) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // Only absolute http(s) URLs become links; javascript:, data: and the rest stay text.
  function safeUrl(value) {
    try {
      var url = new URL(String(value), location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '';
    } catch (e) {
      return '';
    }
  }
  function sourceUrl(source) {
    var url = safeUrl(source.url);
    // A PDF opens at the cited page.
    if (url && source.page > 0 && url.indexOf('#') < 0) url += '#page=' + Math.floor(source.page);
    return url;
  }
  function link(href, text, label) {
    return el('a', {
      href: href, target: '_blank', rel: 'noopener noreferrer', text: text, 'aria-label': label
    });
  }

  // ---- Markdown subset -> DOM nodes (never innerHTML) -------------------------------------
  // Inline: `code`, [text](http-url), [n] citations, **bold**, *italic*. Emphasis opens and
  // closes only at a word's edge, as in Markdown: "Bürger*innen und Ansprechpartner*innen"
  // keeps its gender stars.
  var INLINE = new RegExp('`([^`\\n]+)`|\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)|\\[(\\d{1,3})\\]|' +
    '(?<![\\p{L}\\p{N}*])\\*\\*(?=\\S)([^\\n]*?\\S)\\*\\*(?![\\p{L}\\p{N}*])|' +
    '(?<![\\p{L}\\p{N}*])\\*(?=[^\\s*])([^*\\n]*?[^\\s*])\\*(?![\\p{L}\\p{N}*])', 'gu');

  function inline(text, parent, sources) {
    var re = new RegExp(INLINE.source, 'gu');
    var last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      last = re.lastIndex;
      if (m[1] !== undefined) {
        parent.appendChild(el('code', { text: m[1] }));
      } else if (m[2] !== undefined) {
        var href = safeUrl(m[3]);
        parent.appendChild(href && /^https?:/i.test(m[3]) ? link(href, m[2]) : document.createTextNode(m[0]));
      } else if (m[4] !== undefined) {
        var source = sources.filter(function (s) { return s && s.n === Number(m[4]); })[0];
        var url = source ? sourceUrl(source) : '';
        parent.appendChild(url
          ? el('a', {
            class: 'cite', href: url, target: '_blank', rel: 'noopener noreferrer',
            text: '[' + m[4] + ']', 'aria-label': T.source + ' ' + m[4] + ': ' + String(source.title || url)
          })
          : document.createTextNode(m[0]));
      } else {
        var strong = m[5] !== undefined;
        var node = el(strong ? 'strong' : 'em');
        inline(strong ? m[5] : m[6], node, sources);
        parent.appendChild(node);
      }
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var BULLET = /^\s*[-*•]\s+/;
  var NUMBERED = /^\s*\d{1,3}[.)]\s+/;

  function markdown(text, sources) {
    var out = document.createDocumentFragment();
    var paragraph = null, list = null;
    String(text).split('\n').forEach(function (raw) {
      var line = raw.replace(/^#{1,6}\s+/, ''); // headings read as plain paragraphs
      var kind = BULLET.test(line) ? 'ul' : NUMBERED.test(line) ? 'ol' : '';
      if (!line.trim()) {
        paragraph = list = null;
      } else if (kind) {
        paragraph = null;
        if (!list || list.tagName.toLowerCase() !== kind) list = out.appendChild(el(kind));
        var item = list.appendChild(el('li'));
        inline(line.replace(kind === 'ul' ? BULLET : NUMBERED, ''), item, sources);
      } else {
        list = null;
        if (paragraph) paragraph.appendChild(el('br'));
        else paragraph = out.appendChild(el('p'));
        inline(line, paragraph, sources);
      }
    });
    return out;
  }

  // ---- storage: the conversation survives page navigations ------------------------------
  var STORE_KEY = 'lotse-chat:' + API;
  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
      if (saved && Array.isArray(saved.messages)) {
        // Only well-formed messages: a damaged entry must not stop the widget from starting.
        saved.messages = saved.messages.filter(function (m) {
          return m && (m.role === 'user' || m.role === 'assistant') && typeof m.text === 'string' &&
            (!m.error || typeof m.error === 'string');
        });
        saved.conversationId = typeof saved.conversationId === 'string' ? saved.conversationId : null;
        return saved;
      }
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return null;
  }
  var state = load() || { conversationId: null, messages: [] };

  function save() {
    try {
      var messages = state.messages.filter(function (m) { return !m.pending; }).slice(-MAX_STORED);
      localStorage.setItem(STORE_KEY, JSON.stringify({
        conversationId: state.conversationId, messages: messages
      }));
    } catch (e) { /* private mode or quota: the chat still works, it is just not kept */ }
  }
  function session(value) {
    try {
      if (value === undefined) return sessionStorage.getItem(STORE_KEY + ':open') === '1';
      sessionStorage.setItem(STORE_KEY + ':open', value ? '1' : '0');
    } catch (e) { return false; }
  }

  // ---- the widget's DOM ----------------------------------------------------------------------
  var host = document.createElement('div');
  host.id = 'lotse-chat';
  // Inline !important beats any rule of the page, even `* { all: unset !important }`.
  host.setAttribute('style', 'all:initial!important;display:block!important;position:fixed!important;' +
    'top:0!important;left:0!important;width:0!important;height:0!important;' +
    'z-index:2147483647!important;visibility:visible!important;opacity:1!important');
  var shadow = host.attachShadow({ mode: 'open' });
  shadow.appendChild(el('style', { text: CSS }));

  var launcher = el('button', {
    class: 'launcher', type: 'button', 'aria-label': T.open, 'aria-expanded': 'false',
    'aria-controls': 'lotse-panel', onclick: function () { toggle(); }
  }, [icon('chat')]);
  var title = el('h2', { id: 'lotse-title', text: options.title });
  var newButton = el('button', {
    class: 'icon', type: 'button', 'aria-label': T.newChat, title: T.newChat,
    onclick: function () { newConversation(); }
  }, [icon('plus')]);
  var closeButton = el('button', {
    class: 'icon', type: 'button', 'aria-label': T.close, title: T.close,
    onclick: function () { close(true); }
  }, [icon('close')]);
  var log = el('div', {
    class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': options.title, tabindex: '0'
  });
  var status = el('div', { class: 'sr', role: 'status' });
  var input = el('textarea', {
    id: 'lotse-input', rows: '1', maxlength: String(MAX_CHARS), placeholder: T.placeholder,
    'aria-label': T.inputLabel
  });
  var sendButton = el('button', { class: 'send', type: 'submit', 'aria-label': T.send }, [icon('send')]);
  var form = el('form', { onsubmit: function (event) { event.preventDefault(); submit(); } },
    [input, sendButton]);
  var panel = el('div', {
    id: 'lotse-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'lotse-title',
    hidden: true, lang: lang
  }, [el('header', null, [title, newButton, closeButton]), log, form, status]);
  var root = el('div', { class: 'root ' + options.position, lang: lang }, [panel, launcher]);
  shadow.appendChild(root);

  // ---- rendering -----------------------------------------------------------------------------
  var nodes = new WeakMap(); // message -> its DOM node

  function renderStart() {
    if (options.unavailable) return [el('div', { class: 'msg bot unavailable' }, [el('p', { text: T.unavailable })])];
    // Suggestions only on the start screen, before the first question.
    var items = state.messages.length ? [] : options.suggestions.map(function (question) {
      return el('li', null, [el('button', {
        type: 'button', text: question, onclick: function () { ask(question); }
      })]);
    });
    return [
      el('div', { class: 'msg bot' }, [el('p', { text: options.greeting })]),
      items.length ? el('ul', { class: 'sugg', 'aria-label': T.suggestions }, items) : null
    ];
  }

  function renderMessage(message) {
    if (message.role === 'user') {
      return el('div', { class: 'msg user' }, [el('span', { class: 'sr', text: T.you + ': ' }), message.text]);
    }
    var sources = Array.isArray(message.sources) ? message.sources : [];
    var body = el('div', { class: 'body' });
    if (message.text) body.appendChild(markdown(message.text, sources));
    else if (message.pending) body.appendChild(el('p', { class: 'thinking', text: T.thinking }));
    var node = el('div', { class: 'msg bot' }, [el('span', { class: 'sr', text: T.bot + ': ' }), body]);
    var listed = sources.filter(function (s) { return s && sourceUrl(s); });
    if (listed.length && !message.pending) {
      node.appendChild(el('div', { class: 'srcs' }, [
        el('h3', { text: T.sources }),
        el('ol', null, listed.map(function (s) {
          var label = String(s.title || s.url) + (s.section ? ' › ' + String(s.section) : '');
          if (s.page > 0) label += ' (' + T.page + ' ' + Math.floor(s.page) + ')';
          return el('li', { value: String(s.n > 0 ? s.n : '') || null }, [link(sourceUrl(s), label)]);
        }))
      ]));
    }
    if (message.error) {
      node.appendChild(el('div', { class: 'error', role: 'alert' }, [
        el('div', { text: message.error }),
        message.question ? el('button', {
          type: 'button', class: 'retry', text: T.retry, onclick: function () { retry(message); }
        }) : null
      ]));
    } else if (message.messageId && !message.pending) {
      node.appendChild(el('div', { class: 'tools' }, ['up', 'down'].map(function (rating) {
        return el('button', {
          type: 'button', class: 'rate-' + rating, 'aria-label': rating === 'up' ? T.helpful : T.notHelpful,
          title: rating === 'up' ? T.helpful : T.notHelpful,
          'aria-pressed': message.rating === rating ? 'true' : 'false',
          onclick: function () { rate(message, rating); }
        }, [icon(rating)]);
      })));
      if (message.rating === 'down') node.appendChild(commentBox(message));
    }
    return node;
  }

  // After thumbs-down: what was missing or wrong, in the visitor's words (optional).
  function commentBox(message) {
    if (message.commented) return el('p', { class: 'thanks', text: T.commentThanks });
    var id = 'lotse-comment-' + message.messageId;
    var field = el('textarea', { id: id, class: 'comment-text', maxlength: '2000', rows: '2' });
    return el('form', {
      class: 'comment', onsubmit: function (event) {
        event.preventDefault();
        if (field.value.trim()) rate(message, 'down', field.value.trim());
      }
    }, [el('label', { for: id, text: T.commentLabel }), field,
      el('button', { type: 'submit', text: T.commentSend })]);
  }

  function renderAll() {
    log.textContent = '';
    renderStart().forEach(function (node) { if (node) log.appendChild(node); });
    var node = null;
    state.messages.forEach(function (message) {
      node = renderMessage(message);
      nodes.set(message, node);
      log.appendChild(node);
    });
    scrollTo(node, state.messages[state.messages.length - 1]);
  }

  function update(message) {
    var old = nodes.get(message);
    var node = renderMessage(message);
    nodes.set(message, node);
    if (old && old.parentNode === log) log.replaceChild(node, old);
    else log.appendChild(node);
    scrollTo(node, message);
  }

  function append(message) {
    state.messages.push(message);
    var suggestions = log.querySelector('.sugg');
    if (suggestions) log.removeChild(suggestions);
    update(message);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // An answer is read from its start: the log follows it only until its first line reaches
  // the top, so a long answer does not open at its source list.
  function scrollTo(node, message) {
    if (!node || !message || message.role === 'user') return scrollDown();
    var top = log.scrollTop + node.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    log.scrollTop = Math.min(log.scrollHeight, top);
  }

  function announce(text) {
    // Cleared first so the same text is announced again.
    status.textContent = '';
    setTimeout(function () { status.textContent = text; }, 60);
  }

  // ---- open / close / keyboard -----------------------------------------------------------------
  function open(focus) {
    panel.hidden = false;
    panel.setAttribute('aria-modal', fullScreen.matches ? 'true' : 'false');
    root.classList.add('open');
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', T.close);
    session(true);
    scrollDown();
    if (focus) input.focus();
  }
  function close(returnFocus) {
    panel.hidden = true;
    root.classList.remove('open');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', T.open);
    session(false);
    if (returnFocus) launcher.focus();
  }
  function toggle() {
    if (panel.hidden) open(true);
    else close(true);
  }
  var fullScreen = window.matchMedia('(max-width: 479px)');
  root.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !panel.hidden) {
      event.stopPropagation();
      close(true);
    } else if (event.key === 'Tab' && !panel.hidden && fullScreen.matches) {
      // Full screen, the page behind is covered: Tab cycles inside the panel.
      var focusable = Array.prototype.filter.call(
        panel.querySelectorAll('button, a[href], textarea, [tabindex="0"]'),
        function (node) { return !node.disabled && node.getClientRects().length; });
      var first = focusable[0], last = focusable[focusable.length - 1];
      var current = shadow.activeElement;
      if (event.shiftKey ? current === first : current === last) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      }
    }
  });
  input.addEventListener('keydown', function (event) {
    // Enter sends, Shift+Enter starts a new line; not while an IME is composing.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', function () {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  });

  // ---- talking to the API --------------------------------------------------------------------
  var busy = null; // the AbortController of the answer being streamed

  function setBusy(controller) {
    busy = controller;
    sendButton.disabled = !!controller || !!options.unavailable;
    log.setAttribute('aria-busy', controller ? 'true' : 'false');
  }

  function submit() {
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = '';
    input.style.height = '';
    ask(question);
  }

  function ask(question) {
    if (busy) return;
    append({ role: 'user', text: question });
    answer(question);
  }

  function retry(failed) {
    if (busy) return;
    var index = state.messages.indexOf(failed);
    if (index >= 0) state.messages.splice(index, 1);
    var node = nodes.get(failed);
    if (node && node.parentNode === log) log.removeChild(node);
    answer(failed.question);
    input.focus();
  }

  function answer(question) {
    var message = { role: 'assistant', text: '', sources: [], question: question, pending: true };
    append(message);
    save();
    var controller = new AbortController();
    setBusy(controller);
    stream(question, message, controller, true).catch(function () {
      fail(message, T.interrupted); // an unforeseen fault still ends in a readable message
    }).then(function () {
      if (busy === controller) setBusy(null);
      // "New conversation" during the stream dropped this message: nothing left to show.
      if (state.messages.indexOf(message) < 0) return;
      message.pending = false;
      update(message);
      save();
      announce(message.error || T.answered);
    });
  }

  function fail(message, text) {
    message.error = text;
  }

  function errorText(status, body, retryAfter) {
    var code = body && body.code;
    if (status === 429) return T.throttled.replace('{s}', String(retryAfter || 30));
    if (code === 'message_too_long') return T.tooLong;
    if (code === 'unknown_source' || status === 403) return T.config;
    if (status >= 400 && status < 500) return T.invalid;
    return T.server;
  }

  async function stream(question, message, controller, firstTry) {
    var idle;
    function arm() {
      clearTimeout(idle);
      idle = setTimeout(function () { controller.abort(); }, IDLE_TIMEOUT_MS);
    }
    var payload = { message: question, stream: true, language: lang, conversation_id: state.conversationId };
    if (options.sources.length) payload.sources = options.sources;
    var response;
    arm();
    try {
      response = await fetch(API + 'api/v1/chat/', {
        method: 'POST', mode: 'cors', credentials: 'omit', signal: controller.signal,
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(payload)
      });
    } catch (e) {
      clearTimeout(idle);
      // A CORS refusal also lands here; the browser does not tell them apart, the config
      // endpoint does (it answers a refused origin readably).
      if (navigator.onLine === false) return fail(message, T.offline);
      if (await loadConfig()) return fail(message, T.network);
      return fail(message, T.unavailable);
    }
    if (!response.ok) {
      clearTimeout(idle);
      var body = null;
      try { body = await response.json(); } catch (e) { /* not JSON: a proxy's error page */ }
      if (response.status === 404 && body && body.code === 'unknown_conversation' && firstTry) {
        // The conversation expired on the server: start a new one with the same question.
        state.conversationId = null;
        return stream(question, message, controller, false);
      }
      var retryAfter = parseInt(response.headers.get('Retry-After') || (body && body.retry_after), 10);
      return fail(message, errorText(response.status, body, retryAfter));
    }

    var done = false, failed = false, scheduled = false;
    function handle(event, text) {
      var value;
      try { value = JSON.parse(text); } catch (e) { return; }
      if (event === 'token' && value && typeof value.text === 'string') {
        message.text += value.text;
        // Re-render at most once per frame, however fast the tokens come.
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(function () { scheduled = false; update(message); });
        }
      } else if (event === 'sources' && Array.isArray(value)) {
        message.sources = value;
      } else if (event === 'error') {
        failed = true;
      } else if (event === 'done' && value) {
        done = true;
        if (value.conversation_id) state.conversationId = String(value.conversation_id);
        message.conversationId = state.conversationId;
        message.messageId = value.message_id;
      }
    }

    // Server-Sent Events by hand: blocks separated by a blank line, "field: value" lines.
    function parse(block) {
      var event = 'message', lines = [];
      block.split('\n').forEach(function (line) {
        if (!line || line.charAt(0) === ':') return;
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') lines.push(value);
      });
      if (lines.length) handle(event, lines.join('\n'));
    }

    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        arm();
        buffer += decoder.decode(chunk.value, { stream: true });
        // Normalise CRLF and CR, keeping a trailing CR until we see whether LF follows.
        var tail = buffer.slice(-1) === '\r' ? '\r' : '';
        buffer = buffer.slice(0, buffer.length - tail.length).replace(/\r\n?/g, '\n') + tail;
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      // the connection dropped or the idle timer aborted: handled below
    }
    clearTimeout(idle);
    if (failed) fail(message, T.server);
    else if (!done) fail(message, navigator.onLine === false ? T.offline : T.interrupted);
    else delete message.question; // answered: nothing to retry
  }

  async function rate(message, rating, comment) {
    var before = message.rating;
    message.rating = rating;
    update(message);
    var node = nodes.get(message);
    var button = node && node.querySelector(rating === 'down' && !comment ? '.comment-text' : '.rate-' + rating);
    if (button) button.focus();
    try {
      var response = await fetch(API + 'api/v1/chat/messages/' + encodeURIComponent(message.messageId) +
        '/feedback/', {
        method: 'POST', mode: 'cors', credentials: 'omit',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ conversation_id: message.conversationId, rating: rating, comment: comment || '' })
      });
      if (!response.ok) throw new Error(String(response.status));
      if (comment) {
        message.commented = true;
        update(message);
      }
      save();
      announce(comment ? T.commentThanks : T.thanks);
    } catch (e) {
      message.rating = before;
      update(message);
      announce(T.feedbackFailed);
    }
  }

  function newConversation() {
    if (busy) busy.abort();
    setBusy(null);
    state = { conversationId: null, messages: [] };
    save();
    renderAll();
    announce(T.newChatDone);
    input.focus();
  }

  // ---- start -----------------------------------------------------------------------------------
  // A question left without an answer (the visitor navigated away mid-stream) can be retried.
  var last = state.messages[state.messages.length - 1];
  if (last && last.role === 'user') {
    state.messages.push({ role: 'assistant', text: '', sources: [], question: last.text, error: T.interrupted });
  }
  renderAll();
  (document.body || document.documentElement).appendChild(host);
  if (session()) open(false);

  // Greeting and suggestions the editors set in the admin (Chat texts), unless the script tag
  // sets its own. The start screen shows the built-in texts until (and if) they arrive. A page
  // whose origin may not use the chat learns it here: it shows a neutral "not available".
  // Resolves true when the chat may be used from here (or the server cannot be asked).
  function loadConfig() {
    return fetch(API + 'api/v1/chat/config/?language=' + lang, { credentials: 'omit' })
      .then(function (response) {
        if (response.status !== 403) return response.ok ? response.json() : null;
        return response.json().then(function (body) {
          if (body && body.code === 'origin_not_allowed') notAvailable();
          return null;
        }, function () { return null; });
      })
      .then(function (config) {
        if (!config) return !options.unavailable;
        if (!data.greeting && typeof config.greeting === 'string' && config.greeting) {
          options.greeting = config.greeting;
        }
        if (!data.suggestions && Array.isArray(config.suggested_questions)) {
          options.suggestions = config.suggested_questions.map(String).filter(Boolean).slice(0, 6);
        }
        if (!state.messages.length) renderAll();
        return true;
      })
      .catch(function () { return true; /* offline: the built-in texts stay */ });
  }
  function notAvailable() {
    options.unavailable = true;
    input.disabled = sendButton.disabled = true;
    if (!state.messages.length) renderAll();
  }
  loadConfig();
})();
