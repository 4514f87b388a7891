/* motions: the live redline while a delegate edits a clause, and amendments shown inline on demand.
   Progressive enhancement: without this script the forms and links work as they are. No inline code (CSP). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (form) {
    var out = document.getElementById("redline-preview");
    var timer = null;
    var sent = 0;
    var shown = 0;
    var update = function () {
      var mine = ++sent;
      var data = new FormData(form);
      data.delete("submit");
      fetch(form.getAttribute("data-preview-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        if (mine < shown) { return; } // an older answer arriving late
        shown = mine;
        out.innerHTML = html; // server-rendered, escaped by the templates
      }).catch(function () { /* offline for a moment: the next keystroke tries again */ });
    };
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 250);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    // Another clause (or kind) chosen before anything was typed: load the form for it, so that the
    // text box holds that clause's text. Once the delegate has typed, nothing is thrown away.
    var text = form.querySelector("textarea[name=text]");
    var untouched = text ? text.value : "";
    var reload = function () {
      if (text && text.value !== untouched) { return; }
      var clause = form.querySelector("select[name=clause_id]");
      var kind = form.querySelector("input[name=kind]:checked");
      var url = new URL(window.location.href);
      url.search = "";
      if (clause && clause.value) { url.searchParams.set("clause", clause.value); }
      if (kind) { url.searchParams.set("kind", kind.value); }
      window.location.assign(url.toString());
    };
    var clauseSelect = form.querySelector("select[name=clause_id]");
    if (clauseSelect) { clauseSelect.addEventListener("change", reload); }
    Array.prototype.forEach.call(form.querySelectorAll("input[name=kind]"), function (radio) {
      radio.addEventListener("change", reload);
    });
  }

  // A <details data-src> loads its body when first opened: a clause's amendments on the document
  // page, then each amendment's redline inside them. `toggle` does not bubble, so one listener in
  // the capture phase covers the details loaded later as well.
  var load = function (item) {
    if (!item.open || item.getAttribute("data-loaded")) { return; }
    item.setAttribute("data-loaded", "1");
    var body = item.querySelector(":scope > .inline-body");
    if (!body) { return; }
    body.setAttribute("aria-busy", "true");
    fetch(item.getAttribute("data-src"), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      body.innerHTML = html; // server-rendered, escaped by the templates
      body.removeAttribute("aria-busy");
    }).catch(function () {
      body.removeAttribute("aria-busy");
      item.removeAttribute("data-loaded"); // the link in the body still works; opening again retries
    });
  };
  document.addEventListener("toggle", function (event) {
    var item = event.target;
    if (item && item.matches && item.matches("details[data-src]")) { load(item); }
  }, true);
})();
