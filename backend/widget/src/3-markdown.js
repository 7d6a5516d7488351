  // widget.js part 3 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
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
    down: 'M22 14h-4V3h4zM16 3H6.5a2 2 0 0 0-1.9 1.4l-2.4 7A2 2 0 0 0 4.1 14H10l-1 4.6A2 2 0 0 0 11 21l5-6z',
    person: 'M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4 0-8 2-8 5v2h16v-2c0-3-4-5-8-5z'
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
    if (!value) return ''; // relative to the page, '' would be the page itself
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

