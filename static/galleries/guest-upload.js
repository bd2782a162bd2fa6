// Guests' uploads: one request per file, each with its progress bar and message, and a
// Retry button for a file whose upload was cut off (a dropped connection, a server that
// did not answer, a limit that frees up later). Without JavaScript the form posts every
// file at once and the page lists the results.
(function () {
  "use strict";
  const form = document.querySelector(".guest-upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const input = form.querySelector("input[type=file]");
  const nameInput = form.querySelector("input[name=name]");
  const list = form.querySelector(".guest-upload-files");
  const summary = form.querySelector(".guest-upload-summary");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  const CONCURRENCY = 2; // a phone's uplink: two at a time keep it busy without starving either
  const queue = [];
  let running = 0;
  let sent = 0;
  let refused = 0;
  let waiting = 0;
  // The words shown, in the page's language: data-attributes of the form (guest_upload.html).
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  function say(name, english, values) {
    let text = form.dataset[name] || english;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }
  function sayCounted(name, count, english) {
    return say(name + (plurals.select(count) === "one" ? "One" : "Other"), english, { count: count });
  }

  function updateSummary() {
    const parts = [sayCounted("uploaded", sent, "{count} uploaded")];
    if (refused) parts.push(sayCounted("refused", refused, "{count} not uploaded"));
    if (waiting) parts.push(sayCounted("waiting", waiting, "{count} to go"));
    summary.textContent = say("summary", "{parts}.", { parts: parts.join(say("separator", ", ")) });
  }

  function row(file) {
    const li = document.createElement("li");
    li.className = "guest-upload-file";
    const name = document.createElement("span");
    name.className = "guest-upload-file-name";
    name.textContent = file.name;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.textContent = say("retry", "Retry");
    retry.hidden = true;
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const message = document.createElement("span");
    message.className = "guest-upload-file-message";
    message.textContent = say("queued", "Waiting…");
    li.append(name, retry, bar, message);
    list.appendChild(li);
    const item = { file: file, li: li, bar: bar, message: message, retry: retry };
    retry.addEventListener("click", function () {
      retry.hidden = true;
      refused--;
      enqueue(item);
    });
    return item;
  }

  function finish(item, ok, text, canRetry) {
    item.li.classList.remove("is-sending");
    item.li.classList.add(ok ? "is-done" : "is-failed");
    item.message.textContent = text;
    item.retry.hidden = ok || !canRetry;
    if (ok) { sent++; item.bar.value = item.bar.max; } else { refused++; }
    waiting--;
    running--;
    updateSummary();
    pump();
  }

  function send(item) {
    running++;
    item.li.classList.remove("is-failed", "is-done");
    item.li.classList.add("is-sending");
    item.message.textContent = say("uploading", "Uploading…");
    item.bar.value = 0;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrf);
    data.append("name", nameInput ? nameInput.value : "");
    data.append("photos", item.file, item.file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) {
        item.bar.max = event.total;
        item.bar.value = event.loaded;
      }
    };
    xhr.onload = function () {
      let result = null;
      try { result = JSON.parse(xhr.responseText).results[0]; } catch (e) { /* not JSON: a proxy's or server's error page */ }
      if (result) {
        finish(item, result.ok, result.message, Boolean(result.retry));
      } else {
        finish(item, false, say("serverError", "The server did not take this photo (error {status}). Try again.", { status: xhr.status }), true);
      }
    };
    xhr.onerror = function () {
      finish(item, false, say("dropped", "The connection dropped before this photo was uploaded. Try again."), true);
    };
    xhr.ontimeout = xhr.onerror;
    xhr.send(data);
  }

  function pump() {
    while (running < CONCURRENCY && queue.length) send(queue.shift());
  }

  function enqueue(item) {
    waiting++;
    item.li.classList.remove("is-failed");
    item.message.textContent = say("queued", "Waiting…");
    queue.push(item);
    updateSummary();
    pump();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      summary.textContent = say("none", "Choose at least one photo.");
      return;
    }
    files.forEach(function (file) {
      const item = row(file);
      if (file.size === 0) {
        waiting++; running++;
        finish(item, false, say("empty", "The file is empty."), false);
      } else if (maxBytes && file.size > maxBytes) {
        waiting++; running++;
        finish(item, false, say("tooLarge", "The file is {size} MB; the limit is {limit} MB.", { size: Math.round(file.size / 1048576), limit: form.dataset.maxMb }), false);
      } else {
        enqueue(item);
      }
    });
    // The same photos can be chosen again; those sent stay listed.
    input.value = "";
  });
})();
