// Progressive enhancement only: every page works without this script.
// Registers the service worker that keeps opened pages readable offline.
"use strict";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // No offline reading (a private window, a browser setting): the site works the same.
    });
  });
}
