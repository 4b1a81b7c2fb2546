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

// The family sign-in page opened from a letter's QR code: the code is in the
// address's fragment (`#code=…`), which the browser never sends to the server
// nor in a Referer; it is copied into the field, then removed from the
// address bar and the history. Without JavaScript, the family types it.
function prefillCode() {
  const field = document.getElementById("code");
  const match = /(?:^|&)code=([^&]*)/.exec(window.location.hash.slice(1));
  if (!field || !match || field.form?.getAttribute("action") !== "/famille/connexion") return;
  try {
    field.value = decodeURIComponent(match[1]).slice(0, 40);
  } catch (_) {
    return;
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  document.getElementById("birth_date")?.focus();
}

prefillCode();

// The page of a sign-in link (`/famille/lien#jeton=…`): the same, for the
// link's token; its field is then hidden, the family only types the birth date.
function prefillLinkToken() {
  const field = document.getElementById("jeton");
  const match = /(?:^|&)jeton=([^&]*)/.exec(window.location.hash.slice(1));
  if (!field || !match || field.form?.getAttribute("action") !== "/famille/lien") return;
  try {
    field.value = decodeURIComponent(match[1]).slice(0, 40);
  } catch (_) {
    return;
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  document.getElementById("link-token-group")?.setAttribute("hidden", "");
  document.getElementById("birth_date")?.focus();
}

prefillLinkToken();

// Uploads: big photos are shrunk before sending (phones take 4–12 MB
// pictures; 2,000 px is plenty to read a document), and a file that is still
// too large is refused here, with the same message as the server's.
const MAX_SIDE = 2000;

// Redraws a photo as a JPEG of at most MAX_SIDE pixels. `always`: keep the
// JPEG even if it is not smaller (a HEIC photo, which many browsers cannot
// show, becomes a JPEG every agent can see). Throws when this browser cannot
// decode the file: then it is sent as it is and the server converts it.
async function toJpeg(file, always) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.82));
  if (!blob || (!always && blob.size >= file.size)) return file;
  return new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", { type: "image/jpeg" });
}

function isHeic(file) {
  return /^image\/hei[cf]/.test(file.type) || /\.hei[cf]$/i.test(file.name);
}

function showUploadError(input, message) {
  const group = input.closest(".fr-upload-group");
  const id = input.id + "-client-error";
  let error = document.getElementById(id);
  if (!message) {
    if (error) error.remove();
    group?.classList.remove("fr-upload-group--error");
    return;
  }
  if (!error) {
    error = document.createElement("p");
    error.className = "fr-error-text";
    error.id = id;
    input.insertAdjacentElement("afterend", error);
    input.setAttribute("aria-describedby", id);
  }
  error.textContent = message;
  group?.classList.add("fr-upload-group--error");
}

function enhanceUploads(root) {
  for (const input of root.querySelectorAll("input[type=file][data-max-bytes]")) {
    if (input.form?.hasAttribute("data-send-on-choice")) {
      const hint = input.closest(".fr-upload-group")?.querySelector(".fr-hint-text");
      if (hint && !hint.dataset.enhanced) {
        hint.dataset.enhanced = "1";
        hint.append(" Le fichier est envoyé dès que vous le choisissez.");
      }
    }
    input.addEventListener("change", async () => {
      const max = Number(input.dataset.maxBytes);
      // Preparing photos takes a moment on a phone: the form cannot be sent
      // with the originals meanwhile.
      const send = input.form?.querySelector("button[type=submit]");
      if (send) send.disabled = true;
      input.setAttribute("aria-busy", "true");
      const kept = new DataTransfer();
      const refused = [];
      for (const original of input.files) {
        let file = original;
        const heic = isHeic(file);
        if (heic || (/^image\/(jpeg|png)$/.test(file.type) && file.size > 1500000)) {
          try {
            file = await toJpeg(file, heic);
          } catch (_) {
            // Not decodable here (HEIC outside Safari): the server converts
            // it, and checks everything again anyway.
          }
        }
        if (file.size > max) refused.push(original.name);
        else kept.items.add(file);
      }
      input.files = kept.files;
      input.removeAttribute("aria-busy");
      if (send) send.disabled = false;
      if (kept.files.length && input.form?.hasAttribute("data-send-on-choice")) {
        sendInBackground(input.form, input);
      }
      showUploadError(
        input,
        refused.length
          ? "« " + refused.join(" », « ") + " » : trop volumineux, " + Math.round(max / 1048576) + " Mo au plus par fichier."
          : "",
      );
    });
  }
}

// A chosen file is sent at once, in the background, and its piece's block is
// replaced by the server's new version of it (no change of page: the file
// cannot be forgotten by going on without pressing "Envoyer").
async function sendInBackground(form, input) {
  const section = form.closest("section[id]");
  const status = document.getElementById("pieces-status");
  const names = Array.from(input.files, (f) => "« " + f.name + " »").join(", ");
  if (status) status.textContent = "Envoi de " + names + " en cours…";
  const send = form.querySelector("button[type=submit]");
  if (send) send.disabled = true;
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    });
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = section && html.getElementById(section.id);
    if (!fresh) throw new Error("unexpected answer");
    section.replaceWith(fresh);
    enhanceUploads(fresh);
    const error = fresh.querySelector(".fr-error-text");
    if (status) status.textContent = error ? error.textContent : names + " : envoyé.";
    document.getElementById(input.id)?.focus();
  } catch (_) {
    // Anything unexpected: the ordinary submission shows the server's page.
    form.submit();
  }
}

enhanceUploads(document);

// Autosave: a step's answers are saved as the family fills them in, without
// moving on (the server answers 204 to `X-Autosave`). Without JavaScript, the
// "Valider et continuer" button saves as before.
function enableAutosave() {
  const form = document.querySelector("form[data-autosave]");
  const status = document.getElementById("autosave-status");
  if (!form) return;
  let timer = null;
  const save = async () => {
    try {
      // getAttribute: `form.action` would be the field named "action" if
      // the form has one (the emergency contacts' buttons do).
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        headers: { "X-Autosave": "1", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      if (status) status.textContent = response.status === 204 ? "Brouillon enregistré." : "";
    } catch (_) {
      // Offline for a moment: the button still saves.
    }
  };
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  });
}

enableAutosave();

// "Imprimer" buttons (hidden without JavaScript: the browser's own print
// command does the same).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// The pieces queue's keyboard shortcuts: A accepts, R goes to the refusal's
// reason (Enter there refuses), S skips. Never while typing in a field or
// with a modifier key, and they can be turned off (the choice is kept).
function queueShortcuts() {
  const queue = document.querySelector("[data-piece-queue]");
  const help = document.getElementById("raccourcis");
  const toggle = document.getElementById("raccourcis-actifs");
  if (!queue || !help || !toggle) return;
  help.hidden = false;
  const KEY = "dossiersco.raccourcis";
  try {
    toggle.checked = localStorage.getItem(KEY) !== "non";
  } catch (_) {
    // Storage refused: shortcuts stay on for this page.
  }
  toggle.addEventListener("change", () => {
    try {
      localStorage.setItem(KEY, toggle.checked ? "oui" : "non");
    } catch (_) {
      // Nothing to keep it in.
    }
  });
  // A PDF's viewer takes the focus when it loads, and keys would go to it:
  // give it back to the page (to the piece's title, which a screen reader
  // then reads), unless the agent moved it meanwhile.
  const title = document.getElementById("piece-titre");
  const intended = document.querySelector("[autofocus]") || title;
  const giveBack = () => {
    if (document.activeElement instanceof HTMLIFrameElement) intended?.focus({ preventScroll: true });
  };
  const frame = queue.querySelector("iframe");
  frame?.addEventListener("load", () => setTimeout(giveBack, 0));
  for (const delay of [0, 250, 1000, 2500]) setTimeout(giveBack, delay);
  document.addEventListener("keydown", (event) => {
    if (!toggle.checked || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    if (key === "a") {
      event.preventDefault();
      document.getElementById("accepter")?.click();
    } else if (key === "r") {
      event.preventDefault();
      document.getElementById("precisions")?.focus();
    } else if (key === "s") {
      event.preventDefault();
      const skip = document.getElementById("passer");
      if (skip) window.location.assign(skip.getAttribute("href"));
    }
  });
}

queueShortcuts();
