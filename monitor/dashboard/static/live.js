// Live updates without inline script (the CSP allows only files from this origin).
(function () {
  // On each incident change, fetch this page again and swap the parts that move.
  const live = ["counts", "chart", "incident-rows", "pages"];
  const rows = document.getElementById("incident-rows");
  if (rows && window.EventSource) {
    const source = new EventSource("/live?after=" + encodeURIComponent(rows.dataset.after || ""));
    // A flood sends hundreds of changes a second: refresh at most once a second, and once
    // more after the last change so none is left unshown.
    let waiting = false, again = false;
    const refresh = async function () {
      waiting = true; again = false;
      const answer = await fetch(window.location.href, {credentials: "same-origin"});
      if (answer.ok) {
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
        // Keep the person's selection for a bulk move across the swap.
        const chosen = new Set(Array.from(document.querySelectorAll("input[name=id]:checked"), (box) => box.value));
        for (const box of fresh.querySelectorAll("input[name=id]")) { box.checked = chosen.has(box.value); }
        for (const id of live) {
          const now = document.getElementById(id), next = fresh.getElementById(id);
          if (now && next) { now.innerHTML = next.innerHTML; }
        }
      }
      setTimeout(function () { waiting = false; if (again) { refresh(); } }, 1000);
    };
    // The session ended or its role changed: the page is rendered again (or the login shown).
    source.addEventListener("reload", function () { source.close(); window.location.reload(); });
    source.addEventListener("change", function () {
      if (waiting) { again = true; } else { refresh(); }
    });
  }
  // The keyboard path through the list: j/k move, x selects, a acknowledges, o opens.
  if (rows) {
    let at = -1;
    const move = function (step) {
      const all = rows.querySelectorAll("tr");
      if (!all.length) { return null; }
      if (at >= 0 && all[at]) { all[at].classList.remove("current"); }
      at = Math.max(0, Math.min(all.length - 1, at + step));
      all[at].classList.add("current");
      all[at].scrollIntoView({block: "nearest"});
      return all[at];
    };
    document.addEventListener("keydown", function (event) {
      const typing = event.target.closest && event.target.closest("input, select, textarea");
      if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
      const row = {j: 1, k: -1}[event.key] !== undefined ? move({j: 1, k: -1}[event.key]) : rows.querySelectorAll("tr")[at];
      if (!row) { return; }
      const box = row.querySelector("input[name=id]"), link = row.querySelector("a");
      if (event.key === "x" && box) { box.checked = !box.checked; }
      if (event.key === "o" && link) { link.click(); }
      if (event.key === "a" && box) {
        box.checked = true;
        const form = document.getElementById("bulk");
        if (form) { form.requestSubmit(form.querySelector("button[value=ack]")); }
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
