  // widget.js part 2 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
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
    '.offer{display:block;background:#fff;border:1px solid var(--link);color:var(--link);border-radius:16px;',
    'padding:5px 12px;margin-top:8px;text-align:left}',
    '.form{width:88%}.handoff{display:flex;flex-direction:column;align-items:stretch;gap:6px;padding:0;border:0;background:none}',
    '.handoff h3{font-size:15px;margin:0}.handoff p{margin:0;font-size:13px}',
    '.handoff .row{display:flex;flex-direction:column;gap:2px}.handoff label{font-size:13px}',
    '.handoff input[type=text],.handoff input[type=email],.handoff input[type=tel]{font:inherit;',
    'border:1px solid #6b7280;border-radius:8px;padding:6px 8px;background:#fff;color:#111827}',
    '.handoff textarea{height:72px;max-height:none}.handoff .hint{color:#4b5563}',
    '.consent{display:flex;gap:6px;align-items:flex-start}.consent input{margin-top:3px}',
    '.buttons{display:flex;gap:8px}.buttons button{background:#fff;border:1px solid var(--link);',
    'color:var(--link);border-radius:16px;padding:5px 12px}',
    '.buttons .primary{background:var(--accent);color:var(--on-accent);border-color:var(--accent)}',
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

