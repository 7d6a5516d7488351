  // widget.js part 7 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
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
  loadHandoffOptions();
  if (liveOpen()) schedulePoll(0.5); // a page change in the middle of a live chat
})();
