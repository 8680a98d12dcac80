// Live updates without inline script (the CSP allows only files from this origin).
(function () {
  const rows = document.getElementById("incident-rows");
  if (rows && window.EventSource) {
    const source = new EventSource("/live");
    source.addEventListener("change", async function () {
      const answer = await fetch("/fragments/incidents" + window.location.search, {credentials: "same-origin"});
      if (answer.ok) { rows.innerHTML = await answer.text(); }
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
