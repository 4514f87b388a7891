/* motions: the ranked ballot without a round trip per tap. Plain JS, no inline code (CSP).

   Without this script every button of the ballot form posts the form and the server answers with
   the ballot as it now stands (add, move up or down, remove, start again): the page works as it is.
   With it, those buttons change the page at once by the same rules, keep the hidden "ranking"
   field (candidate ids in order) up to date, and say what happened in the status region for screen
   readers; "Review my ballot" still posts the form, and the server checks everything again. */
(function () {
  "use strict";

  var form = document.getElementById("ballot-form");
  if (!form || form.getAttribute("data-method") !== "ranked" || !document.querySelector) { return; }
  var chosen = document.getElementById("ballot-chosen");
  var rest = document.getElementById("ballot-rest");
  var field = document.getElementById("ballot-ranking");
  var status = document.getElementById("ballot-status");
  var empty = form.querySelector(".empty-ranking");
  if (!chosen || !rest || !field) { return; }

  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  // a function as the replacement: a name with "$&" or "$'" in it is put in as it is
  var fill = function (template, name, n) {
    return (template || "").replace("%(name)s", function () { return name; })
      .replace("%(n)d", function () { return String(n); });
  };
  var items = function (list) { return Array.prototype.slice.call(list.children); };
  var say = function (text) {
    if (!status) { return; }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);  // re-announced even if unchanged
  };

  // the candidates not yet ranked keep the ballot paper's order: each one's place on the paper comes
  // from the server (the page may come with some already ranked, after a round trip or a review)
  var paperOrder = {};
  items(rest).concat(items(chosen)).forEach(function (li, i) {
    var place = parseInt(li.getAttribute("data-paper"), 10);
    paperOrder[li.getAttribute("data-candidate")] = isNaN(place) ? i : place;
  });

  var show = function (el, visible) { if (el) { el.hidden = !visible; } };

  var refresh = function () {
    var ranked = items(chosen);
    field.value = ranked.map(function (li) { return li.getAttribute("data-candidate"); }).join(" ");
    ranked.forEach(function (li, i) {
      var rank = li.querySelector(".rank");
      rank.textContent = String(i + 1);
      show(rank, true);
      show(li.querySelector(".candidate-button"), false);
      show(li.querySelector(".chosen-name"), true);
      show(li.querySelector(".rank-tools"), true);
    });
    var next = fill(form.getAttribute("data-label-next"), "", ranked.length + 1);
    items(rest).forEach(function (li) {
      show(li.querySelector(".rank"), false);
      show(li.querySelector(".candidate-button"), true);
      show(li.querySelector(".chosen-name"), false);
      show(li.querySelector(".rank-tools"), false);
      var label = li.querySelector(".next-rank");
      if (label) { label.textContent = next; }
    });
    show(empty, ranked.length === 0);
  };

  var backToPaper = function (li) {
    var mine = paperOrder[li.getAttribute("data-candidate")];
    var after = null;
    items(rest).some(function (other) {
      if (paperOrder[other.getAttribute("data-candidate")] > mine) { after = other; return true; }
      return false;
    });
    rest.insertBefore(li, after);
  };

  var focusIn = function (el, selector) {
    var target = el ? el.querySelector(selector) : null;
    if (target && !target.hidden) { target.focus(); return true; }
    return false;
  };
  var review = function () { return form.querySelector("button[value=review]"); };

  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[name=action]") : null;
    if (!button || !form.contains(button)) { return; }
    var value = button.value || "";
    var verb = value.split(":")[0];
    var id = value.split(":")[1];
    if (verb === "review") { return; }  // posted: the server shows the review
    var li = id ? form.querySelector('[data-candidate="' + id + '"]') : null;
    if (verb !== "clear" && !li) { return; }
    event.preventDefault();
    var name = li ? li.getAttribute("data-name") : "";
    var ranked = li ? li.parentNode === chosen : false;
    // a button that does not fit where its candidate is (an old page's): let the server answer
    if ((verb === "add" && ranked) || ((verb === "remove" || verb === "up" || verb === "down") && li && !ranked)) {
      return;
    }
    // the focus stays where the keyboard was: on the candidate that takes the place of the one
    // moved away (the next one, else the one before), as the server's answer does without the script
    var neighbour = li ? (li.nextElementSibling || li.previousElementSibling) : null;
    if (verb === "add") {
      chosen.appendChild(li);
      refresh();
      say(fill(form.getAttribute("data-label-added"), name, items(chosen).length));
      if (!focusIn(neighbour, ".candidate-button") && review()) { review().focus(); }
    } else if (verb === "remove") {
      backToPaper(li);
      refresh();
      say(fill(form.getAttribute("data-label-removed"), name, 0));
      if (!focusIn(neighbour, 'button[value^="remove:"]')) { focusIn(li, ".candidate-button"); }
    } else if (verb === "up" || verb === "down") {
      var sibling = verb === "up" ? li.previousElementSibling : li.nextElementSibling;
      if (sibling) {
        if (verb === "up") { chosen.insertBefore(li, sibling); } else { chosen.insertBefore(sibling, li); }
      }
      refresh();
      say(fill(form.getAttribute("data-label-moved"), name, items(chosen).indexOf(li) + 1));
      button.focus();
    } else if (verb === "clear") {
      items(chosen).forEach(backToPaper);
      refresh();
      if (empty) { say(empty.textContent.trim()); }
      focusIn(rest, ".candidate-button");
    }
  });
})();
