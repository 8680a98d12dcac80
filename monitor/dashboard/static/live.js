// Live updates without inline script (the CSP allows only files from this origin).
(function () {
  // On each incident change, fetch this page again and swap the parts that move.
  const live = ["counts", "chart", "incident-rows"];
  const rows = document.getElementById("incident-rows");
  if (rows && window.EventSource) {
    const source = new EventSource("/live?after=" + encodeURIComponent(rows.dataset.after || ""));
    source.addEventListener("change", async function () {
      const answer = await fetch(window.location.href, {credentials: "same-origin"});
      if (!answer.ok) { return; }
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      for (const id of live) {
        const now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.innerHTML = next.innerHTML; }
      }
    });
  }
  const clock = document.getElementById("clock");
  if (clock) {
    const due = Date.parse(clock.dataset.due);
    const tick = function () {
      let left = Math.round((due - Date.now()) / 1000);
      const late = left < 0; left = Math.abs(left);
      const h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      clock.textContent = (late ? "overdue by " : "") + h + "h " + String(m).padStart(2, "0") + "m " + String(s).padStart(2, "0") + "s" + (late ? "" : " left");
      clock.classList.toggle("overdue", late);
    };
    tick(); setInterval(tick, 1000);
  }
})();
