// Drag-and-drop upload with a progress bar per file and overall. Without
// JavaScript the same form posts every file at once.
(function () {
  "use strict";
  const form = document.querySelector(".upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector(".drop-zone");
  const box = form.querySelector(".upload-progress");
  const overall = form.querySelector(".upload-overall");
  const summary = form.querySelector(".upload-summary");
  const list = form.querySelector(".upload-files");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const CONCURRENCY = 3;

  function uploadOne(file, row, onProgress) {
    return new Promise(function (resolve) {
      const data = new FormData();
      data.append("photos", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) onProgress(event.loaded);
      };
      xhr.onload = function () {
        let result = null;
        try { result = JSON.parse(xhr.responseText).results[0]; } catch (e) { /* not JSON: a server error */ }
        onProgress(file.size);
        resolve(result || { ok: false, message: "The server could not take this file (HTTP " + xhr.status + ")." });
      };
      xhr.onerror = function () { resolve({ ok: false, message: "Network error: the file was not uploaded." }); };
      xhr.send(data);
    });
  }

  function start(files) {
    files = Array.prototype.slice.call(files);
    if (!files.length) return;
    box.hidden = false;
    list.textContent = "";
    const total = files.reduce(function (sum, f) { return sum + f.size; }, 0) || 1;
    const sent = new Array(files.length).fill(0);
    let done = 0, ok = 0, failed = 0, next = 0;
    overall.max = total;
    overall.value = 0;
    overall.className = "upload-overall";
    const rows = files.map(function (file) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      const message = document.createElement("span");
      message.className = "message";
      li.append(name, bar, message);
      list.appendChild(li);
      return { li: li, bar: bar, message: message };
    });
    function update() {
      overall.value = sent.reduce(function (a, b) { return a + b; }, 0);
      summary.textContent = done + " of " + files.length + " uploaded" + (failed ? ", " + failed + " refused" : "");
    }
    function worker() {
      if (next >= files.length) return Promise.resolve();
      const i = next++;
      return uploadOne(files[i], rows[i], function (loaded) {
        sent[i] = loaded;
        rows[i].bar.value = loaded;
        update();
      }).then(function (result) {
        done++;
        // A refused file went up whole too: its bar turns red and says why, so that a
        // full bar never passes for a photo that was taken.
        if (result.ok) { ok++; rows[i].li.className = "done"; } else { failed++; rows[i].li.className = "failed"; }
        rows[i].message.textContent = (result.ok ? "" : "Refused: ") + result.message;
        overall.className = "upload-overall" + (failed ? (ok || done < files.length ? " some-failed" : " all-failed") : done === files.length ? " all-done" : "");
        update();
        return worker();
      });
    }
    const workers = [];
    for (let w = 0; w < CONCURRENCY; w++) workers.push(worker());
    Promise.all(workers).then(function () {
      summary.textContent = ok + " of " + files.length + " uploaded" + (failed ? ", " + failed + " refused (see below)" : "") + ". Photos appear once processed; reload to see their state.";
      input.value = "";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    start(input.files);
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    start(event.dataTransfer.files);
  });
})();
