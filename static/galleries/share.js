// Share buttons (the photo page's and the viewer's): the phone's share sheet where
// the browser has one (Web Share API), else the link is copied and "Link copied"
// shown. Without JavaScript the photo page shows the link itself, and the button
// stays hidden.
(function () {
  "use strict";
  const CONFIRMATION_MS = 4000;

  function say(button, text) {
    const status = button.closest(".share").querySelector(".share-status");
    if (!status) return;
    status.textContent = text;
    clearTimeout(status.clearTimer);
    status.clearTimer = setTimeout(function () { status.textContent = ""; }, CONFIRMATION_MS);
  }

  function copy(button, url) {
    if (!navigator.clipboard || !navigator.clipboard.writeText) {
      say(button, url);  // no clipboard (an insecure origin): at least the link can be read
      return;
    }
    navigator.clipboard.writeText(url).then(
      function () { say(button, button.dataset.copied || "Link copied"); },
      function () { say(button, url); }
    );
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".share-button");
    if (!button || !button.dataset.shareUrl) return;
    const url = button.dataset.shareUrl;
    const data = { title: button.dataset.shareTitle || document.title, url: url };
    if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
      navigator.share(data).catch(function (error) {
        // AbortError: the visitor closed the share sheet, nothing to do.
        if (error && error.name !== "AbortError") copy(button, url);
      });
    } else {
      copy(button, url);
    }
  });

  document.querySelectorAll(".share-button[hidden]").forEach(function (button) { button.hidden = false; });
})();
