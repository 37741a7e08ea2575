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

  // <button data-print>: prints the page (the print stylesheet lays it out for paper).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  // <div data-poll="3">: reloads the page every N seconds while it is shown (batch progress).
  var poll = document.querySelector("[data-poll]");
  if (poll) {
    var seconds = parseInt(poll.getAttribute("data-poll"), 10) || 3;
    window.setTimeout(function () {
      if (!document.hidden) window.location.reload();
    }, seconds * 1000);
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
