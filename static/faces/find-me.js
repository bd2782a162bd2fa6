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
          status.textContent = "That photo is larger than " + form.dataset.maxMb + " MB. Take a new selfie or choose a smaller photo.";
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
      button.textContent = "Searching…";
      status.textContent = "Looking for you in the photos. This takes a few seconds.";
    });

    // Coming back with the browser's back button shows the form ready again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = "Find me";
    });
  });
})();
