// The live slideshow (templates/galleries/gallery_slideshow.html): crossfades between
// the gallery's photos and asks the server for new ones every few seconds.
//
// Made to run for hours on a projector: two <img> elements take turns (their sources
// change, no element is ever added), the photo list never holds more than MAX_PHOTOS
// (the one shown longest ago leaves first), and each timer is a single pending
// setTimeout. The page works without this script: it then reloads to the next photo.
(() => {
  "use strict";

  const root = document.getElementById("slideshow");
  const first = document.getElementById("slideshow-first");
  if (!root || !first) return;

  const MAX_PHOTOS = 500; // as galleries/slideshow.py sends at most
  const POINTER_IDLE_MS = 3000;
  const seconds = (value, fallback) => {
    const number = parseFloat(value);
    return Number.isFinite(number) && number > 0 ? number * 1000 : fallback;
  };
  const intervalMs = seconds(root.dataset.interval, 8000);
  const pollMs = seconds(root.dataset.poll, 15000);
  // Signed photo URLs (S3) expire in minutes: the whole list again at half their life.
  const FULL_LIST_MS = seconds(root.dataset.fullList, 150000);
  const photosUrl = root.dataset.photosUrl;

  const images = Array.from(root.querySelectorAll(".slide"));
  const empty = root.querySelector(".slideshow-empty");
  const status = root.querySelector(".slideshow-status");

  const initial = JSON.parse(first.textContent);
  let photos = []; // display order, at most MAX_PHOTOS
  const known = new Set(); // the keys of `photos` and `fresh`
  let fresh = []; // arrived since: each is shown next, once, then joins `photos`
  let position = -1; // index in `photos` of the photo on screen
  let cursor = initial.cursor;
  let etag = "";
  let paused = false;
  let advanceTimer = 0;
  let showing = 0; // the latest show(): an older one whose image loads late gives way

  const keep = (list) => {
    photos = [];
    known.clear();
    for (const photo of list.slice(-MAX_PHOTOS)) {
      if (!known.has(photo.key)) {
        photos.push(photo);
        known.add(photo.key);
      }
    }
    for (const photo of fresh) known.add(photo.key);
  };

  const evictBeyondLimit = () => {
    while (photos.length > MAX_PHOTOS) {
      // The one shown longest ago: the next in turn.
      const index = (position + 1) % photos.length;
      known.delete(photos[index].key);
      photos.splice(index, 1);
      if (index < position) position -= 1;
    }
  };

  const say = (() => {
    let timer = 0;
    return (text) => {
      status.textContent = text;
      status.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(() => { status.hidden = true; }, 2000);
    };
  })();

  const show = (photo) => {
    const token = ++showing;
    const [current, next] = images[0].classList.contains("is-shown") ? images : [images[1], images[0]];
    next.hidden = false;
    next.sizes = "100vw";
    next.srcset = photo.srcset;
    next.src = photo.src;
    next.alt = photo.alt;
    next.width = photo.width;
    next.height = photo.height;
    root.dataset.shownKey = photo.key;
    next.decode().then(
      () => {
        if (token !== showing) return;
        next.classList.add("is-shown");
        current.classList.remove("is-shown");
        empty.hidden = true;
      },
      () => {
        // Gone since (deleted, or its gallery closed): leave it out and go on.
        if (token !== showing) return;
        const index = photos.indexOf(photo);
        if (index >= 0) {
          photos.splice(index, 1);
          known.delete(photo.key);
          if (index <= position) position -= 1;
        }
        schedule(500);
      },
    );
  };

  const advance = (step) => {
    if (step > 0 && fresh.length) {
      const photo = fresh.shift();
      photos.splice(position + 1, 0, photo);
      position += 1;
      evictBeyondLimit();
    } else if (photos.length) {
      position = (position + step + photos.length) % photos.length;
    } else {
      return;
    }
    show(photos[position]);
  };

  function schedule(delay = intervalMs) {
    clearTimeout(advanceTimer);
    if (paused) return;
    advanceTimer = setTimeout(() => {
      advance(1);
      schedule();
    }, delay);
  }

  // --- New photos ---------------------------------------------------------------------

  const receive = (list, whole) => {
    if (whole) {
      const onScreen = photos[position];
      keep(list);
      position = onScreen ? photos.findIndex((photo) => photo.key === onScreen.key) : -1;
      fresh = fresh.filter((photo) => !photos.some((p) => p.key === photo.key));
      return;
    }
    for (const photo of list) {
      if (known.has(photo.key)) continue;
      known.add(photo.key);
      fresh.push(photo);
    }
    while (fresh.length > MAX_PHOTOS) known.delete(fresh.shift().key);
    if (position < 0 && (photos.length || fresh.length)) {
      advance(1);
      schedule();
    }
  };

  let lastFullList = Date.now();
  const poll = async () => {
    const whole = Date.now() - lastFullList > FULL_LIST_MS;
    const url = whole ? photosUrl : `${photosUrl}?after=${encodeURIComponent(cursor)}`;
    try {
      const response = await fetch(url, {
        headers: etag && !whole ? { "If-None-Match": etag } : {},
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 403 || response.status === 404 || response.status === 410) {
        // Closed, gone, or the access code left the session: the page says which.
        window.location.reload();
        return;
      }
      if (response.status === 200) {
        const answer = await response.json();
        etag = response.headers.get("ETag") || "";
        cursor = answer.cursor;
        if (whole) lastFullList = Date.now();
        receive(answer.photos, whole);
      }
    } catch (error) {
      // Offline for a moment (the venue's Wi-Fi): the photos already here go on.
    }
    setTimeout(poll, pollMs);
  };

  // --- Controls -------------------------------------------------------------------------

  // The words shown, in the page's language: data-attributes of the controls (gallery_slideshow.html).
  const buttons = root.querySelector(".slideshow-buttons");
  const words = buttons.dataset;
  const button = (action) => buttons.querySelector(`[data-action="${action}"]`);

  const togglePause = () => {
    paused = !paused;
    say(paused ? words.paused || "Paused" : words.playing || "Playing");
    button("pause").setAttribute("aria-pressed", String(paused));
    button("pause").setAttribute("aria-label", paused ? words.play || "Play" : words.pause || "Pause");
    if (paused) clearTimeout(advanceTimer);
    else schedule();
  };

  const step = (direction) => {
    advance(direction);
    schedule();
  };

  const toggleFullScreen = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen().catch(() => say(words.noFullScreen || "Full screen is not allowed here"));
  };
  document.addEventListener("fullscreenchange", () => {
    button("fullscreen").setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
  });

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    // A focused button or link answers Space and Enter itself.
    const onControl = event.target.closest && event.target.closest("button, a");
    if ((event.key === " " || event.key === "Spacebar") && !onControl) {
      event.preventDefault();
      togglePause();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      step(1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      step(-1);
    } else if (event.key === "f" || event.key === "F") {
      toggleFullScreen();
    }
  });

  buttons.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const action = target.dataset.action;
    if (action === "previous") step(-1);
    else if (action === "next") step(1);
    else if (action === "pause") togglePause();
    else if (action === "fullscreen") toggleFullScreen();
    showControls();
  });
  // Phones that cannot fill the screen from a page (an iPhone's Safari) get no button for it.
  if (!document.fullscreenEnabled) button("fullscreen").hidden = true;
  buttons.hidden = false;
  root.classList.add("has-script");

  let pointerTimer = 0;
  const hideControls = () => {
    clearTimeout(pointerTimer);
    root.classList.remove("is-pointing");
  };
  function showControls() {
    root.classList.add("is-pointing");
    clearTimeout(pointerTimer);
    // Paused, they stay until the photo is tapped: the guest is about to use them.
    if (!paused) pointerTimer = setTimeout(hideControls, POINTER_IDLE_MS);
  }
  root.addEventListener("pointermove", (event) => {
    if (event.pointerType === "mouse") showControls();
  });

  // A touch: a tap on the photo shows the controls (or hides them); a swipe goes to the
  // previous or next photo.
  let touchStart = null;
  root.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "mouse" && event.isPrimary) touchStart = { x: event.clientX, y: event.clientY };
  });
  root.addEventListener("pointercancel", () => { touchStart = null; });
  root.addEventListener("pointerup", (event) => {
    if (!touchStart || !event.isPrimary) return;
    const dx = event.clientX - touchStart.x;
    const dy = event.clientY - touchStart.y;
    touchStart = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
      step(dx < 0 ? 1 : -1);
    } else if (Math.abs(dx) < 10 && Math.abs(dy) < 10 && !event.target.closest(".slideshow-controls, .slideshow-share")) {
      if (root.classList.contains("is-pointing")) hideControls();
      else showControls();
    }
  });
  root.addEventListener("dblclick", (event) => {
    if (!event.target.closest(".slideshow-controls")) toggleFullScreen();
  });

  // --- Never sleeping ------------------------------------------------------------------

  const stayAwake = () => {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").catch(() => {
      // Refused (no user gesture yet, or a battery saver): tried again at the next key.
    });
  };
  document.addEventListener("visibilitychange", stayAwake);
  document.addEventListener("keydown", stayAwake, { once: true });
  stayAwake();

  // --- Start ------------------------------------------------------------------------------

  for (const image of images) image.hidden = false;
  keep(initial.photos);
  if (photos.length) {
    // The server showed the first photo already (it is what a page without script shows).
    position = 0;
    root.dataset.shownKey = photos[0].key;
    schedule();
  }
  root.focus({ preventScroll: true });
  showControls(); // a moment at the start, so that a guest knows they are there
  setTimeout(poll, pollMs);
})();
