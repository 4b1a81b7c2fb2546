// Progressive enhancement only: every page works without this file.

// A job page refreshes its status block until the job is finished.
function followJob() {
  const initial = document.getElementById("job-status");
  if (!initial || !initial.dataset.refresh) return;
  const timer = setInterval(async () => {
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = html.getElementById("job-status");
      const current = document.getElementById("job-status");
      if (!fresh || !current) return;
      current.replaceWith(fresh);
      if (!fresh.dataset.refresh) clearInterval(timer);
    } catch (_) {
      clearInterval(timer);
    }
  }, 1500);
}

followJob();
