/*
 * Lotse chat widget: one <script src="https://CHATBOT_HOST/widget/widget.js" data-…> tag.
 * Plain ES2019, no dependencies, no build step. Everything lives in a Shadow DOM so the host
 * page's CSS cannot reach it and its CSS cannot reach the host page. Text from the server (the
 * answer, source titles, snippets) only ever becomes DOM through textContent: nothing the model
 * or a crawled page writes is parsed as HTML. Options: see docs/widget.md.
 * Authored in seven parts (backend/widget/src/, by job), served joined in order as one file by
 * backend/widget/views.py. This part opens the closure the others share; the last closes it.
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
      commentThanks: 'Danke, wir sehen uns das an.',
      person: 'Mit einem Menschen sprechen',
      offer: 'Möchten Sie lieber mit einem Menschen sprechen?',
      formTitle: 'Nachricht an unser Team',
      formIntro: 'Gerade ist niemand für einen Live-Chat da. Hinterlassen Sie uns eine Nachricht, wir melden uns bei Ihnen.',
      nameLabel: 'Name (freiwillig)',
      emailLabel: 'E-Mail',
      phoneLabel: 'Telefon',
      contactHint: 'E-Mail oder Telefon genügt.',
      messageLabel: 'Ihre Nachricht',
      consent: 'Ich bin einverstanden, dass meine Nachricht, meine Kontaktdaten und dieser Chat an das Support-Team weitergegeben werden.',
      formSend: 'Absenden',
      formCancel: 'Abbrechen',
      formSent: 'Danke! Ihre Nachricht ist bei uns angekommen. Wir melden uns bei Ihnen.',
      supporter: 'Mitarbeiter*in',
      liveWaiting: 'Warte auf eine Mitarbeiterin / einen Mitarbeiter…',
      liveActive: 'Chat aktiv mit %s',
      liveTyping: 'schreibt…',
      liveEnded: 'Die Mitarbeiterin / der Mitarbeiter hat den Chat beendet.',
      liveHandedBack: 'Der Chat ist beendet. Ab jetzt antwortet wieder der Assistent.',
      liveLeft: 'Sie haben den Chat beendet.',
      formFailed: 'Die Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es erneut.',
      needContact: 'Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer an.',
      needMessage: 'Bitte schreiben Sie eine Nachricht.',
      needConsent: 'Bitte stimmen Sie zu, damit wir Ihr Anliegen weitergeben dürfen.'
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
      commentThanks: 'Thank you, we will look into it.',
      person: 'Talk to a person',
      offer: 'Would you rather talk to a person?',
      formTitle: 'Message to our team',
      formIntro: 'Nobody is available for a live chat right now. Leave us a message and we will get back to you.',
      nameLabel: 'Name (optional)',
      emailLabel: 'E-mail',
      phoneLabel: 'Phone',
      contactHint: 'E-mail or phone is enough.',
      messageLabel: 'Your message',
      consent: 'I agree that my message, my contact details and this chat are passed on to the support team.',
      formSend: 'Send',
      formCancel: 'Cancel',
      formSent: 'Thank you! Your message has reached us. We will get back to you.',
      supporter: 'Supporter',
      liveWaiting: 'Waiting for a supporter…',
      liveActive: 'Chat active with %s',
      liveTyping: 'typing…',
      liveEnded: 'The supporter ended the chat.',
      liveHandedBack: 'The chat has ended. The assistant answers again from now on.',
      liveLeft: 'You ended the chat.',
      formFailed: 'Your message could not be sent. Please try again.',
      needContact: 'Please give an e-mail address or a phone number.',
      needMessage: 'Please write a message.',
      needConsent: 'Please agree so that we may pass on your request.'
    }
  };

