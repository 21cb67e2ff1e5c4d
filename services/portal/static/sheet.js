// Progressive enhancement of a score sheet: as options are chosen, the server recomputes the
// running score (same scoring as without JavaScript, where "Compute score" does it) and the
// result box is swapped in place. Nothing is saved by this.
document.querySelectorAll("form[data-sheet]").forEach((form) => {
  let timer = null;
  form.addEventListener("change", (event) => {
    if (!event.target.name || !event.target.name.startsWith("answer.")) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const body = new FormData(form);
      body.set("action", "check");
      // Not form.action: the submit buttons are named "action" and would shadow it.
      const url = form.getAttribute("action") || location.href;
      const resp = await fetch(url, { method: "POST", body, credentials: "same-origin" });
      if (!resp.ok) return;
      const page = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const selector of ["aside.running", ".running-mini"]) {
        const fresh = page.querySelector(selector);
        const shown = form.querySelector(selector);
        if (fresh && shown) shown.replaceWith(fresh);
      }
      // A conditional criterion (5.2: only with a product story) that starts or stops
      // applying is swapped in as the server shows it: choices enabled, or disabled.
      for (const fresh of page.querySelectorAll("fieldset[data-applies]")) {
        const shown = form.querySelector("#" + CSS.escape(fresh.id));
        if (shown && shown.dataset.applies !== fresh.dataset.applies) shown.replaceWith(fresh);
      }
    }, 250);
  });
});
