  // widget.js part 4 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
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
        saved.live = saved.live && typeof saved.live.id === 'number' ? saved.live : null;
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
        conversationId: state.conversationId, messages: messages, live: state.live
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
  var personButton = el('button', {
    class: 'icon', type: 'button', 'aria-label': T.person, title: T.person,
    onclick: function () { askForPerson('asked'); }
  }, [icon('person')]);
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
  }, [el('header', null, [title, personButton, newButton, closeButton]), log, form, status]);
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
    if (message.handoff) return handoffNode(message);
    if (message.live) return liveNode(message);
    var sources = Array.isArray(message.sources) ? message.sources : [];
    var body = el('div', { class: 'body' });
    if (message.text) body.appendChild(markdown(message.text, sources));
    else if (message.pending) body.appendChild(el('p', { class: 'thinking', text: T.thinking }));
    var node = el('div', { class: 'msg bot' }, [el('span', { class: 'sr', text: T.bot + ': ' }), body]);
    // an editor's entry without a "read more" link is listed as text ("Redaktion, 1.12.2026")
    var listed = sources.filter(function (s) { return s && (sourceUrl(s) || s.kind === 'entry'); });
    if (listed.length && !message.pending) {
      node.appendChild(el('div', { class: 'srcs' }, [
        el('h3', { text: T.sources }),
        el('ol', null, listed.map(function (s) {
          var label = String(s.title || s.url) + (s.section ? ' › ' + String(s.section) : '');
          if (s.page > 0) label += ' (' + T.page + ' ' + Math.floor(s.page) + ')';
          var url = sourceUrl(s);
          return el('li', { value: String(s.n > 0 ? s.n : '') || null }, [url ? link(url, label) : label]);
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
      // "I don't know" or a thumbs-down: a person may know
      if (message.outcome === 'unanswered' || message.rating === 'down') {
        var offer = offerButton(message.rating === 'down' ? 'thumbs_down' : 'unanswered');
        if (offer) node.appendChild(offer);
      }
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

