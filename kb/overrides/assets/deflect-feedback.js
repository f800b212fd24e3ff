// "Was this page helpful?" sent to deflect's app (POST api/feedback), with an optional comment.
//
// Material renders the widget (a button per rating of mkdocs.yml's extra.analytics.feedback) and
// leaves it hidden; this script shows it and sends the answers. A rating without a `comment:` block
// is sent at once. One with it ("This page could be improved") opens the comment box the partial
// rendered from that block, and its vote waits: it is sent once, with the comment when the reader
// presses Send (or without one if the box is empty), or without a comment when the reader leaves
// the page first (pagehide, or the page hidden: a phone may never fire pagehide). So each answer is
// one row on the support lead's dashboard, and a vote is never dropped for a comment not written.
//
// The comment is sent as text and the app stores it as text; nothing here builds markup. An app
// that cannot be reached gets thanks anyway, as Material's own widget does: only a refused comment
// (the API's 422 for "comment") is told to the reader, in the box's live region.
(function () {
  "use strict";

  var script = document.currentScript;
  var current = null; // the widget of the page shown

  // POST one answer; resolves with the API's message when it refused the comment, else null.
  function post(vote, comment) {
    var body = { page: vote.page, helpful: vote.helpful };
    if (comment) body.comment = comment;
    return fetch(script.dataset.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      keepalive: true // the vote sent as the reader leaves still arrives
    }).then(function (response) {
      if (response.status !== 422 || !comment) return null;
      return response.json().then(function (data) {
        return (data && data.errors && typeof data.errors.comment === "string" && data.errors.comment) || null;
      }, function () { return null; });
    }, function () { return null; });
  }

  function Widget(form) {
    this.form = form;
    this.box = null; // the open comment box
    this.vote = null; // the vote waiting for its comment: {page, helpful, value}
    this.sending = false;
  }

  Widget.prototype.start = function () {
    var self = this;
    this.form.querySelectorAll(".md-feedback__list [type=submit]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        self.rate(button.getAttribute("data-md-value"));
      });
    });
    this.form.hidden = false;
  };

  Widget.prototype.rate = function (value) {
    if (this.box || this.form.firstElementChild.disabled) return;
    var vote = { page: location.pathname, helpful: value === "1", value: value };
    var template = [].find.call(document.querySelectorAll("template[data-deflect-feedback-comment]"), function (t) {
      return t.getAttribute("data-deflect-feedback-comment") === value;
    });
    if (!template) {
      post(vote, "");
      this.thank(value, true);
      return;
    }
    this.vote = vote;
    this.open(template);
  };

  // The comment box, after the ratings (which wait, disabled, for the answer to be sent).
  Widget.prototype.open = function (template) {
    var self = this;
    this.form.querySelectorAll(".md-feedback__list [type=submit]").forEach(function (button) {
      button.disabled = true;
    });
    this.box = template.content.firstElementChild.cloneNode(true);
    this.form.querySelector(".md-feedback__list").after(this.box);
    this.box.querySelector("button").addEventListener("click", function () { self.send(); });
    this.box.querySelector("textarea").focus();
  };

  Widget.prototype.send = function () {
    if (!this.vote || this.sending) return;
    var self = this, vote = this.vote, text = this.box.querySelector("textarea").value.trim();
    this.vote = null; // taken: leaving the page now sends nothing more
    this.sending = true;
    this.box.querySelector(".deflect-feedback-comment__error").textContent = ""; // a repeated refusal is heard again
    post(vote, text).then(function (refused) {
      self.sending = false;
      if (!refused) return self.thank(vote.value, true);
      self.vote = vote; // not recorded yet: leaving still sends the vote
      self.refuse(refused);
      if (document.visibilityState === "hidden") self.leave();
    });
  };

  Widget.prototype.refuse = function (message) {
    this.box.querySelector("textarea").setAttribute("aria-invalid", "true");
    this.box.querySelector(".deflect-feedback-comment__error").textContent = message;
  };

  // The reader leaves with the box open: the vote goes without a comment.
  Widget.prototype.leave = function () {
    if (!this.vote) return;
    var vote = this.vote;
    this.vote = null;
    post(vote, "");
    this.thank(vote.value, false);
  };

  // Material's ending: the ratings disabled and the rating's note shown (focused, as what was
  // focused is gone).
  Widget.prototype.thank = function (value, focus) {
    if (this.box) this.box.remove();
    this.box = null;
    this.form.firstElementChild.disabled = true;
    var note = this.form.querySelector(".md-feedback__note [data-md-value='" + value + "']");
    if (!note) return;
    note.hidden = false;
    note.tabIndex = -1;
    if (focus) note.focus();
  };

  function consented() {
    if (script.dataset.consent !== "true") return true;
    var consent = typeof __md_get === "function" ? __md_get("__consent") : null;
    return Boolean(consent && consent.analytics);
  }

  function mount() {
    if (current) current.leave(); // instant navigation: the previous page was left
    current = null;
    var form = document.forms.feedback;
    if (!form || !window.fetch || !consented()) return;
    current = new Widget(form);
    current.start();
  }

  function left() {
    if (current) current.leave();
  }

  window.addEventListener("pagehide", left);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") left();
  });
  if (window.document$) window.document$.subscribe(mount);
  else mount();
})();
