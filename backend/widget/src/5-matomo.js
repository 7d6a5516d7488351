  // widget.js part: Matomo events, inside the closure part 1 opens (backend/widget/views.py joins them).
  // ---- analytics: events through the host page's Matomo (docs/widget.md, data-matomo) ----------
  // Off unless the script tag says data-matomo="on"; the visitor's words only with
  // data-matomo-questions="on" as well. Nothing is sent when the page runs no Matomo (no
  // window._paq), and a broken _paq never breaks the chat. The other parts know nothing of this:
  // they call toggle, ask, stream and rate by name, so wrapping them here sees every call.
  var MATOMO = data.matomo === 'on';
  var MATOMO_QUESTIONS = MATOMO && data.matomoQuestions === 'on';
  // the outcome of the stream's "done" event -> the event's action
  var OUTCOME_ACTIONS = {
    answered: 'answered', answered_fallback: 'answered', unanswered: 'not answered', handoff: 'handed off'
  };

  function track(action, name) {
    var paq = window._paq;
    if (!paq || typeof paq.push !== 'function') return;
    var event = ['trackEvent', 'Lotse', action];
    if (name) event.push(String(name).slice(0, MAX_CHARS));
    try { paq.push(event); } catch (e) { /* the page's analytics must not stop the chat */ }
  }
  function questionName(question) {
    return MATOMO_QUESTIONS ? question : '';
  }

  if (MATOMO) {
    var toggleChat = toggle;
    toggle = function () {
      var closed = panel.hidden;
      toggleChat();
      if (closed && !panel.hidden) track('opened');
    };
    var askChat = ask;
    ask = function (question) {
      if (!busy) track('question asked', questionName(question));
      askChat(question);
    };
    var streamAnswer = stream;
    // an expired conversation makes stream call itself once more (firstTry false): one event
    stream = async function (question, message, controller, firstTry) {
      var result = await streamAnswer(question, message, controller, firstTry);
      var action = OUTCOME_ACTIONS[message.outcome];
      if (firstTry && action && !message.error) track(action, questionName(question));
      return result;
    };
    var rateAnswer = rate;
    rate = function (message, rating, comment) {
      if (!comment) track('feedback', rating); // the comment after a thumbs-down is no new rating
      return rateAnswer(message, rating, comment);
    };
  }

