// perdiem staff app: progressive enhancement only. Every form works without this file; it adds
// the in-progress state of slow forms, confirm dialogs, the print button and page polling.
(function () {
  "use strict";

  // <form data-busy="Verifying with the payer…">: on submit, the button says so and is disabled,
  // and the status region announces it to screen readers.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var busy = form.getAttribute("data-busy");
    if (!busy) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already sent: a double click does not send it twice
      return;
    }
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].classList.add("is-busy");
      buttons[i].setAttribute("aria-disabled", "true");
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) {
      status.textContent = busy;
      status.hidden = false;
    }
  });

  // <h1 data-address="/batches/ID">: the page answers a posted form but has an address of its
  // own; the address bar shows it, so a reload asks for that page instead of posting the form
  // again (which the server would answer with that page all the same, without starting anything).
  var address = document.querySelector("[data-address]");
  if (address && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", address.getAttribute("data-address"));
  }

  // <button data-print>: prints the page (the print stylesheet lays it out for paper).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  // <div data-poll="/batches/ID/progress" data-poll-seconds="2" data-poll-done="/batches/ID"
  // aria-live="polite">: every N seconds, its content is replaced by the fragment that URL
  // answers (the batch's progress); once the fragment says the work is finished
  // (data-finished), the browser goes to data-poll-done to show the results (not a reload: the
  // page may be the answer to a posted form). Without this script the page's refresh link does
  // the same. Polling stops after ten minutes, so a tab left open does not keep an idle session
  // alive for ever.
  var poll = document.querySelector("[data-poll]");
  if (poll && window.fetch) {
    var seconds = parseInt(poll.getAttribute("data-poll-seconds"), 10) || 2;
    var left = Math.ceil(600 / seconds);
    var again = function () { window.setTimeout(tick, seconds * 1000); };
    var tick = function () {
      if (left-- <= 0) return;
      if (document.hidden) { again(); return; }
      window.fetch(poll.getAttribute("data-poll"), {
        credentials: "same-origin",
        headers: { "Accept": "text/html" },
        redirect: "manual"
      }).then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      }).then(function (text) {
        var holder = document.createElement("div");
        holder.innerHTML = text;
        if (holder.querySelector("[data-finished]")) {
          window.location.assign(poll.getAttribute("data-poll-done"));
          return;
        }
        poll.innerHTML = holder.innerHTML;
        again();
      }).catch(function () { /* signed out or offline: the refresh link remains */ });
    };
    again();
  }

  // <input type=file data-fill="#id">: the chosen file's text goes into that textarea, which
  // the form posts (so a pasted file and a chosen one are the same to the server).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-fill")) return;
    var target = document.querySelector(input.getAttribute("data-fill"));
    var file = input.files && input.files[0];
    if (!target || !file) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = String(reader.result); };
    reader.readAsText(file);
  });
})();
