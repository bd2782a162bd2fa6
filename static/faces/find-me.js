// Find me, enhanced: a preview of the chosen selfie, a size check before a long
// upload, and a "Searching…" state while the server looks. The form works without it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-find-me]").forEach(function (form) {
    const input = form.querySelector("input[type=file]");
    const preview = form.querySelector(".selfie-preview");
    const status = form.querySelector(".find-me-status");
    const button = form.querySelector("button[type=submit]");
    const maxBytes = Number(form.dataset.maxMb || 0) * 1024 * 1024;
    let previewUrl = null;

    function tooLarge() {
      const file = input && input.files && input.files[0];
      return Boolean(file && maxBytes && file.size > maxBytes);
    }

    if (input) {
      input.addEventListener("change", function () {
        const file = input.files && input.files[0];
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = null;
        if (preview) preview.hidden = true;
        status.textContent = "";
        if (!file) return;
        if (tooLarge()) {
          status.textContent = form.dataset.tooLarge || "That photo is larger than " + form.dataset.maxMb + " MB. Take a new selfie or choose a smaller photo.";
          return;
        }
        // The preview never leaves the phone: an object URL of the local file.
        if (preview && file.type.indexOf("image/") === 0) {
          previewUrl = URL.createObjectURL(file);
          preview.src = previewUrl;
          preview.hidden = false;
        }
      });
    }

    form.addEventListener("submit", function (event) {
      if (tooLarge()) { event.preventDefault(); return; }
      if (typeof form.checkValidity === "function" && !form.checkValidity()) return;
      button.disabled = true;
      button.textContent = form.dataset.searching || "Searching…";
      status.textContent = form.dataset.looking || "Looking for you in the photos. This takes a few seconds.";
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
