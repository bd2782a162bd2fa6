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

  function updateSummary() {
    const parts = [sent + " uploaded"];
    if (refused) parts.push(refused + " not uploaded");
    if (waiting) parts.push(waiting + " to go");
    summary.textContent = parts.join(", ") + ".";
  }

  function row(file) {
    const li = document.createElement("li");
    li.className = "guest-upload-file";
    const name = document.createElement("span");
    name.className = "guest-upload-file-name";
    name.textContent = file.name;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.textContent = "Retry";
    retry.hidden = true;
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const message = document.createElement("span");
    message.className = "guest-upload-file-message";
    message.textContent = "Waiting…";
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
    item.message.textContent = "Uploading…";
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
        finish(item, false, "The server did not take this photo (error " + xhr.status + "). Try again.", true);
      }
    };
    xhr.onerror = function () {
      finish(item, false, "The connection dropped before this photo was uploaded. Try again.", true);
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
    item.message.textContent = "Waiting…";
    queue.push(item);
    updateSummary();
    pump();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      summary.textContent = "Choose at least one photo.";
      return;
    }
    files.forEach(function (file) {
      const item = row(file);
      if (file.size === 0) {
        waiting++; running++;
        finish(item, false, "The file is empty.", false);
      } else if (maxBytes && file.size > maxBytes) {
        waiting++; running++;
        finish(item, false, "The file is " + Math.round(file.size / 1048576) + " MB; the limit is " + form.dataset.maxMb + " MB.", false);
      } else {
        enqueue(item);
      }
    });
    // The same photos can be chosen again; those sent stay listed.
    input.value = "";
  });
})();
