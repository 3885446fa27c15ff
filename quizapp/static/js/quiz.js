// Progressive enhancement for the question page: save each answer as it is given, without a
// page reload, and count the time down. Without JavaScript the form posts do the same job.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = form.querySelector("[data-save-status]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var pending = null;

  function show(text) { if (status) { status.textContent = text; } }

  function save() {
    var data = new FormData(form);
    show("Saving…");
    pending = fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok && body.saved) { show("Answer saved."); markAnswered(body.answered); }
        else if (body.review) { window.location.assign(body.review); }
        else { show("Not saved: " + (body.error || "please use the Save button.")); }
      });
    }).catch(function () { show("Not saved (connection lost). Your answer will be sent when you press Save."); });
  }

  function markAnswered(answered) {
    var current = document.querySelector(".navigator a.current");
    if (current) {
      current.classList.toggle("answered", answered);
      current.classList.toggle("unanswered", !answered);
      current.setAttribute("aria-label", "Question " + current.textContent.trim() + ", " + (answered ? "answered" : "not answered"));
    }
    var count = document.querySelectorAll(".navigator a.answered").length;
    var counter = document.querySelector("[data-answered-count]");
    if (counter) { counter.textContent = count; }
    var bar = document.querySelector(".quiz-head progress");
    if (bar) { bar.value = count; }
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "answer") { save(); }
  });

  var timer = document.querySelector("[data-seconds-left]");
  if (timer) {
    var left = parseInt(timer.getAttribute("data-seconds-left"), 10);
    var label = timer.querySelector("[data-timer]");
    var tick = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(tick); window.location.reload(); return; }
      label.textContent = Math.floor(left / 60) + " min " + (left % 60) + " s";
    }, 1000);
  }
})();
