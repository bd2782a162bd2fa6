// Find me, enhanced: a preview of the chosen selfie, the selfie scaled down in the
// browser before it is sent (a 12 MP photo becomes some 300 KB: 1,600 px on its long
// side, which is more than the face search uses), a size check before a long upload,
// and a "Searching…" state while the server looks. The form works without it; when the
// browser cannot scale the photo (no createImageBitmap or DataTransfer, a format it
// cannot decode), the file chosen is sent as it is. While the gallery is not fully
// indexed, the form is sent in the background and the selfie kept in memory to search
// again with once more photos are ready (see `kept`).
(function () {
  "use strict";
  const SELFIE_LONG_SIDE = 1600;
  const SELFIE_QUALITY = 0.9;

  // A JPEG of the photo upright (its EXIF orientation applied) and at most
  // SELFIE_LONG_SIDE px long, or null when the file should be sent as it is.
  function scaledSelfie(file) {
    if (!window.createImageBitmap || !window.DataTransfer || !window.File || file.type.indexOf("image/") !== 0) {
      return Promise.resolve(null);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      const ratio = SELFIE_LONG_SIDE / Math.max(bitmap.width, bitmap.height);
      if (ratio >= 1) { bitmap.close(); return null; }
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * ratio));
      canvas.height = Math.max(1, Math.round(bitmap.height * ratio));
      const context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", SELFIE_QUALITY); });
    }).then(function (blob) {
      if (!blob) return null;
      const name = (file.name || "selfie").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
    }).catch(function () { return null; });
  }

  // The selfie last sent by a form that keeps it (data-keep-selfie: the gallery is not
  // fully indexed yet), scaled, held in this page's memory only: "Search again" sends it
  // once more photos are ready. It is never stored, in the browser or on the server.
  let kept = null;
  // How often a results page that searched only some photos asks how far indexing has got.
  const PROGRESS_EVERY_MS = 20000;
  let polling = null;

  function keepsSelfie(form) {
    return form.hasAttribute("data-keep-selfie") && Boolean(window.fetch && window.DOMParser && window.FormData && history.pushState);
  }

  // The search sent in the background, and its answer (the results, or the form with
  // the reason) shown in place of this page, so that the selfie stays in memory.
  // Anything unexpected: the form is sent the plain way.
  function searchKeeping(form, selfie) {
    const body = new FormData(form);
    if (selfie) body.set("selfie", selfie, selfie.name || "selfie.jpg");
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      return response.text().then(function (html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        const fresh = page.querySelector("main");
        const shown = document.querySelector("main");
        if (!fresh || !shown) throw new Error("not a page");
        kept = selfie || kept;
        shown.replaceWith(document.adoptNode(fresh));
        document.title = page.title;
        history.pushState({ findMe: true }, "", response.redirected ? response.url : form.action);
        fresh.querySelectorAll("form[data-find-me]").forEach(enhance);
        // The page's other scripts bind to what they find when they run: run them again.
        page.querySelectorAll("script[src]").forEach(function (old) {
          if (/find-me\.js/.test(old.getAttribute("src"))) return;
          const script = document.createElement("script");
          script.src = old.getAttribute("src");
          document.body.appendChild(script);
        });
        window.scrollTo(0, 0);
        watchProgress();
      });
    }).catch(function () {
      if (selfie && form.querySelector("input[type=file]")) {
        const transfer = new DataTransfer();
        transfer.items.add(selfie);
        form.querySelector("input[type=file]").files = transfer.files;
      }
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  // Which lines of the "searched so far" notice show: more photos ready or not, the
  // selfie kept or not (the notice's data-show).
  function showProgress(notice) {
    const state = (notice.dataset.ready === "1" ? "ready" : "waiting") + "-" + (kept ? "kept" : "plain");
    notice.querySelectorAll("[data-show]").forEach(function (line) {
      line.hidden = line.dataset.show.split(" ").indexOf(state) < 0;
    });
  }

  function stopWatching() {
    if (polling) clearInterval(polling);
    polling = null;
  }

  function askProgress() {
    const notice = document.querySelector("[data-find-me-progress]");
    if (!notice || notice.dataset.ready === "1") { stopWatching(); return; }
    if (document.hidden) return;
    fetch(notice.dataset.findMeProgress, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("no progress");
        return response.json();
      })
      .then(function (progress) {
        if (progress.photos_searched > Number(notice.dataset.searched) || progress.complete) {
          notice.dataset.ready = "1";
          stopWatching();
        }
        showProgress(notice);
      })
      .catch(stopWatching);
  }

  function watchProgress() {
    const notice = document.querySelector("[data-find-me-progress]");
    if (!notice) { stopWatching(); return; }
    showProgress(notice);
    if (!polling && notice.dataset.ready !== "1" && window.fetch) polling = setInterval(askProgress, PROGRESS_EVERY_MS);
  }

  function enhance(form) {
    const input = form.querySelector("input[type=file]");
    const preview = form.querySelector(".selfie-preview");
    const status = form.querySelector(".find-me-status");
    const button = form.querySelector("button[type=submit]");
    const maxBytes = Number(form.dataset.maxMb || 0) * 1024 * 1024;
    let previewUrl = null;
    // The scaling of the file chosen, while it runs; the form waits for it.
    let scaling = null;

    function tooLarge() {
      const file = input && input.files && input.files[0];
      return Boolean(file && maxBytes && file.size > maxBytes);
    }

    function scale(file) {
      form.dataset.selfie = "scaling";
      const run = scaledSelfie(file).then(function (smaller) {
        // Only if the guest has not chosen another photo meanwhile.
        if (smaller && input.files[0] === file) {
          const transfer = new DataTransfer();
          transfer.items.add(smaller);
          input.files = transfer.files;
        }
      }).finally(function () {
        if (scaling === run) { scaling = null; form.dataset.selfie = "ready"; }
      });
      scaling = run;
      return run;
    }

    if (input) {
      input.addEventListener("change", function () {
        const file = input.files && input.files[0];
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = null;
        if (preview) preview.hidden = true;
        status.textContent = "";
        if (!file) return;
        // The preview never leaves the phone: an object URL of the local file.
        if (preview && file.type.indexOf("image/") === 0) {
          previewUrl = URL.createObjectURL(file);
          preview.src = previewUrl;
          preview.hidden = false;
        }
        scale(file).then(function () {
          if (tooLarge()) {
            status.textContent = "That photo is larger than " + form.dataset.maxMb + " MB. Take a new selfie or choose a smaller photo.";
          }
        });
      });
    }

    form.addEventListener("submit", function (event) {
      if (typeof form.checkValidity === "function" && !form.checkValidity()) return;
      const waiting = scaling;
      if (!waiting && tooLarge()) { event.preventDefault(); return; }
      const keep = keepsSelfie(form);
      if (waiting || keep) event.preventDefault();  // sent once the smaller file is in the input
      button.disabled = true;
      button.textContent = form.dataset.searching || "Searching…";
      status.textContent = form.dataset.looking || "Looking for you in the photos. This takes a few seconds.";
      if (!waiting && !keep) return;
      (waiting || Promise.resolve()).then(function () {
        if (!tooLarge()) {
          if (keep) searchKeeping(form, input.files[0]);
          else HTMLFormElement.prototype.submit.call(form);
          return;
        }
        button.disabled = false;
        button.textContent = form.dataset.findMeLabel || "Find me";
        status.textContent = form.dataset.tooLarge || "That photo is larger than " + form.dataset.maxMb + " MB. Take a new selfie or choose a smaller photo.";
      });
    });

    // Coming back with the browser's back button shows the form ready again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = form.dataset.findMeLabel || "Find me";
    });
  }

  document.querySelectorAll("form[data-find-me]").forEach(enhance);
  watchProgress();
  document.addEventListener("find-me:results", watchProgress);

  // "Search again" with the selfie kept in memory.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-search-again]");
    if (!button) return;
    const form = document.querySelector("form[data-find-me]");
    if (!kept || !form) return;
    button.disabled = true;
    button.textContent = form.dataset.searching || "Searching…";
    searchKeeping(form, kept);
  });

  // Back and Forward between pages shown in place: the browser's own page for the address.
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.findMe) location.reload();
    else if (kept) location.reload();
  });
})();

// "Not me", enhanced: the tile goes at once, the same form is posted in the background,
// and the page takes the narrowed results that its redirect answers with (counts,
// download links, the next token) and their address. Without it, the form posts and
// the browser follows the redirect.
(function () {
  "use strict";
  // The form is looked up when a tile is clicked: the results may have been shown in place.
  if (!window.fetch || !window.DOMParser) return;
  let queue = Promise.resolve();

  function send(photo) {
    // Read the form when it is sent: an earlier answer may have brought a newer token.
    const current = document.getElementById("not-me");
    const body = new FormData(current);
    body.append("photo", photo);
    return fetch(current.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (!response.ok || !response.redirected) throw new Error("not narrowed");
      return response.text().then(function (html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        const fresh = page.querySelector(".find-me-results");
        const shown = document.querySelector(".find-me-results");
        if (!fresh || !shown) throw new Error("no results in the answer");
        shown.replaceWith(fresh);
        history.replaceState(null, "", response.url);
        // The fresh results may say how many photos were searched: shown for a kept selfie.
        document.dispatchEvent(new CustomEvent("find-me:results"));
      });
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button.not-me[form=not-me]");
    if (!button || !document.getElementById("not-me")) return;
    event.preventDefault();
    const tile = button.closest(".match");
    const photo = button.value;
    if (tile) tile.hidden = true;
    queue = queue.then(function () { return send(photo); }).catch(function () {
      // Something went wrong in the background: do it the plain way, which shows why.
      if (tile) tile.hidden = false;
      const fallback = document.getElementById("not-me");
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "photo";
      input.value = photo;
      fallback.appendChild(input);
      fallback.submit();
    });
  });
})();
