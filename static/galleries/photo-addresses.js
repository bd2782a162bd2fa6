// On S3 a page's photos are signed URLs to the bucket that expire minutes after the
// page was made (S3_SIGNED_URL_SECONDS): a guest who scrolls on later (lazy tiles,
// Find me's results, favourites) or opens the viewer would get broken images. An
// image whose bucket URL fails is asked for once more at the site's own file address
// (/photos/<key>/<kind>), which checks access again and sends on a fresh URL; a photo
// hidden meanwhile stays away. Local storage's addresses are the site's already.
(function () {
  "use strict";
  const script = document.currentScript;
  const template = script && script.dataset.fileUrl;
  if (!template) return;
  const NO_KEY = "00000000-0000-0000-0000-000000000000";
  // Object keys are made by the application: galleries/<id>/<photo key>/<kind>[_suffix].<ext>
  const STORED = /\/galleries\/\d+\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(thumb|middle|display|original)[._]/;

  function renew(img) {
    const failed = img.currentSrc || img.src;
    if (!failed) return;
    const url = new URL(failed, location.href);
    if (url.origin === location.origin) return;
    const found = STORED.exec(url.pathname);
    if (!found) return;
    const photo = found[1] + "/" + found[2];
    if (img.dataset.renewed === photo) return;  // the fresh URL failed too: leave it
    img.dataset.renewed = photo;
    img.removeAttribute("srcset");
    img.src = template.replace(NO_KEY, found[1]).replace("KIND", found[2]);
  }

  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) renew(event.target);
  }, true);
  // This script is deferred: an image that failed while the page was still being read
  // fired its error before anyone listened. Such an image is complete with no pixels.
  for (const img of document.images) {
    if (img.complete && img.naturalWidth === 0) renew(img);
  }
})();
