// Find me, enhanced: a preview of the chosen selfie, the selfie scaled down in the
// browser before it is sent (a 12 MP photo becomes some 300 KB: 1,600 px on its long
// side, which is more than the face search uses), a size check before a long upload,
// and a "Searching…" state while the server looks. The form works without it; when the
// browser cannot scale the photo (no createImageBitmap or DataTransfer, a format it
// cannot decode), the file chosen is sent as it is.
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

  document.querySelectorAll("form[data-find-me]").forEach(function (form) {
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
      if (waiting) event.preventDefault();  // sent once the smaller file is in the input
      else if (tooLarge()) { event.preventDefault(); return; }
      button.disabled = true;
      button.textContent = form.dataset.searching || "Searching…";
      status.textContent = form.dataset.looking || "Looking for you in the photos. This takes a few seconds.";
      if (!waiting) return;
      waiting.then(function () {
        if (!tooLarge()) { HTMLFormElement.prototype.submit.call(form); return; }
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
  });
})();

// "Not me", enhanced: the tile goes at once, the same form is posted in the background,
// and the page takes the narrowed results that its redirect answers with (counts,
// download links, the next token) and their address. Without it, the form posts and
// the browser follows the redirect.
(function () {
  "use strict";
  const form = document.getElementById("not-me");
  if (!form || !window.fetch || !window.DOMParser) return;
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
      });
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button.not-me[form=not-me]");
    if (!button) return;
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
