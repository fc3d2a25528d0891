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

// New stories without a reload: the first page of top stories asks every data-every seconds
// (only while the tab is visible) how many stories were made after the newest it shows, and
// offers them in a button; pressing it swaps in the fresh page's content in place.
const live = document.getElementById("live-news");
if (live && window.fetch && window.DOMParser) {
  const every = Math.max(1, Number(live.dataset.every) || 60) * 1000;
  const button = live.querySelector("button");
  let newest = Number(live.dataset.newest) || 0;
  let timer = null;

  const ask = async () => {
    timer = null;
    try {
      const response = await fetch(`/api/stories/new?after=${newest}`, { cache: "no-store" });
      if (response.ok) {
        const found = await response.json();
        if (found.count > 0) {
          button.textContent = found.count === 1 ? "1 new story · show" : `${found.count} new stories · show`;
          live.hidden = false;
        }
      }
    } catch (error) {
      // Offline or the server restarting: ask again next time.
    }
    later();
  };
  const later = () => {
    if (timer === null && document.visibilityState === "visible") {
      timer = window.setTimeout(ask, every);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      later();
    } else if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  });

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const response = await fetch("/", { cache: "no-store" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const main = document.querySelector("main");
      const freshMain = fresh.querySelector("main");
      const freshLive = fresh.getElementById("live-news");
      if (!response.ok || !main || !freshMain || !freshLive) {
        throw new Error("no page");
      }
      // Keep this banner (and its timer): only the stories are swapped.
      freshLive.replaceWith(live);
      main.replaceChildren(...freshMain.childNodes);
      newest = Number(freshLive.dataset.newest) || newest;
      live.hidden = true;
      const heading = main.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    } catch (error) {
      window.location.assign("/");  // the plain way: the whole page again
    } finally {
      button.disabled = false;
    }
  });
  later();
}
