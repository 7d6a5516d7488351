  // widget.js part 6 of 7, inside the closure part 1 opens (backend/widget/views.py joins them).
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
    if (liveOpen()) return sendLive(question);
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

    var done = false, failed = false, scheduled = false, offered = null;
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
      } else if (event === 'handoff' && value) {
        offered = value; // the visitor asked for a person: the form follows the answer
      } else if (event === 'done' && value) {
        done = true;
        if (value.conversation_id) state.conversationId = String(value.conversation_id);
        message.conversationId = state.conversationId;
        message.messageId = value.message_id;
        message.outcome = typeof value.outcome === 'string' ? value.outcome : '';
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
    if (offered && done) setTimeout(function () { askForPerson('asked', offered); }, 0);
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
    if (liveOpen()) endLive();
    state = { conversationId: null, messages: [], live: null };
    save();
    renderAll();
    announce(T.newChatDone);
    input.focus();
  }

